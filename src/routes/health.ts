/** Liveness, readiness and the Prometheus scrape endpoint. */
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { checkReadiness, type HealthCheck } from '../core/monitoring/health.ts'
import { PROMETHEUS_CONTENT_TYPE } from '../core/monitoring/metrics.ts'
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
  responses: { 200: { description: 'Prometheus exposition', content: { 'text/plain': { schema: z.string() } } } },
})

export function readinessChecks(deps: Deps): HealthCheck[] {
  return [{ name: 'database', required: true, check: () => deps.db.ping() }]
}

export const healthRoutes = newRouter()
  .openapi(live, (c) => c.json({ status: 'ok' as const }, 200))
  .openapi(ready, async (c) => {
    const result = await checkReadiness(readinessChecks(c.var.deps))
    c.header('Cache-Control', 'no-store')
    return c.json(result, result.status === 'down' ? 503 : 200)
  })
  .openapi(metrics, (c) => c.text(c.var.deps.metrics.render(), 200, { 'Content-Type': PROMETHEUS_CONTENT_TYPE }))
