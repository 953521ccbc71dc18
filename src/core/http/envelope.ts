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
import type { HistogramSeries, MetricsRegistry } from '../monitoring/metrics.ts'
import { DomainError } from '../errors.ts'
import { accessLog } from '../monitoring/access-log.ts'
import { renderProblem } from './on-error.ts'
import { sharedDeadlines, type WatchDeadline } from '../deadlines.ts'

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
  /**
   * Added to answers of requests that arrived over HTTPS (directly, or at a TLS-terminating proxy that says so in
   * `X-Forwarded-Proto` / `Forwarded`): Strict-Transport-Security, which RFC 6797 §7.2 forbids on plain HTTP.
   */
  secureTransportHeaders?: Record<string, string>
  timeoutMs: number
  /**
   * Writes the fixed headers straight onto the runtime's own response, when it has one (Node's ServerResponse);
   * returns false to fall back to the Fetch API `Headers` of each answer. A route's own value still wins.
   */
  headerSink?: HeaderSink
  /** How deadlines are timed: one shared timer by default; Workers need a timer per request (see deadlines.ts). */
  deadlines?: (ms: number) => WatchDeadline
}

/** The fixed headers, prepared once: names and values, and a bit per lower-cased name for cheap override checks. */
export interface FixedHeaders {
  pairs: ReadonlyArray<readonly [string, string]>
  bitOf: ReadonlyMap<string, number>
  requestIdName: string
  requestIdBit: number
}

/** Puts `fixed` and the request id on the runtime's response; false when it cannot (then `Headers` are used). */
export type HeaderSink = (c: Context, fixed: FixedHeaders, requestId: string) => boolean

function prepareFixedHeaders(headers: Record<string, string>): FixedHeaders {
  const pairs = Object.entries(headers)
  if (pairs.length > 30) throw new Error('At most 30 fixed response headers (one bit each)')
  const bitOf = new Map(pairs.map(([name], i) => [name.toLowerCase(), 1 << i]))
  const requestIdBit = 1 << pairs.length
  bitOf.set(REQUEST_ID.toLowerCase(), requestIdBit)
  return { pairs, bitOf, requestIdName: REQUEST_ID, requestIdBit }
}

/** A caller's id is kept when it is a sane token (so an app or a proxy can follow one request); else a new UUID. */
export function requestIdFrom(incoming: string | undefined): string {
  return incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID()
}

export function envelope({ deps, scope, headers, secureTransportHeaders = {}, timeoutMs, headerSink, deadlines = sharedDeadlines }: EnvelopeOptions): MiddlewareHandler {
  const { metrics, logger } = deps
  const observe = httpMetrics(metrics, logger)
  const plainFixed = prepareFixedHeaders(headers)
  const secureFixed = prepareFixedHeaders({ ...headers, ...secureTransportHeaders })
  const watch = deadlines(timeoutMs)

  return async function envelopeMiddleware(c, next) {
    const startedAt = performance.now()
    const requestId = requestIdFrom(c.req.header(REQUEST_ID))
    c.set('requestId', requestId)
    c.set('deps', scope ? { ...deps, ...scope(c) } : deps)
    c.set('logger', lazyChild(logger, { requestId }))
    const fixed = arrivedOverTls(c) ? secureFixed : plainFixed
    const sunk = headerSink?.(c, fixed, requestId) ?? false
    observe.started()
    try {
      await withDeadline(next(), watch, () => {
        c.res = renderProblem(c, new DomainError('timeout', `The request took longer than ${timeoutMs} ms`))
      })
    } finally {
      if (!sunk) {
        const res = c.res.headers
        for (const [name, value] of fixed.pairs) if (!res.has(name)) res.set(name, value)
        res.set(REQUEST_ID, requestId)
      }
      observe.finished(c, requestId, startedAt)
    }
  }
}

/**
 * Whether the client's connection was TLS: the request URL says so (Workers, Deno and Node serving HTTPS), or the
 * proxy in front does. Trusting a forged header here is harmless: it can only add HSTS to a plain-HTTP answer, which
 * browsers ignore there (RFC 6797 §8.1).
 */
function arrivedOverTls(c: Context): boolean {
  if (c.req.url.startsWith('https:')) return true
  const xForwardedProto = c.req.header('X-Forwarded-Proto')
  if (xForwardedProto !== undefined) return firstListItem(xForwardedProto).toLowerCase() === 'https'
  const forwarded = c.req.header('Forwarded')
  return forwarded !== undefined && forwardedProto(forwarded) === 'https'
}

/** The client's end of a proxy list (`a, b` → `a`): the first proxy records what the client used. */
function firstListItem(value: string): string {
  const comma = value.indexOf(',')
  return (comma === -1 ? value : value.slice(0, comma)).trim()
}

/** RFC 7239 `Forwarded: for=…;proto=https, …` → the first element's proto, lower-cased. */
function forwardedProto(value: string): string | undefined {
  for (const pair of firstListItem(value).split(';')) {
    const equals = pair.indexOf('=')
    if (equals !== -1 && pair.slice(0, equals).trim().toLowerCase() === 'proto') return pair.slice(equals + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase()
  }
  return undefined
}

/**
 * Waits for the handler, or answers through `onTimeout` when it is still running at its deadline. The handler is
 * not cancelled (JavaScript cannot); its late result is dropped. One promise per request: a `Promise.race` with a
 * deadline promise and a `finally` costs three more promises and their reactions.
 */
function withDeadline(work: Promise<void>, watch: WatchDeadline, onTimeout: () => void): Promise<void> {
  // A promise settles once: whichever of the deadline and the work comes second is a no-op.
  return new Promise<void>((resolve, reject) => {
    const deadline = watch(() => {
      onTimeout()
      resolve()
    })
    work.then(
      () => {
        deadline.finish()
        resolve()
      },
      (error: unknown) => {
        deadline.finish()
        reject(error)
      },
    )
  })
}

/**
 * A request logger made on first use. Most requests never log beyond the access line (written by the root logger
 * here), and a pino child costs a redaction pass and a JSON serialisation of its bindings.
 */
function lazyChild(logger: Logger, bindings: Record<string, unknown>): Logger {
  return new Proxy<LazyLogger>({ root: logger, bindings }, lazyLoggerHandler) as unknown as Logger
}

interface LazyLogger {
  root: Logger
  bindings: Record<string, unknown>
  child?: Logger
}

// One handler for every request's logger: the per-request part is the small target.
const lazyLoggerHandler: ProxyHandler<LazyLogger> = {
  get(target, property) {
    const child = childOf(target)
    const value = Reflect.get(child, property, child) as unknown
    return typeof value === 'function' ? value.bind(child) : value
  },
  has(target, property) {
    return property in childOf(target)
  },
}

/** The request's pino child, made on first use. */
const childOf = (target: LazyLogger): Logger => (target.child ??= target.root.child(target.bindings))

function httpMetrics(metrics: MetricsRegistry, logger: Logger) {
  const access = accessLog(logger)
  const latency = metrics.histogram('http_request_duration_seconds', 'HTTP request latency by method, route and status')
  // The request count is the histogram's own _count, published under its conventional name too: one observation
  // per request instead of two.
  metrics.countOf('http_requests_total', 'HTTP requests by method, route and status', latency)
  const inFlight = metrics.gauge('http_requests_in_flight', 'HTTP requests being served').child()
  // A series per (route, method, status), found without building its key string on every request.
  const byRoute = new Map<string, Map<string, Map<number, HistogramSeries>>>()
  const seriesOf = (route: string, method: string, status: number): HistogramSeries => {
    let byMethod = byRoute.get(route)
    if (!byMethod) byRoute.set(route, (byMethod = new Map()))
    let byStatus = byMethod.get(method)
    if (!byStatus) byMethod.set(method, (byStatus = new Map()))
    let series = byStatus.get(status)
    // Names in sorted order: the registry then keys the series without sorting (see keyOf in metrics.ts).
    if (!series) byStatus.set(status, (series = latency.child({ method, route, status })))
    return series
  }
  return {
    started: () => inFlight.inc(),
    finished(c: Context, requestId: string, startedAt: number) {
      inFlight.dec()
      const status = c.res.status
      const route = status === 404 || status === 405 ? matchedRoute(c) : routePath(c, -1)
      const durationSeconds = (performance.now() - startedAt) / 1000
      const method = c.req.method
      seriesOf(route, method, status).observe(durationSeconds)
      const path = c.req.path
      const level = status >= 500 ? 'error' : QUIET.test(path) ? 'debug' : 'info'
      // Health probes log at debug: at the usual info level their record is not even built.
      if (logger.isLevelEnabled(level)) access(level, { requestId, method, path, route, status, durationMs: Math.round(durationSeconds * 1e5) / 100 })
    },
  }
}

/** An unmatched request would otherwise be labelled with the catch-all middleware's `*`. */
function matchedRoute(c: Context): string {
  const path = routePath(c, -1)
  return path.endsWith('*') ? 'unmatched' : path
}
