import { afterAll, beforeAll, expect, it } from 'vitest'
import { createClient } from '../../src/client.ts'
import { startTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

it('the exported typed client calls routes with their contract types', async () => {
  const api = createClient('http://kamhub.test', { fetch: (input: RequestInfo | URL, init?: RequestInit) => t.app.request(input, init) })
  const res = await api.health.ready.$get()
  expect(res.status).toBe(200)
  const body = await res.json()
  // `status` is typed as 'ok' | 'degraded' | 'down' here: a typo would fail type-checking, not this run.
  expect(['ok', 'degraded']).toContain(body.status)
})
