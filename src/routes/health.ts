/**
 * Liveness, readiness and the Prometheus scrape endpoint. /metrics is open unless METRICS_TOKEN is set; then it
 * wants that bearer token (route names and traffic figures are reconnaissance material on a public host).
 */
import { createRoute, z } from '@hono/zod-openapi'
import type { TypedResponse } from 'hono'
import { newRouter } from './env.ts'
import { checkReadiness, type HealthCheck } from '../core/monitoring/health.ts'
import { PROMETHEUS_CONTENT_TYPE } from '../core/monitoring/metrics.ts'
import { errorResponses } from '../core/http/problem.ts'
import { DomainError } from '../core/errors.ts'
import type { Deps } from '../deps.ts'

const dependency = z.object({
  status: z.enum(['up', 'down']),
  required: z.boolean(),
  latencyMs: z.number(),
  error: z.string().optional(),
})
const readiness = z
  .object({ status: z.enum(['ok', 'degraded', 'down']), checks: z.record(z.string(), dependency) })
  .openapi('Readiness')

const live = createRoute({
  method: 'get',
  path: '/health/live',
  tags: ['operations'],
  summary: 'The process is running',
  responses: { 200: { description: 'Alive', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
})

const ready = createRoute({
  method: 'get',
  path: '/health/ready',
  tags: ['operations'],
  summary: 'Every required dependency answers',
  responses: {
    200: { description: 'Ready (possibly degraded)', content: { 'application/json': { schema: readiness } } },
    503: { description: 'A required dependency is down', content: { 'application/json': { schema: readiness } } },
  },
})

const metrics = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'Metrics in Prometheus text format',
  description: 'Requires `Authorization: Bearer <METRICS_TOKEN>` when the server sets METRICS_TOKEN.',
  security: [{ bearer: [] } as Record<string, string[]>, {}],
  responses: { 200: { description: 'Prometheus exposition', content: { 'text/plain': { schema: z.string() } } }, ...errorResponses(401) },
})

export function readinessChecks(deps: Deps): HealthCheck[] {
  return [
    { name: 'database', required: true, check: () => deps.db.ping() },
    // Lagging delivery degrades the service (notifications late, caches stale) but requests still work.
    {
      name: 'events',
      required: false,
      check: async () => {
        const lag = await deps.events.lagSeconds()
        if (lag > deps.config.EVENTS_MAX_LAG_SECONDS) throw new Error(`oldest due delivery waited ${Math.round(lag)} s`)
      },
    },
    // A failing shared cache degrades (memory and the database serve instead); it never takes the instance out.
    {
      name: 'cache',
      required: false,
      check: async () => {
        const health = await deps.cache.health()
        if (health.status !== 'up') throw new Error(`${health.backend}: ${health.error ?? health.status}`)
      },
    },
  ]
}

const LIVE_BODY = JSON.stringify({ status: 'ok' })
const JSON_TYPE = { 'Content-Type': 'application/json' }

export const healthRoutes = newRouter()
  // Probed every few seconds by every load balancer: the answer never changes, so it is serialised once (typed as the
  // c.json answer it equals, for the typed client).
  .openapi(live, (c) => c.body(LIVE_BODY, 200, JSON_TYPE) as unknown as TypedResponse<{ status: 'ok' }, 200, 'json'>)
  .openapi(ready, async (c) => {
    const result = await checkReadiness(readinessChecks(c.env.deps))
    c.header('Cache-Control', 'no-store')
    return c.json(result, result.status === 'down' ? 503 : 200)
  })
  .openapi(metrics, async (c) => {
    const { config, metrics } = c.env.deps
    if (config.METRICS_TOKEN && !(await bearerMatches(c.req.header('Authorization'), config.METRICS_TOKEN))) {
      throw new DomainError('unauthorized', 'GET /metrics requires the metrics bearer token', {
        headers: { 'WWW-Authenticate': 'Bearer realm="metrics"' },
      })
    }
    await metrics.refresh()
    return c.text(metrics.render(), 200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE })
  })

/**
 * Compares SHA-256 digests rather than the strings: both sides are 32 bytes whatever was sent, and the loop reads
 * every byte, so neither the content nor the length of the token leaks through response timing.
 */
async function bearerMatches(header: string | undefined, expected: string): Promise<boolean> {
  const presented = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? ''
  const encoder = new TextEncoder()
  const [a, b] = await Promise.all([presented, expected].map((t) => crypto.subtle.digest('SHA-256', encoder.encode(t))))
  const x = new Uint8Array(a!)
  const y = new Uint8Array(b!)
  let diff = presented ? 0 : 1
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!
  return diff === 0
}
