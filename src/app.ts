/**
 * createApp(deps): the whole HTTP API, the same on Node, Deno and Workers. The envelope wraps the app's `fetch`
 * (request id, services and logger as `c.env`, security headers, deadline, logs and metrics — every answer gets
 * them); inside, CORS when configured, and for the JSON API's writes the body limit and content type. 405 is
 * decided in the not-found handler.
 */
import type { ExecutionContext } from 'hono'
import { cors } from 'hono/cors'
import { bodyLimit } from 'hono/body-limit'
import type { Deps } from './deps.ts'
import { codeSubscriptions } from './subscriptions.ts'
import type { CodeSubscription } from './events/subscription.ts'
import { internalEventRoutes } from './routes/internal-events.ts'
import { newRouter } from './routes/env.ts'
import { registerProcessMetrics } from './core/monitoring/process.ts'
import { requireJsonBody } from './core/http/content-type.ts'
import { envelope, type HeaderSink } from './core/http/envelope.ts'
import type { RawHeaderSource } from './core/http/request-headers.ts'
import { MatchRecorder } from './core/http/match-recorder.ts'
import type { WatchDeadline } from './core/deadlines.ts'
import { allowedMethodsFor } from './core/http/method-not-allowed.ts'
import { onError, renderProblem } from './core/http/on-error.ts'
import { DomainError } from './core/errors.ts'
import { healthRoutes } from './routes/health.ts'
import { docsRoutes } from './routes/docs.ts'
import { authRoutes } from './routes/auth.ts'
import { meRoutes } from './routes/me.ts'
import { adminUserRoutes } from './routes/admin-users.ts'
import { adminEventRoutes } from './routes/admin-events.ts'
import { adminSubscriptionRoutes } from './routes/admin-subscriptions.ts'
import { asyncApiRoutes } from './routes/asyncapi.ts'
import { tourRoutes } from './routes/tours.ts'
import { operatorRoutes } from './routes/operators.ts'
import { ticketRoutes } from './routes/tickets.ts'
import { adminPayoutRoutes } from './routes/admin-payouts.ts'
import { bookingRoutes } from './routes/bookings.ts'
import { adminNotificationPreviewRoutes } from './routes/admin-notification-preview.ts'
import { paymentRoutes } from './routes/payments.ts'
import { sandboxPageRoutes, webhookRoutes } from './routes/webhooks.ts'
import { notificationRoutes } from './routes/notifications.ts'
import { notificationWebhookRoutes } from './routes/notification-webhooks.ts'

/**
 * The methods whose bodies are read: the body limit and the JSON check run on these only. A GET or HEAD body is never
 * read, the stock body limit would build a full Fetch Request to look for one, and a read that matches no middleware
 * stays off Hono's asynchronous chain (see core/http/envelope.ts).
 */
const WRITES = ['POST', 'PUT', 'PATCH', 'DELETE']

export interface AppOptions {
  /**
   * Per-request overrides of the shared deps, from the runtime's bindings and context. The Worker uses it for its
   * database: a postgres.js client cannot outlive the request that opened it there.
   */
  scope?: (runtime: unknown, ctx: ExecutionContext | undefined) => Partial<Deps>
  /** The code subscriptions the QStash deliver endpoint runs; default: the app's own (src/subscriptions.ts). */
  subscriptions?: (deps: Deps) => CodeSubscription[]
  /** The runtime's fast way to set the headers every answer carries (Node: on its ServerResponse). */
  headerSink?: HeaderSink
  /** How request deadlines are timed: one shared timer (default) or a timer per request (Workers; see deadlines.ts). */
  deadlines?: (ms: number) => WatchDeadline
  /** The runtime's raw request header list, where it has one (Node: read instead of the Fetch API `Headers`). */
  rawHeaders?: RawHeaderSource
}

export function createApp(deps: Deps, { scope, subscriptions = codeSubscriptions, headerSink, deadlines, rawHeaders }: AppOptions = {}) {
  const { config } = deps
  const recorder = new MatchRecorder()
  const app = newRouter(recorder)

  registerProcessMetrics(deps.metrics)
  if (config.CORS_ORIGINS.length) {
    app.use(
      '*',
      cors({
        origin: config.CORS_ORIGINS.includes('*') ? '*' : config.CORS_ORIGINS,
        allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
        exposeHeaders: ['X-Request-Id', 'Retry-After', 'ETag'],
        maxAge: 600,
      }),
    )
  }
  // Provider webhooks are read whole before their signature is checked: the same cap keeps a forged giant out.
  const bodyCap = bodyLimit({
    maxSize: config.BODY_LIMIT_BYTES,
    onError: (c) => renderProblem(c, new DomainError('payload_too_large', `The request body exceeds ${config.BODY_LIMIT_BYTES} bytes`)),
  })
  app.on(WRITES, ['/v1/*', '/webhooks/*'], bodyCap)
  app.on(WRITES, '/v1/*', requireJsonBody())

  const routes = app.route('/', healthRoutes).route('/', docsRoutes).route('/', authRoutes).route('/', meRoutes).route('/', adminUserRoutes)
    .route('/', adminEventRoutes)
    .route('/', adminSubscriptionRoutes)
    .route('/', asyncApiRoutes)
    .route('/', tourRoutes)
    .route('/', operatorRoutes)
    .route('/', ticketRoutes)
    .route('/', adminPayoutRoutes)
    .route('/', bookingRoutes)
    .route('/', paymentRoutes)
    .route('/', notificationRoutes)
    .route('/', adminNotificationPreviewRoutes)

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'KamHub API',
      version: '0.1.0',
      description: 'Tours in Kamchatka: discovery, booking, payments and notifications. Errors are RFC 9457 problem+json.',
    },
  })
  // Provider webhooks and the dev sandbox page: not part of the app API (typed client, /openapi.json).
  app.route('/', webhookRoutes).route('/', sandboxPageRoutes).route('/', notificationWebhookRoutes)
  // QStash's way back in (Workers event delivery): internal, so in neither the typed client nor /openapi.json.
  app.route('/', internalEventRoutes({ subscriptions }))
  const allowedMethods = allowedMethodsFor(app)
  app.notFound((c) => {
    // A route that answers 404 itself (an unknown id) also ends here: only a path served under other methods is a 405.
    const methods = allowedMethods(c.req.path)
    if (methods.length && !methods.includes(c.req.method)) {
      const allow = methods.join(', ')
      return renderProblem(c, new DomainError('method_not_allowed', `${c.req.method} is not allowed here; use ${allow}`, { headers: { Allow: allow } }))
    }
    return renderProblem(c, new DomainError('not_found', `No route for ${c.req.method} ${c.req.path}`))
  })
  app.onError(onError)
  // Every way in (a runtime's fetch, app.request in tests, the typed client) goes through the envelope.
  routes.fetch = envelope(routes.fetch, {
    deps,
    routes: recorder,
    scope,
    headerSink,
    deadlines,
    rawHeaders,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    // On every answer, the set OWASP's REST Security Cheat Sheet asks of an API: no MIME sniffing, no framing, and a
    // policy that lets a response run nothing should a browser ever render one (an HTML page sets its own).
    headers: {
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
    },
    // On HTML answers (/docs, the dev inbox): these act on a rendered document only — the windows it opens, the
    // Referer its links send, who may load it — so on JSON they would do nothing. Each header costs time on every
    // answer it is on (Node validates each name and value; npm run bench). Left out everywhere: X-XSS-Protection
    // (the filter it controlled is gone from browsers), X-Download-Options (old Internet Explorer),
    // X-DNS-Prefetch-Control, X-Permitted-Cross-Domain-Policies (Flash/PDF plug-ins) and Origin-Agent-Cluster.
    documentHeaders: {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Referrer-Policy': 'no-referrer',
    },
    // Only on HTTPS: a browser ignores it over plain HTTP, where RFC 6797 forbids sending it.
    secureTransportHeaders: { 'Strict-Transport-Security': 'max-age=15552000; includeSubDomains' },
  }) as typeof routes.fetch
  return routes
}

export type AppType = ReturnType<typeof createApp>
