/**
 * What every request gets, wrapped around the app's `fetch`: its id (`X-Request-Id` in and out), its scope (the
 * services, a request logger: Hono's `c.env`, see request-scope.ts), the security headers, a deadline (504 past
 * REQUEST_TIMEOUT_MS), and afterwards one access line plus the HTTP metrics.
 *
 * Why around `fetch` and not a Hono middleware: a middleware puts every request on Hono's asynchronous compose chain
 * and @hono/node-server's asynchronous answer path (a close listener, two more awaits), which cost a fifth of a
 * small answer's throughput at saturation on this 2-core machine (npm run bench: one empty `await next()`
 * middleware on a bare app). Here a synchronous route answers synchronously; an asynchronous one is awaited once.
 * Why one piece and not six: the stock secure-headers middleware sets every header through the Fetch API `Headers`
 * after the answer is built, the most expensive step of a small answer on Node (see runtime/node-response-headers.ts).
 */
import type { ExecutionContext } from 'hono'
import type { Deps } from '../../deps.ts'
import type { Logger } from '../monitoring/logger.ts'
import type { HistogramSeries, MetricsRegistry } from '../monitoring/metrics.ts'
import { DomainError } from '../errors.ts'
import { accessLog } from '../monitoring/access-log.ts'
import { problemResponse, toDomainError } from './on-error.ts'
import { sharedDeadlines, type WatchDeadline } from '../deadlines.ts'
import { monotonicNow } from '../monotonic.ts'
import { RequestScope } from './request-scope.ts'
import type { MatchRecorder } from './match-recorder.ts'
import { headerReader, type HeaderReader, type RawHeaderSource } from './request-headers.ts'

const REQUEST_ID = 'X-Request-Id'
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/
/** Health probes and scrapes log at debug, so production logs are about traffic, not load balancers. */
const isProbe = (path: string) => path.startsWith('/health/') || path === '/metrics'
/** An HTML media type, parameters allowed (`text/html; charset=UTF-8`). */
const HTML = /^\s*text\/html\s*(?:;|$)/i

/** The app's own fetch, which takes the request's scope as its bindings (`c.env`). */
export type ScopedFetch = (request: Request, scope: RequestScope, ctx?: ExecutionContext) => Response | Promise<Response>
/** What a runtime calls: its own bindings and context as the second and third argument. */
export type RuntimeFetch = (request: Request, runtime?: unknown, ctx?: ExecutionContext) => Response | Promise<Response>

export interface EnvelopeOptions {
  deps: Deps
  /** Where the router records each request's route (the app's router). */
  routes: MatchRecorder
  /** Per-request overrides of the shared deps (the Worker's per-request database client). */
  scope?: (runtime: unknown, ctx: ExecutionContext | undefined) => Partial<Deps>
  /** Response headers every answer carries unless the route set its own value. */
  headers: Record<string, string>
  /**
   * Added to HTML answers only (Content-Type text/html): headers that act on a document a browser renders — its
   * opener, its referrers, who may embed it — and on nothing else, so a JSON answer would carry them for nothing.
   */
  documentHeaders?: Record<string, string>
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
  /** The runtime's raw request header list, read instead of the Fetch request's `Headers` (Node: see request-headers.ts). */
  rawHeaders?: RawHeaderSource
}

/** The fixed headers, prepared once: names and values, and a bit per lower-cased name for cheap override checks. */
export interface FixedHeaders {
  /** On every answer; bit `1 << i`. */
  pairs: ReadonlyArray<readonly [string, string]>
  /** On HTML answers too; bit `1 << (pairs.length + i)`. */
  documentPairs: ReadonlyArray<readonly [string, string]>
  requestIdName: string
  requestIdBit: number
  /** Content-Type's bit: not a header the envelope sets, the one it reads to tell a document from data. */
  contentTypeBit: number
  /** The bit of a fixed header (the request id's and Content-Type's included) named in any case; 0 for any other. */
  bitOfSpelling(name: string): number
}

/** Puts `fixed` and the request id on the runtime's response; false when it cannot (then `Headers` are used). */
export type HeaderSink = (runtime: unknown, fixed: FixedHeaders, requestId: string) => boolean

export function prepareFixedHeaders(headers: Record<string, string>, documentHeaders: Record<string, string> = {}): FixedHeaders {
  const pairs = Object.entries(headers)
  const documentPairs = Object.entries(documentHeaders)
  const named = [...pairs, ...documentPairs].map(([name]) => name.toLowerCase())
  if (named.length > 28) throw new Error('At most 28 fixed response headers (one bit each, beside the request id and Content-Type)')
  // The request id and Content-Type have bits of their own below: a fixed header of either name would lose its bit.
  const reserved = [REQUEST_ID.toLowerCase(), 'content-type']
  if (new Set([...named, ...reserved]).size !== named.length + reserved.length) throw new Error('A fixed response header is named twice, or is X-Request-Id or Content-Type')
  const bitOf = new Map(named.map((name, i) => [name, 1 << i]))
  const requestIdBit = 1 << named.length
  const contentTypeBit = 1 << (named.length + 1)
  bitOf.set(REQUEST_ID.toLowerCase(), requestIdBit)
  bitOf.set('content-type', contentTypeBit)
  // Remembered per spelling: an answer's header names come from code (`ETag`, `Content-Type`), so there are few, and
  // looking one up as it is skips lower-casing it into a new string and hashing that on every answer. The bound keeps
  // a route that echoed caller-chosen names from growing it.
  const bySpelling = new Map<string, number>()
  const bitOfSpelling = (name: string): number => {
    let bit = bySpelling.get(name)
    if (bit === undefined) {
      bit = bitOf.get(name.toLowerCase()) ?? 0
      if (bySpelling.size < 256) bySpelling.set(name, bit)
    }
    return bit
  }
  return { pairs, documentPairs, requestIdName: REQUEST_ID, requestIdBit, contentTypeBit, bitOfSpelling }
}

/** Whether a Content-Type value names an HTML document (what the document headers are for). */
export function isDocument(contentType: unknown): boolean {
  return typeof contentType === 'string' && HTML.test(contentType)
}

/** A caller's id is kept when it is a sane token (so an app or a proxy can follow one request); else a new UUID. */
export function requestIdFrom(incoming: string | null | undefined): string {
  return incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID()
}

export function envelope(fetch: ScopedFetch, options: EnvelopeOptions): RuntimeFetch {
  const { deps, routes, scope: scoped, headers, documentHeaders, secureTransportHeaders = {}, timeoutMs, headerSink, deadlines = sharedDeadlines, rawHeaders } = options
  const { metrics, logger } = deps
  const observe = httpMetrics(metrics, logger)
  const plainFixed = prepareFixedHeaders(headers, documentHeaders)
  const secureFixed = prepareFixedHeaders({ ...headers, ...secureTransportHeaders }, documentHeaders)
  const watch = deadlines(timeoutMs)

  /** The last step of every answer: headers when the runtime took none, then the access line and the metrics. */
  const finish = (request: Request, scope: RequestScope, fixed: FixedHeaders | undefined, startedAt: number, res: Response): Response => {
    if (fixed) {
      const own = res.headers
      for (const [name, value] of fixed.pairs) if (!own.has(name)) own.set(name, value)
      if (fixed.documentPairs.length && isDocument(own.get('content-type'))) {
        for (const [name, value] of fixed.documentPairs) if (!own.has(name)) own.set(name, value)
      }
      own.set(REQUEST_ID, scope.requestId)
    }
    observe.finished(request, scope, res.status, startedAt)
    return res
  }
  /** An error Hono's own error handler let through (it threw itself): still a problem+json answer. */
  const failed = (request: Request, scope: RequestScope, error: unknown): Response => {
    const domain = toDomainError(error)
    if (domain.status >= 500) scope.logger.error({ err: error, code: domain.code }, 'request failed')
    return problemResponse(domain, routedPath(request, scope), scope.requestId)
  }

  return function envelopeFetch(request, runtime, ctx) {
    const startedAt = monotonicNow()
    const header = headerReader(request, rawHeaders?.(runtime))
    const requestId = requestIdFrom(header(REQUEST_ID))
    const scope = new RequestScope(requestId, scoped ? { ...deps, ...scoped(runtime, ctx) } : deps, header)
    const fixed = arrivedOverTls(request, header) ? secureFixed : plainFixed
    // Taken by the runtime (Node writes them with the status line), or set on the answer's Headers at the end.
    const unsunk = headerSink?.(runtime, fixed, requestId) ? undefined : fixed
    observe.started()
    routes.recordInto = scope
    let answer: Response | Promise<Response>
    try {
      answer = fetch(request, scope, ctx)
    } catch (error) {
      answer = failed(request, scope, error)
    } finally {
      routes.recordInto = undefined
    }
    if (!(answer instanceof Promise)) return finish(request, scope, unsunk, startedAt, answer)
    const timedOut = () => problemResponse(new DomainError('timeout', `The request took longer than ${timeoutMs} ms`), routedPath(request, scope), requestId)
    return withDeadline(answer, watch, timedOut).then(
      (res) => finish(request, scope, unsunk, startedAt, res),
      (error: unknown) => finish(request, scope, unsunk, startedAt, failed(request, scope, error)),
    )
  }
}

/**
 * Whether the client's connection was TLS: the request URL says so (Workers, Deno and Node serving HTTPS), or the
 * proxy in front does. Trusting a forged header here is harmless: it can only add HSTS to a plain-HTTP answer, which
 * browsers ignore there (RFC 6797 §8.1).
 */
function arrivedOverTls(request: Request, header: HeaderReader): boolean {
  if (request.url.startsWith('https:')) return true
  const xForwardedProto = header('X-Forwarded-Proto')
  if (xForwardedProto !== null) return firstListItem(xForwardedProto).toLowerCase() === 'https'
  const forwarded = header('Forwarded')
  return forwarded !== null && forwardedProto(forwarded) === 'https'
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

/** The path the router saw; parsed here only when the app failed before routing. */
function routedPath(request: Request, scope: RequestScope): string {
  return scope.path || new URL(request.url).pathname
}

/**
 * The answer, or `onTimeout()`'s when the handler is still running at its deadline. The handler is not cancelled
 * (JavaScript cannot); its late result is dropped. One promise per request: a `Promise.race` with a deadline promise
 * and a `finally` costs three more promises and their reactions.
 */
function withDeadline(work: Promise<Response>, watch: WatchDeadline, onTimeout: () => Response): Promise<Response> {
  // A promise settles once: whichever of the deadline and the work comes second is a no-op.
  return new Promise<Response>((resolve, reject) => {
    const deadline = watch(() => resolve(onTimeout()))
    work.then(
      (res) => {
        deadline.finish()
        resolve(res)
      },
      (error: unknown) => {
        deadline.finish()
        reject(error)
      },
    )
  })
}

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
    finished(request: Request, scope: RequestScope, status: number, startedAt: number) {
      inFlight.dec()
      // A 404 or 405 from a route (an unknown id) keeps its route; a request no route matched is labelled once.
      const route = scope.route === '' || ((status === 404 || status === 405) && scope.route.endsWith('*')) ? 'unmatched' : scope.route
      const durationSeconds = (monotonicNow() - startedAt) / 1000
      const method = request.method
      seriesOf(route, method, status).observe(durationSeconds)
      const path = routedPath(request, scope)
      const level = status >= 500 ? 'error' : isProbe(path) ? 'debug' : 'info'
      // Health probes log at debug: at the usual info level their record is not even built.
      if (logger.isLevelEnabled(level)) access(level, { requestId: scope.requestId, method, path, route, status, durationMs: Math.round(durationSeconds * 1e5) / 100 })
    },
  }
}
