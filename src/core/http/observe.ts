/**
 * One access-log line and the HTTP metrics per request: method, route pattern (not the raw path, which would
 * explode label cardinality), status and duration. Health probes and scrapes log at debug to keep logs useful.
 * Runs on every request, so the work is kept small: the access line is built only when its level is enabled, and
 * metric labels come in sorted order.
 */
import type { MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { Logger } from '../monitoring/logger.ts'
import type { MetricsRegistry } from '../monitoring/metrics.ts'

const QUIET = /^\/(health\/|metrics$)/

export function observeRequests(metrics: MetricsRegistry, logger: Logger): MiddlewareHandler {
  const requests = metrics.counter('http_requests_total', 'HTTP requests by method, route and status')
  const latency = metrics.histogram('http_request_duration_seconds', 'HTTP request latency by method, route and status')
  const inFlight = metrics.gauge('http_requests_in_flight', 'HTTP requests being served')

  return async function observeRequestsMiddleware(c, next) {
    const startedAt = performance.now()
    const requestId = c.get('requestId')
    c.set('logger', logger.child({ requestId }))
    inFlight.inc()
    try {
      await next()
    } finally {
      inFlight.dec()
      const status = c.res.status
      const route = status === 404 || status === 405 ? matchedRoute(c) : routePath(c, -1)
      const durationSeconds = (performance.now() - startedAt) / 1000
      const method = c.req.method
      // Names in sorted order: the registry then keys the series without sorting (see keyOf in metrics.ts).
      const labels = { method, route, status }
      requests.inc(labels)
      latency.observe(durationSeconds, labels)
      const level = status >= 500 ? 'error' : QUIET.test(c.req.path) ? 'debug' : 'info'
      if (logger.isLevelEnabled(level)) {
        const line = { requestId, method, path: c.req.path, route, status, durationMs: Math.round(durationSeconds * 1e5) / 100 }
        logger[level](line, 'request')
      }
    }
  }
}

/** An unmatched request would otherwise be labelled with the catch-all middleware's `*`. */
function matchedRoute(c: Parameters<MiddlewareHandler>[0]): string {
  const path = routePath(c, -1)
  return path.endsWith('*') ? 'unmatched' : path
}
