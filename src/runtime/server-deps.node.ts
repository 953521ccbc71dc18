/**
 * Adapters for long-running servers (Node and Deno): config from the environment, pino to stdout, PGlite under
 * DATA_DIR or a postgres.js pool, migrations at start-up. Returns the deps and the function that releases them.
 */
import { mkdir } from 'node:fs/promises'
import { parseConfig, assertDevAdapterAllowed, type Config } from '../core/config/schema.ts'
import { createLogger, type Logger } from '../core/monitoring/logger.ts'
import { bufferedDestination } from '../core/monitoring/logger.node.ts'
import { MetricsRegistry } from '../core/monitoring/metrics.ts'
import { registerNodeProcessMetrics } from '../core/monitoring/process.node.ts'
import { queryObserver } from '../core/db/instrument.ts'
import { postgresDatabase } from '../core/db/postgres.ts'
import { pgliteThreadDatabase } from '../core/db/pglite-thread.node.ts'
import { migrate } from '../core/db/migrate.ts'
import { loadMigrations } from '../core/db/migrations.node.ts'
import { memoryRateLimiter, type RateLimiter } from '../core/auth/rate-limit.ts'
import { bootstrapAdmin } from '../core/auth/bootstrap.ts'
import { nodeDocsAssets } from '../core/http/docs-assets.node.ts'
import { cacheFromConfig } from '../core/cache/from-config.ts'
import { upstashCacheClientOptions } from '../core/cache/upstash.ts'
import { keepTickObjectShape } from './tick-object-shape.node.ts'
import { settleTimerShape } from './timer-shape.node.ts'
import type { Cache } from '../core/cache/index.ts'
import type { Database } from '../core/db/index.ts'
import { systemClock, type Deps } from '../deps.ts'
import { paymentsRegistry, payoutProviderLookup } from '../pillars/booking/payments/registry.ts'
import { createDispatcher, type Dispatcher } from '../events/dispatcher.ts'
import { lagSeconds } from '../events/deliveries.ts'
import { codeSubscriptions } from '../subscriptions.ts'
import { createWebhookSender } from '../events/webhooks.ts'
import { pruneDeliveries, retentionFromConfig } from '../events/retention.ts'
import { runHourlyMaintenance, runMinuteMaintenance } from '../maintenance.ts'
import { seedIfEmpty } from '../pillars/discovery/seed.ts'
import { notificationProvidersFromConfigNode } from '../core/notifications/from-config.node.ts'
import { notificationChannels } from '../pillars/engagement/notifications/channels.ts'
import { startNotificationWorker, type NotificationWorker } from '../pillars/engagement/notifications/worker.ts'

export interface ServerDeps {
  deps: Deps
  /** Starts background work (the event dispatcher) once the server is ready to serve. */
  start(): Promise<void>
  /**
   * Resolves when the background work start() began has finished (the first-run demo seed of the embedded default,
   * then the first maintenance pass).
   * The server answers before it; benchmarks wait for it so they measure the steady state, not a loading database.
   */
  settled(): Promise<void>
  /** Stops background work, then releases the database. */
  close(): Promise<void>
}

export async function buildServerDeps(env: Record<string, string | undefined>): Promise<ServerDeps> {
  // Without it, the first idle spell leaves every nextTick slower for the rest of the process (see the module).
  keepTickObjectShape()
  // Without it, the first fractional timer delay deoptimises the HTTP path mid-serving (see the module).
  settleTimerShape()
  const config = parseConfig(env)
  const logger = createLogger({ level: config.LOG_LEVEL, destination: bufferedDestination() })
  const metrics = new MetricsRegistry()
  registerNodeProcessMetrics(metrics)
  const db = await openDatabase(config, logger, metrics)
  try {
    if (config.MIGRATE_ON_START) {
      const result = await migrate(db, await loadMigrations())
      if (result.applied.length) logger.info({ applied: result.applied }, 'migrations applied')
    }
    const events = { afterCommit: () => dispatcher?.kick(), lagSeconds: () => lagSeconds(db) }
    const payments = paymentsRegistry(config, { logger })
    const providers = notificationProvidersFromConfigNode(config)
    for (const warning of providers.warnings) logger.warn(warning)
    // The queue worker is started with the dispatcher (start()); until then a kick does nothing.
    let notificationWorker: NotificationWorker | undefined
    const notifications = { channels: notificationChannels(config, providers), kick: () => notificationWorker?.kick() }
    if (notifications.channels.devInbox) logger.info('notification channels without a provider store messages in the dev inbox (/dev/inbox)')
    const deps: Deps = {
      config,
      db,
      cache: await buildCache(config, logger, metrics),
      logger,
      metrics,
      clock: systemClock,
      rateLimiter: await buildRateLimiter(config, logger),
      docsAssets: nodeDocsAssets(),
      events,
      payments,
      notifications,
      payoutProviderFor: payoutProviderLookup(payments),
    }
    await bootstrapAdmin(deps)
    const dispatcher: Dispatcher | undefined = config.EVENTS_DISPATCHER
      ? createDispatcher({
          db,
          subscriptions: codeSubscriptions(deps),
          logger,
          metrics,
          batchSize: config.EVENTS_BATCH_SIZE,
          loops: config.EVENTS_CLAIM_LOOPS,
          leaseMs: config.EVENTS_LEASE_MS,
          push: config.EVENTS_PUSH,
          pollIntervalMs: config.EVENTS_POLL_INTERVAL_MS,
          webhookHandler: createWebhookSender({ db: db.orm }),
        })
      : undefined
    // Retention runs where deliveries run: hourly, and once shortly after start-up.
    let retentionTimer: ReturnType<typeof setInterval> | undefined
    let firstPrune: ReturnType<typeof setTimeout> | undefined
    const prune = () => {
      void pruneDeliveries(db.orm, retentionFromConfig(config)).then(
        (result) => logger.info({ ...result }, 'event retention pruned'),
        (error) => logger.warn({ err: error }, 'event retention failed; retrying next hour'),
      )
      void runHourlyMaintenance(deps).then(
        (result) => logger.info(result, 'hourly maintenance done'),
        (error) => logger.warn({ err: error }, 'hourly maintenance failed; retrying next hour'),
      )
    }
    // Booking holds expire to the minute; one tick at a time (a slow tick is skipped, not stacked).
    let minuteTimer: ReturnType<typeof setInterval> | undefined
    let ticking: Promise<void> | undefined
    const tick = (): Promise<void> =>
      (ticking ??= runMinuteMaintenance(deps)
        .then(
          (result) => {
            if (Object.values(result).some((n) => n > 0)) logger.info(result, 'booking maintenance')
          },
          (error) => logger.warn({ err: error }, 'booking maintenance failed; retrying next minute'),
        )
        .finally(() => (ticking = undefined)))
    let seeding: Promise<void> | undefined
    let firstTick: Promise<void> | undefined
    return {
      deps,
      start: async () => {
        await dispatcher?.start()
        if (dispatcher) {
          retentionTimer = setInterval(prune, 3_600_000)
          retentionTimer.unref?.()
          firstPrune = setTimeout(prune, 60_000)
          firstPrune.unref?.()
          minuteTimer = setInterval(() => void tick(), 60_000)
          minuteTimer.unref?.()
          // Notifications go out within NOTIFY_POLL_INTERVAL_MS (or at once when a subscriber kicks), not at the minute.
          notificationWorker = startNotificationWorker(deps)
        }
        // First run of the embedded default: the demo catalogue loads in the background; the server answers at once.
        if (db.kind === 'pglite') seeding = seedIfEmpty(deps)
        // A first pass now, not a minute after start-up: holds that expired while the server was down (a deploy, a
        // crash) go back on sale at once, and the maintenance code has run once before the server is under load, so
        // V8 does not first compile (and re-optimise around) it in the middle of serving.
        if (dispatcher) firstTick = seeding ? seeding.then(tick) : tick()
      },
      settled: async () => {
        await seeding
        await firstTick
      },
      close: async () => {
        clearInterval(retentionTimer)
        clearInterval(minuteTimer)
        clearTimeout(firstPrune)
        await seeding
        // A pass in flight (the first one included, which waits for the seed) finishes before the database closes.
        await firstTick
        await ticking
        await dispatcher?.stop()
        await notificationWorker?.stop()
        for (const p of providers.push) await p.close?.()
        await db.close()
        logger.flush() // batched log lines (logger.node.ts) go out before the process reports it stopped
      },
    }
  } catch (error) {
    await db.close()
    throw error
  }
}

/** Upstash when configured (one budget across processes), else in memory (one process). */
async function buildRateLimiter(config: Config, logger: Logger): Promise<RateLimiter> {
  const budget = { limit: config.AUTH_RATE_LIMIT, windowSeconds: config.AUTH_RATE_WINDOW_SECONDS }
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) return memoryRateLimiter(budget)
  // Loaded only when used, so a plain `npm start` does not pay for the Upstash SDK.
  const [{ Redis }, { upstashRateLimiter }] = await Promise.all([import('@upstash/redis'), import('../core/auth/rate-limit-upstash.ts')])
  const redis = new Redis({ url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN })
  return upstashRateLimiter({ redis, ...budget, onError: (err) => logger.warn({ err }, 'rate limiter unavailable; allowing the attempt') })
}

/** Upstash when configured (shared by every process), else in memory (this process only). */
async function buildCache(config: Config, logger: Logger, metrics: MetricsRegistry): Promise<Cache> {
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) return cacheFromConfig(config, { metrics, logger })
  // Loaded only when used, like the rate limiter's client.
  const { Redis } = await import('@upstash/redis')
  const redis = new Redis({ url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN, ...upstashCacheClientOptions(config.CACHE_TIMEOUT_MS) })
  return cacheFromConfig(config, { redis, metrics, logger })
}

export async function openDatabase(config: Config, logger: Logger, metrics: MetricsRegistry): Promise<Database> {
  const observe = queryObserver(metrics, logger, config.SLOW_QUERY_MS)
  if (config.DATABASE_URL) return postgresDatabase({ url: config.DATABASE_URL, max: config.DATABASE_POOL_MAX, observe })
  assertDevAdapterAllowed(config, 'The embedded PGlite database')
  await mkdir(config.DATA_DIR, { recursive: true })
  logger.info({ dataDir: config.DATA_DIR }, 'using the embedded PGlite database (dev only)')
  // In its own thread: PGlite's WebAssembly (and its extensions) kept off the thread that serves HTTP.
  return pgliteThreadDatabase({ dataDir: config.DATA_DIR, observe })
}
