/**
 * createApp(deps): the whole HTTP API, the same on Node, Deno and Workers. Middleware order matters:
 * request id first (every answer carries it), then services on the context, observation (logs + metrics),
 * 405 detection, security headers, CORS, the timeout, and for the JSON API the body limit and content type.
 */
import type { Context } from 'hono'
import { cors } from 'hono/cors'
import { secureHeaders } from 'hono/secure-headers'
import { timeout } from 'hono/timeout'
import { bodyLimit } from 'hono/body-limit'
import { methodNotAllowed } from 'hono/method-not-allowed'
import { HTTPException } from 'hono/http-exception'
import type { Deps } from './deps.ts'
import { codeSubscriptions } from './subscriptions.ts'
import type { CodeSubscription } from './events/subscription.ts'
import { internalEventRoutes } from './routes/internal-events.ts'
import { newRouter } from './routes/env.ts'
import { requestId } from './core/http/request-id.ts'
import { observeRequests } from './core/http/observe.ts'
import { registerProcessMetrics } from './core/monitoring/process.ts'
import { requireJsonBody } from './core/http/content-type.ts'
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
import { bookingRoutes } from './routes/bookings.ts'

export interface AppOptions {
  /**
   * Per-request overrides of the shared deps. The Worker uses it for its database: a postgres.js client cannot
   * outlive the request that opened it there.
   */
  scope?: (c: Context) => Partial<Deps>
  /** The code subscriptions the QStash deliver endpoint runs; default: the app's own (src/subscriptions.ts). */
  subscriptions?: (deps: Deps) => CodeSubscription[]
}

export function createApp(deps: Deps, { scope, subscriptions = codeSubscriptions }: AppOptions = {}) {
  const { config } = deps
  const app = newRouter()

  app.use('*', requestId())
  app.use('*', async function provideDeps(c, next) {
    c.set('deps', scope ? { ...deps, ...scope(c) } : deps)
    await next()
  })
  app.use('*', observeRequests(deps.metrics, deps.logger))
  registerProcessMetrics(deps.metrics)
  app.use(
    '*',
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        renderProblem(c, new DomainError('method_not_allowed', `${c.req.method} is not allowed here; use ${methods.join(', ')}`, { headers: { Allow: methods.join(', ') } })),
    }),
  )
  // The headers that protect a JSON API and its /docs page. Left out: X-XSS-Protection (the filter it controlled is
  // gone from browsers), X-Download-Options (old Internet Explorer), X-DNS-Prefetch-Control and
  // X-Permitted-Cross-Domain-Policies (Flash/PDF plug-ins) and Origin-Agent-Cluster — each header costs ~1 µs per
  // response on Node 20 (npm run bench) and these protect nothing here.
  app.use(
    '*',
    secureHeaders({
      crossOriginResourcePolicy: 'cross-origin',
      crossOriginOpenerPolicy: 'same-origin',
      xXssProtection: false,
      xDownloadOptions: false,
      xDnsPrefetchControl: false,
      xPermittedCrossDomainPolicies: false,
      originAgentCluster: false,
    }),
  )
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
  app.use('*', timeout(config.REQUEST_TIMEOUT_MS, () => new HTTPException(504, { message: `The request took longer than ${config.REQUEST_TIMEOUT_MS} ms` })))
  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: config.BODY_LIMIT_BYTES,
      onError: (c) => renderProblem(c, new DomainError('payload_too_large', `The request body exceeds ${config.BODY_LIMIT_BYTES} bytes`)),
    }),
  )
  app.use('/v1/*', requireJsonBody())

  const routes = app.route('/', healthRoutes).route('/', docsRoutes).route('/', authRoutes).route('/', meRoutes).route('/', adminUserRoutes)
    .route('/', adminEventRoutes)
    .route('/', adminSubscriptionRoutes)
    .route('/', asyncApiRoutes)
    .route('/', tourRoutes)
    .route('/', operatorRoutes)
    .route('/', bookingRoutes)

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'KamHub API',
      version: '0.1.0',
      description: 'Tours in Kamchatka: discovery, booking, payments and notifications. Errors are RFC 9457 problem+json.',
    },
  })
  // QStash's way back in (Workers event delivery): internal, so in neither the typed client nor /openapi.json.
  app.route('/', internalEventRoutes({ subscriptions }))
  app.notFound((c) => renderProblem(c, new DomainError('not_found', `No route for ${c.req.method} ${c.req.path}`)))
  app.onError(onError((c) => c.get('logger') ?? deps.logger))
  return routes
}

export type AppType = ReturnType<typeof createApp>
