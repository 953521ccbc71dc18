/**
 * The dispatcher for long-running servers (Node, Deno): claims due deliveries in batches and runs their
 * handlers. NOTIFY wakes it within a millisecond of a commit; a poll is the backstop when notifications are
 * lost (listener reconnecting, NOTIFY disabled). Several dispatchers — in one process or many — share the
 * work through SKIP LOCKED claims; an outcome is only recorded by the lease owner.
 *
 * Guarantees: at-least-once delivery; a handler that throws is retried with backoff until `maxAttempts`, then
 * dead; a worker that dies mid-handler loses its lease and the delivery runs again; a delivery whose claims keep
 * ending without an outcome (it crashes the worker) is set aside as poison after `poisonAfterCrashes`.
 */
import type { Database, Unlisten } from '../core/db/index.ts'
import type { Logger } from '../core/monitoring/logger.ts'
import type { MetricsRegistry } from '../core/monitoring/metrics.ts'
import { backoffDelayMs } from './backoff.ts'
import { claimDeliveries, lagSeconds as readLag, recordOutcomes, RejectedDeliveryError, type ClaimedDelivery, type Outcome } from './deliveries.ts'
import { eventMetrics } from './metrics.ts'
import { EVENTS_CHANNEL } from './publish.ts'
import { registerSubscriptions, type CodeSubscription, type EventHandler } from './subscription.ts'
import type { WebhookTarget } from './webhooks.ts'
import { uuidv7 } from './envelope.ts'

export interface DispatcherOptions {
  db: Database
  subscriptions: CodeSubscription[]
  logger: Logger
  metrics: MetricsRegistry
  /** Deliveries claimed per round. */
  batchSize?: number
  /** Claim loops running side by side (PGlite is one session: keep 1 there). */
  loops?: number
  leaseMs?: number
  /** A handler running longer than this fails its attempt (keep it below leaseMs). */
  handlerTimeoutMs?: number
  pollIntervalMs?: number
  poisonAfterCrashes?: number
  /** Wake on NOTIFY (default); false leaves only the poll. */
  listen?: boolean
  heartbeatMs?: number
  /**
   * Delivers HTTP subscriptions (partner webhooks stored in the database) too: builds the handler for a claimed
   * delivery from its target (see `createWebhookSender`). Targets are read with each claim, so a new
   * subscription, a rotated secret or a deactivation takes effect without a restart.
   */
  webhookHandler?: (target: WebhookTarget) => EventHandler
}

export interface Dispatcher {
  readonly owner: string
  start(): Promise<void>
  /** Finishes in-flight batches, then stops; claimed work is either recorded or released. */
  stop(): Promise<void>
  /** Wakes the loops now (after a local commit, or on NOTIFY). */
  kick(): void
  /** Runs rounds until nothing is due (tests, CLIs, cron sweeps). Returns the deliveries handled. */
  drain(): Promise<number>
  /** Seconds the oldest due delivery has waited (0 when none). */
  lagSeconds(): Promise<number>
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const {
    db,
    subscriptions,
    logger,
    batchSize = 100,
    loops = db.kind === 'pglite' ? 1 : 2,
    leaseMs = 30_000,
    handlerTimeoutMs = Math.floor((options.leaseMs ?? 30_000) * 0.8),
    pollIntervalMs = 2_000,
    poisonAfterCrashes = 3,
    listen = true,
    heartbeatMs = 10_000,
  } = options
  const owner = `${uuidv7()}`
  const bySubscription = new Map(subscriptions.map((s) => [s.name, s]))
  const names = [...bySubscription.keys()]
  const m = eventMetrics(options.metrics)
  const log = logger.child({ component: 'dispatcher' })

  let running = false
  let dirty = false
  let waiters: Array<() => void> = []
  let loopsDone: Promise<void>[] = []
  let unlisten: Unlisten | undefined
  let lagTimer: ReturnType<typeof setInterval> | undefined

  function kick() {
    dirty = true
    const w = waiters
    waiters = []
    for (const wake of w) wake()
  }

  function waitForWake(): Promise<void> {
    if (dirty || !running) {
      dirty = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, pollIntervalMs)
      function done() {
        clearTimeout(timer)
        waiters = waiters.filter((w) => w !== done)
        dirty = false
        resolve()
      }
      waiters.push(done)
    })
  }

  async function runRound(): Promise<number> {
    const claimed = await claimDeliveries(db.orm, { subscriptions: names, limit: batchSize, leaseMs, owner, includeWebhooks: Boolean(options.webhookHandler) })
    if (!claimed.length) return 0
    const outcomes = await Promise.all(claimed.map(handle))
    await recordOutcomes(db.orm, owner, outcomes)
    return claimed.length
  }

  async function handle(d: ClaimedDelivery): Promise<Outcome> {
    const handler = d.webhook ? options.webhookHandler!(d.webhook) : bySubscription.get(d.subscription)!.handler
    if (d.crashes >= poisonAfterCrashes) {
      m.dead.inc({ subscription: d.subscription, reason: 'poison' })
      log.error({ deliveryId: d.id, eventId: d.event.id, subscription: d.subscription, crashes: d.crashes }, 'delivery set aside as poison')
      return { id: d.id, result: 'dead', reason: 'poison', error: `claimed ${d.crashes} times without an outcome` }
    }
    try {
      await withTimeout(
        handler(d.event, { eventId: d.event.id, deliveryId: d.id, attempt: d.attempt, subscription: d.subscription }),
        handlerTimeoutMs,
      )
      m.delivered.inc({ subscription: d.subscription })
      m.latency.observe((Date.now() - d.createdAt.getTime()) / 1000, { subscription: d.subscription })
      return { id: d.id, result: 'delivered' }
    } catch (error) {
      const message = errorMessage(error)
      if (error instanceof RejectedDeliveryError) {
        m.dead.inc({ subscription: d.subscription, reason: 'rejected' })
        log.error({ deliveryId: d.id, eventId: d.event.id, subscription: d.subscription, attempt: d.attempt, error: message }, 'delivery rejected; not retried')
        return { id: d.id, result: 'dead', reason: 'rejected', error: message }
      }
      if (d.attempt >= d.maxAttempts) {
        m.dead.inc({ subscription: d.subscription, reason: 'max_attempts' })
        log.error({ deliveryId: d.id, eventId: d.event.id, subscription: d.subscription, attempt: d.attempt, error: message }, 'delivery dead after max attempts')
        return { id: d.id, result: 'dead', reason: 'max_attempts', error: message }
      }
      m.failed.inc({ subscription: d.subscription })
      const delayMs = backoffDelayMs(d.attempt, { baseMs: d.backoffBaseMs, maxMs: d.backoffMaxMs })
      log.warn({ deliveryId: d.id, eventId: d.event.id, subscription: d.subscription, attempt: d.attempt, delayMs, error: message }, 'delivery failed; will retry')
      return { id: d.id, result: 'retry', error: message, delayMs }
    }
  }

  async function loop() {
    while (running) {
      let handled = 0
      try {
        handled = await runRound()
      } catch (error) {
        m.claimErrors.inc()
        log.warn({ error: errorMessage(error) }, 'dispatch round failed; retrying after the poll interval')
      }
      if (handled < batchSize) await waitForWake()
    }
  }

  const lagSeconds = () => readLag(db.orm)

  return {
    owner,
    kick,
    lagSeconds,
    async start() {
      if (running) return
      await registerSubscriptions(db.orm, subscriptions)
      running = true
      if (listen) {
        unlisten = await db.listen(EVENTS_CHANNEL, kick, {
          heartbeatMs,
          onListen: kick, // after a reconnect, sweep what was notified while nobody listened
          onError: (error) => log.warn({ error: errorMessage(error) }, 'event listener lost its connection; reconnecting'),
        })
      }
      loopsDone = Array.from({ length: loops }, () => loop())
      // Gauges must be read synchronously at scrape time, so the lag is refreshed on the poll cadence.
      lagTimer = setInterval(() => {
        lagSeconds().then((seconds) => m.lag.set(seconds), () => {})
      }, pollIntervalMs)
      log.info({ owner, subscriptions: names, loops, batchSize, listen }, 'dispatcher started')
    },
    async stop() {
      if (!running) return
      running = false
      clearInterval(lagTimer)
      kick()
      await unlisten?.()
      await Promise.all(loopsDone)
      log.info({ owner }, 'dispatcher stopped')
    },
    async drain() {
      await registerSubscriptions(db.orm, subscriptions)
      let total = 0
      for (;;) {
        const n = await runRound()
        total += n
        if (n === 0) return total
      }
    },
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`handler timed out after ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
