/**
 * What every request gets, in one middleware: its id (`X-Request-Id` in and out), the services on the context, a
 * request-scoped logger, the security headers, a deadline (504 past REQUEST_TIMEOUT_MS), and afterwards one access
 * line plus the HTTP metrics.
 *
 * Why one middleware and not six: each Hono middleware is another async frame and promise per request, and the
 * stock secure-headers middleware sets every header through the Fetch API `Headers` after the answer is built,
 * the single most expensive step of a small answer on Node (see runtime/node-response-headers.ts).
 */
import type { Context, MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { Deps } from '../../deps.ts'
import type { Logger } from '../monitoring/logger.ts'
import type { MetricsRegistry } from '../monitoring/metrics.ts'
import { DomainError } from '../errors.ts'
import { renderProblem } from './on-error.ts'

const REQUEST_ID = 'X-Request-Id'
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/
/** Health probes and scrapes log at debug, so production logs are about traffic, not load balancers. */
const QUIET = /^\/(health\/|metrics$)/

export interface EnvelopeOptions {
  deps: Deps
  /** Per-request overrides of the shared deps (the Worker's per-request database client). */
  scope?: (c: Context) => Partial<Deps>
  /** Response headers every answer carries unless the route set its own value. */
  headers: Record<string, string>
  timeoutMs: number
  /**
   * Writes the fixed headers straight onto the runtime's own response, when it has one (Node's ServerResponse);
   * returns false to fall back to the Fetch API `Headers` of each answer. A route's own value still wins.
   */
  headerSink?: HeaderSink
}

export type HeaderSink = (c: Context, headers: ReadonlyArray<readonly [string, string]>) => boolean

/** A caller's id is kept when it is a sane token (so an app or a proxy can follow one request); else a new UUID. */
export function requestIdFrom(incoming: string | undefined): string {
  return incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID()
}

export function envelope({ deps, scope, headers, timeoutMs, headerSink }: EnvelopeOptions): MiddlewareHandler {
  const { metrics, logger } = deps
  const observe = httpMetrics(metrics)
  const fixedHeaders = Object.entries(headers)

  return async function envelopeMiddleware(c, next) {
    const startedAt = performance.now()
    const requestId = requestIdFrom(c.req.header(REQUEST_ID))
    c.set('requestId', requestId)
    c.set('deps', scope ? { ...deps, ...scope(c) } : deps)
    c.set('logger', lazyChild(logger, { requestId }))
    const sunk = headerSink?.(c, [...fixedHeaders, [REQUEST_ID, requestId]]) ?? false
    observe.started()
    try {
      await withDeadline(next(), timeoutMs, () => {
        c.res = renderProblem(c, new DomainError('timeout', `The request took longer than ${timeoutMs} ms`))
      })
    } finally {
      if (!sunk) {
        const res = c.res.headers
        for (const [name, value] of fixedHeaders) if (!res.has(name)) res.set(name, value)
        res.set(REQUEST_ID, requestId)
      }
      observe.finished(c, logger, requestId, startedAt)
    }
  }
}

/**
 * Waits for the handler, or answers through `onTimeout` when it is still running after `ms`. The handler is not
 * cancelled (JavaScript cannot); its late result is dropped. One timer per request: a timer is ~0.3 µs, the
 * promise race around it is what the stock middleware paid for twice.
 */
function withDeadline(work: Promise<void>, ms: number, onTimeout: () => void): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onTimeout()
      resolve()
    }, ms)
  })
  return Promise.race([work.finally(() => clearTimeout(timer)), deadline])
}

/**
 * A request logger made on first use. Most requests never log beyond the access line (written by the root logger
 * here), and a pino child costs a redaction pass and a JSON serialisation of its bindings.
 */
function lazyChild(logger: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined
  return new Proxy(logger, {
    get(_target, property) {
      child ??= logger.child(bindings)
      const value = Reflect.get(child, property, child) as unknown
      return typeof value === 'function' ? value.bind(child) : value
    },
  })
}

function httpMetrics(metrics: MetricsRegistry) {
  const requests = metrics.counter('http_requests_total', 'HTTP requests by method, route and status')
  const latency = metrics.histogram('http_request_duration_seconds', 'HTTP request latency by method, route and status')
  const inFlight = metrics.gauge('http_requests_in_flight', 'HTTP requests being served')
  return {
    started: () => inFlight.inc(),
    finished(c: Context, logger: Logger, requestId: string, startedAt: number) {
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
        logger[level]({ requestId, method, path: c.req.path, route, status, durationMs: Math.round(durationSeconds * 1e5) / 100 }, 'request')
      }
    },
  }
}

/** An unmatched request would otherwise be labelled with the catch-all middleware's `*`. */
function matchedRoute(c: Context): string {
  const path = routePath(c, -1)
  return path.endsWith('*') ? 'unmatched' : path
}
