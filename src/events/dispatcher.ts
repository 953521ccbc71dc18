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
import { claimDeliveries, lagSeconds as readLag, recordOutcomes, type ClaimedDelivery, type Outcome } from './deliveries.ts'
import { eventMetrics } from './metrics.ts'
import { EVENTS_CHANNEL } from './publish.ts'
import { registerSubscriptions, type CodeSubscription, type EventHandler } from './subscription.ts'
import { errorMessage, runDelivery } from './run-delivery.ts'
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

  function handle(d: ClaimedDelivery): Promise<Outcome> {
    return runDelivery(d, { resolveHandler, metrics: m, logger: log, poisonAfterCrashes, handlerTimeoutMs })
  }

  function resolveHandler(d: ClaimedDelivery): EventHandler {
    return d.webhook ? options.webhookHandler!(d.webhook) : bySubscription.get(d.subscription)!.handler
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
