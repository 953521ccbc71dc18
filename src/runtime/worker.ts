/**
 * Cloudflare Workers entry (`wrangler dev`, `wrangler deploy`). Config, logger, metrics and the app are built once
 * per isolate from the string vars in `env`; the database is built per request from the Hyperdrive binding, because
 * a postgres.js socket in workerd belongs to the request that opened it. Migrations are not run here: `npm run
 * migrate` applies them before `wrangler deploy`. Never imports PGlite or `node:` modules (postgres.js brings its own
 * `node:` polyfill imports, served by `nodejs_compat`).
 */
// Bundled as text modules by the `[[rules]]` in wrangler.toml, so /docs renders with no file system and no CDN.
import swaggerUiBundle from 'swagger-ui-dist/swagger-ui-bundle.js'
import swaggerUiCss from 'swagger-ui-dist/swagger-ui.css'
import { createApp } from '../app.ts'
import { runHourlyMaintenance, runMinuteMaintenance } from '../maintenance.ts'
import { detachedEventBus } from '../events/bus.ts'
import { lagSeconds } from '../events/deliveries.ts'
import { createEdgeEvents, type EdgeEvents } from '../events/edge.ts'
import { pruneDeliveries, retentionFromConfig } from '../events/retention.ts'
import { codeSubscriptions } from '../subscriptions.ts'
import { parseConfig, type Config } from '../core/config/schema.ts'
import { createLogger, type Logger } from '../core/monitoring/logger.ts'
import { MetricsRegistry } from '../core/monitoring/metrics.ts'
import { queryObserver, type QueryObserver } from '../core/db/instrument.ts'
import { postgresDatabase } from '../core/db/postgres.ts'
import type { Database } from '../core/db/index.ts'
import { Redis } from '@upstash/redis/cloudflare'
import { memoryRateLimiter, type RateLimiter } from '../core/auth/rate-limit.ts'
import { upstashRateLimiter } from '../core/auth/rate-limit-upstash.ts'
import { cacheFromConfig } from '../core/cache/from-config.ts'
import { upstashCacheClientOptions } from '../core/cache/upstash.ts'
import { staticDocsAssets } from '../core/http/docs-assets.ts'
import { systemClock, type Deps } from '../deps.ts'
import { paymentsRegistry, payoutProviderLookup } from '../pillars/booking/payments/registry.ts'
import { notificationProvidersFromConfig } from '../core/notifications/from-config.ts'
import { notificationChannels } from '../pillars/engagement/notifications/channels.ts'
import { perRequestDeadlines } from '../core/deadlines.ts'

export interface WorkerEnv {
  HYPERDRIVE: Hyperdrive
  /** `[vars]` and secrets: strings. */
  [name: string]: unknown
}

interface Isolate {
  deps: Deps
  app: ReturnType<typeof createApp>
  /** Event delivery through QStash: after-commit kicks and the cron sweep. */
  edge: EdgeEvents
  observe: QueryObserver
}

let isolate: Isolate | undefined

/** Built on the first event of an isolate (env only arrives with events) and reused until the isolate is evicted. */
function isolateFor(env: WorkerEnv): Isolate {
  if (isolate) return isolate
  const config = parseConfig(workerVars(env))
  const logger = createLogger({ level: config.LOG_LEVEL })
  const metrics = new MetricsRegistry()
  const observe = queryObserver(metrics, logger, config.SLOW_QUERY_MS)
  const payments = paymentsRegistry(config, { logger })
  // Workers send notifications from the cron trigger's minute maintenance (no timer between requests here).
  const providers = notificationProvidersFromConfig(config)
  for (const warning of providers.warnings) logger.warn(warning)
  const deps: Deps = {
    config,
    db: requestScopedOnly(),
    // Per isolate: the L1, the breaker and single flight are shared by the isolate's requests; Upstash by all.
    cache: cacheFromConfig(config, { redis: cacheRedisFor(config), metrics, logger }),
    logger,
    metrics,
    clock: systemClock,
    rateLimiter: rateLimiterFor(config, logger),
    docsAssets: staticDocsAssets({ 'swagger-ui-bundle.js': swaggerUiBundle, 'swagger-ui.css': swaggerUiCss }),
    events: detachedEventBus,
    payments,
    notifications: { channels: notificationChannels(config, providers) },
    payoutProviderFor: payoutProviderLookup(payments),
  }
  // Only the names and patterns are used here (claims, registration); handlers are built per delivery request.
  const edge = createEdgeEvents({ config, subscriptions: codeSubscriptions(deps), logger })
  const app = createApp(deps, {
    // A workerd timer ends with the request that set it: one shared timer would miss the next request's deadline.
    deadlines: perRequestDeadlines,
    scope: (runtime, ctx) => {
      const db = requestDatabase(runtime as WorkerEnv, config, observe)
      // The kick runs after the answer is sent, on this request's database client (a socket cannot outlive it).
      return { db, events: { afterCommit: () => ctx!.waitUntil(edge.kick(db)), lagSeconds: () => lagSeconds(db) } }
    },
  })
  isolate = { deps, app, edge, observe }
  return isolate
}

/**
 * The string vars, plus the Hyperdrive URL as DATABASE_URL: it is the Worker's database, and the production check
 * in parseConfig must see that one exists.
 */
function workerVars(env: WorkerEnv): Record<string, string | undefined> {
  const vars = Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'))
  return { ...vars, DATABASE_URL: env.HYPERDRIVE?.connectionString }
}

/** Upstash when configured: the only budget shared across isolates. In memory it is per isolate, a floor at best. */
function rateLimiterFor(config: Config, logger: Logger): RateLimiter {
  const budget = { limit: config.AUTH_RATE_LIMIT, windowSeconds: config.AUTH_RATE_WINDOW_SECONDS }
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) return memoryRateLimiter(budget)
  const redis = new Redis({ url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN })
  return upstashRateLimiter({ redis, ...budget, onError: (err) => logger.warn({ err }, 'rate limiter unavailable; allowing the attempt') })
}

/** The cache's own client: no SDK retries and an abort at CACHE_TIMEOUT_MS (the rate limiter keeps its own). */
function cacheRedisFor(config: Config): Redis | undefined {
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) return undefined
  return new Redis({ url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN, ...upstashCacheClientOptions(config.CACHE_TIMEOUT_MS) })
}

function requestDatabase(env: WorkerEnv, config: Config, observe: QueryObserver): Database {
  if (!env.HYPERDRIVE) throw new Error('The HYPERDRIVE binding is missing: see [[hyperdrive]] in wrangler.toml')
  // postgres.js connects lazily, so requests that never query (health/live, docs) open no socket.
  return postgresDatabase({ url: env.HYPERDRIVE.connectionString, perRequest: true, observe, applicationName: `kamhub-worker-${config.NODE_ENV}` })
}

/** The isolate-wide `db` slot: every request replaces it, so reaching it means code ran outside a request. */
function requestScopedOnly(): Database {
  const fail = (): never => {
    throw new Error('No database outside a request on Workers: the database is opened per request from Hyperdrive')
  }
  return {
    kind: 'postgres',
    get orm(): never {
      return fail()
    },
    scriptTransaction: async () => fail(),
    listen: async () => fail(),
    notify: async () => fail(),
    ping: async () => fail(),
    close: async () => {},
  }
}

// Workers take the handlers from the module's default export.
export default {
  fetch(request, env, ctx) {
    return isolateFor(env).app.fetch(request, env, ctx)
  },

  /**
   * The cron trigger (wrangler.toml `[triggers]`, every minute): the events sweep publishes to QStash whatever is due
   * and not in flight — deliveries whose after-commit kick was lost or refused, retries handed back by QStash, leases
   * that ran out; booking maintenance (src/maintenance.ts). On the first tick of each hour it also runs the retention
   * prune (EVENTS_*_RETENTION_DAYS) and the hourly maintenance.
   */
  async scheduled(controller, env) {
    const { deps, edge, observe } = isolateFor(env)
    const { logger, config } = deps
    const db = requestDatabase(env, config, observe)
    const tick = { cron: controller.cron, scheduledTime: new Date(controller.scheduledTime).toISOString() }
    try {
      // Maintenance first: the events it publishes go out with this tick's sweep.
      const scoped = { ...deps, db }
      const bookings = await runMinuteMaintenance(scoped)
      if (Object.values(bookings).some((n) => n > 0)) logger.info({ ...tick, ...bookings }, 'booking maintenance')
      const swept = await edge.sweep(db)
      if (swept.claimed) logger.info({ ...tick, ...swept }, 'events sweep published due deliveries to QStash')
      if (new Date(controller.scheduledTime).getUTCMinutes() === 0) {
        logger.info({ ...tick, pruned: await pruneDeliveries(db.orm, retentionFromConfig(config)) }, 'events retention prune')
        logger.info({ ...tick, ...(await runHourlyMaintenance(scoped)) }, 'hourly maintenance')
      }
    } catch (err) {
      // Thrown, the tick is marked failed in the dashboard; the next one tries again.
      logger.error({ ...tick, err }, 'cron tick failed')
      throw err
    }
  },
} satisfies ExportedHandler<WorkerEnv>
