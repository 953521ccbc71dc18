/**
 * The typed client for TypeScript apps: request and response types come from the route contracts, so a mobile or
 * web app breaks at compile time, not at runtime, when the API changes.
 *
 *   import { createClient } from 'kamhub/client'
 *   const api = createClient('https://api.kamhub.example')
 *   const res = await api.health.ready.$get()
 */
import { hc } from 'hono/client'
import type { AppType } from './app.ts'

export type { AppType }

export function createClient(baseUrl: string, options?: Parameters<typeof hc>[1]) {
  return hc<AppType>(baseUrl, options)
}
