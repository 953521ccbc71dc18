/**
 * The dispatcher for long-running servers (Node, Deno): claims due deliveries in batches and runs their
 * handlers. NOTIFY wakes it within a millisecond of a commit, and an idle loop also wakes when its own next retry
 * falls due; a poll is the backstop for the rest (a crashed process's leases, notifications lost while the
 * listener reconnected). Several dispatchers — in one process or many — share the work through SKIP LOCKED
 * claims; an outcome is only recorded by the lease owner.
 *
 * A NOTIFY wakes one idle claim loop, never all of them; handlers run while the loop claims on, and their outcomes
 * are recorded in batches beside the claims (asynchronous commit: a lost outcome is a redelivery after the lease).
 * Successes ride on the next claim's own statement when one comes within `outcomeLingerMs`: under steady load a
 * delivery then costs the database one statement, not two.
 *
 * With `push`, a fresh delivery usually skips the claim: this dispatcher owns pushes, publishers lease its deliveries
 * to it in their own transactions, and the NOTIFY carries them (push.ts); a claim still takes everything else.
 *
 * Guarantees: at-least-once delivery; a handler that throws is retried with backoff until `maxAttempts`, then
 * dead; a worker that dies mid-handler loses its lease and the delivery runs again; a delivery whose claims keep
 * ending without an outcome (it crashes the worker) is set aside as poison after `poisonAfterCrashes`.
 */
import type { Database, Unlisten } from '../core/db/index.ts'
import { sharedDeadlines } from '../core/deadlines.ts'
import type { Logger } from '../core/monitoring/logger.ts'
import type { MetricsRegistry } from '../core/monitoring/metrics.ts'
import { claimDeliveries, lagSeconds as readLag, recordOutcomes, type ClaimedDelivery, type Outcome } from './deliveries.ts'
import { eventMetrics } from './metrics.ts'
import { EVENTS_CHANNEL } from './publish.ts'
import { registerSubscriptions, type CodeSubscription, type EventHandler } from './subscription.ts'
import { errorMessage, runDelivery } from './run-delivery.ts'
import { DueTimes } from './due-times.ts'
import type { WebhookTarget } from './webhooks.ts'
import { uuidv7 } from './envelope.ts'
import { AdoptionWindow } from './adoption-window.ts'
import { adoptPushes, claimPushOwnership, parsePushNotice, pushedDeliveries, releasePushes, resignPushOwnership } from './push.ts'

export interface DispatcherOptions {
  db: Database
  subscriptions: CodeSubscription[]
  logger: Logger
  metrics: MetricsRegistry
  /** Deliveries claimed per round. */
  batchSize?: number
  /** Claim loops running side by side on PostgreSQL (default 2). PGlite is one session: it always runs one. */
  loops?: number
  leaseMs?: number
  /** A handler running longer than this fails its attempt (keep it below leaseMs). */
  handlerTimeoutMs?: number
  /** The longest an idle loop sleeps (NOTIFY, a local commit and its own retries wake it sooner). */
  pollIntervalMs?: number
  poisonAfterCrashes?: number
  /** Wake on NOTIFY (default); false leaves only the poll. */
  listen?: boolean
  heartbeatMs?: number
  /**
   * How long a successful outcome may wait to ride on the next claim's statement before it is recorded on its own.
   * Under steady load a claim comes within milliseconds, so the dispatcher makes one round trip per batch instead
   * of two; an idle dispatcher records it after this long. 0 records every outcome at once.
   */
  outcomeLingerMs?: number
  /**
   * Delivers HTTP subscriptions (partner webhooks stored in the database) too: builds the handler for a claimed
   * delivery from its target (see `createWebhookSender`). Targets are read with each claim, so a new
   * subscription, a rotated secret or a deactivation takes effect without a restart.
   */
  webhookHandler?: (target: WebhookTarget) => EventHandler
  /**
   * Take the push ownership while listening (push.ts): publishers then lease this dispatcher's fresh deliveries to it
   * in their own transactions and the NOTIFY carries them, so handlers start without a claim round trip. One
   * dispatcher per database owns pushes at a time; the others claim as before (and take over the ownership when it
   * expires, `heartbeatMs` × 3 after the owner's last renewal). Needs `listen`.
   */
  push?: boolean
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

/** How long after an adoption a delivery may still arrive pushed too (NOTIFYs come within milliseconds). */
const ADOPTION_WINDOW_MS = 60_000

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const {
    db,
    subscriptions,
    logger,
    batchSize = 100,
    leaseMs = 30_000,
    handlerTimeoutMs = Math.floor((options.leaseMs ?? 30_000) * 0.8),
    pollIntervalMs = 30_000,
    poisonAfterCrashes = 3,
    listen = true,
    heartbeatMs = 10_000,
    outcomeLingerMs = 10,
  } = options
  const loops = db.kind === 'pglite' ? 1 : (options.loops ?? 2)
  const push = listen && options.push === true
  const owner = `${uuidv7()}`
  const bySubscription = new Map(subscriptions.map((s) => [s.name, s]))
  const names = [...bySubscription.keys()]
  // Ordered subscriptions are never pushed: their next event waits for the previous outcome, which a claim checks.
  const pushableNames = subscriptions.filter((s) => !s.ordered).map((s) => s.name)
  const m = eventMetrics(options.metrics)
  const log = logger.child({ component: 'dispatcher' })
  // Every handler has the same timeout: one timer watches them all (a timer per delivery showed in drain profiles).
  const watchDeadline = sharedDeadlines(handlerTimeoutMs)

  // Deliveries claimed whose outcome is not recorded yet (claims under way included): at most batchSize × loops.
  const maxInFlight = batchSize * loops
  let inFlight = 0
  // The part of inFlight that claims under way have reserved (a batch each) and not filled yet.
  let reservedByClaims = 0
  let running = false
  // A wake-up no loop has answered yet: the next loop to finish a claim claims again instead of waiting.
  let wakePending = false
  let idle: Array<() => void> = []
  let roomWaiters: Array<() => void> = []
  let loopsDone: Promise<void>[] = []
  const handling = new Set<Promise<void>>()
  // Ids of deliveries running or whose outcome is not recorded yet: a push of one of them is a duplicate, and a
  // reconnected owner adopts only the others (adoptLostPushes).
  const busy = new Set<string>()
  let unlisten: Unlisten | undefined
  // Push ownership: renewed every heartbeat while the listening connection is up, given up when it drops.
  let listening = false
  let listenedBefore = false
  let renewTimer: ReturnType<typeof setInterval> | undefined
  let stopLagRefresh: (() => void) | undefined
  // Retries this process recorded, by when they fall due (estimated after the UPDATE: never before the database's).
  const retriesDue = new DueTimes()

  /**
   * One wake-up wakes ONE idle loop: a burst of NOTIFYs becomes a claim per idle loop at most, and a loop that is
   * busy answers the rest with one more claim when it finishes. (Waking every loop per NOTIFY had all of them race
   * for the same row, all but one coming back empty.)
   */
  function kick() {
    const wake = idle.shift()
    if (wake) wake()
    else wakePending = true
  }

  function wakeEveryone() {
    for (const wake of [...idle, ...roomWaiters]) wake()
    idle = []
    roomWaiters = []
  }

  function waitForWake(): Promise<void> {
    if (wakePending || !running) {
      wakePending = false
      return Promise.resolve()
    }
    const nextRetry = retriesDue.next()
    const sleepMs = nextRetry === undefined ? pollIntervalMs : Math.min(pollIntervalMs, Math.max(0, nextRetry - Date.now()))
    return new Promise((resolve) => {
      const timer = setTimeout(done, sleepMs)
      function done() {
        clearTimeout(timer)
        idle = idle.filter((w) => w !== done)
        resolve()
      }
      idle.push(done)
    })
  }

  // A claim asks for a whole batch: each loop keeps at most batchSize deliveries in flight, as when it waited for them.
  // Outcomes lingering for the next claim do not count: that claim records them (takeLingering).
  async function waitForRoom(): Promise<void> {
    // Every waiter is woken when room frees; the first to claim may take it again, so look once more.
    while (running && inFlight - lingering.length + batchSize > maxInFlight) await new Promise<void>((resolve) => roomWaiters.push(resolve))
  }

  function freeRoom(n: number) {
    inFlight -= n
    wakeRoomWaiters()
  }

  function wakeRoomWaiters() {
    const w = roomWaiters
    roomWaiters = []
    for (const wake of w) wake()
  }

  const pushedNotices = m.claims.child({ result: 'pushed' })
  const claimedClaims = m.claims.child({ result: 'claimed' })
  const emptyClaims = m.claims.child({ result: 'empty' })
  async function claim(limit: number, delivered?: string[]): Promise<ClaimedDelivery[]> {
    const claimed = await claimDeliveries(db.orm, { subscriptions: names, limit, leaseMs, owner, includeWebhooks: Boolean(options.webhookHandler), delivered })
    ;(claimed.length ? claimedClaims : emptyClaims).inc()
    return claimed
  }

  /** drain(): claim, run, record, in turn — a caller awaiting it sees every outcome recorded. */
  async function runRound(): Promise<number> {
    const claimed = await claim(batchSize)
    if (!claimed.length) return 0
    const outcomes = await Promise.all(claimed.map(handle))
    await recordOutcomes(db.orm, owner, outcomes, { synchronousCommit: false })
    return claimed.length
  }

  function handle(d: ClaimedDelivery): Promise<Outcome> {
    return runDelivery(d, { resolveHandler, metrics: m, logger: log, poisonAfterCrashes, handlerTimeoutMs, watchDeadline })
  }

  function resolveHandler(d: ClaimedDelivery): EventHandler {
    return d.webhook ? options.webhookHandler!(d.webhook) : bySubscription.get(d.subscription)!.handler
  }

  /**
   * Outcomes are recorded in batches apart from claiming: a claim loop never waits for outcomes, only for room
   * (maxInFlight), so claiming the next events — the latency a publisher sees — never queues behind recording the
   * last ones. Up to `loops` UPDATEs run at once, each taking whatever has finished by the time it starts.
   */
  let outcomes: Array<{ outcome: Outcome; ordered: boolean }> = []
  let recorders = 0
  let recordScheduled = false
  const recording = new Set<Promise<void>>()

  /**
   * Successful outcomes of unordered deliveries wait up to outcomeLingerMs for the next claim to carry them. An
   * ordered delivery's outcome is what lets its aggregate's next event be claimed, so it is recorded at once.
   */
  let lingering: string[] = []
  let lingerTimer: ReturnType<typeof setTimeout> | undefined

  function completed(outcome: Outcome, ordered: boolean) {
    if (outcome.result === 'delivered' && !ordered && outcomeLingerMs > 0 && running) {
      lingering.push(outcome.id)
      lingerTimer ??= setTimeout(recordLingering, outcomeLingerMs)
      wakeRoomWaiters()
      return
    }
    toRecord(outcome, ordered)
  }

  /** The lingering outcomes, for a claim to carry: they keep their room until that claim has recorded them. */
  function takeLingering(): string[] {
    const taken = lingering
    lingering = []
    clearTimeout(lingerTimer)
    lingerTimer = undefined
    return taken
  }

  /** No claim came in time (or none will: stopping): record them on their own. */
  function recordLingering() {
    for (const id of takeLingering()) toRecord({ id, result: 'delivered' }, false)
  }

  function toRecord(outcome: Outcome, ordered: boolean) {
    outcomes.push({ outcome, ordered })
    if (recordScheduled || recorders >= loops) return
    recordScheduled = true
    // A microtask later: the handlers of a batch that finish together share one UPDATE.
    queueMicrotask(() => {
      recordScheduled = false
      if (!outcomes.length || recorders >= loops) return
      const done = recordSome()
      recording.add(done)
      void done.finally(() => recording.delete(done))
    })
  }

  async function recordSome() {
    recorders++
    let failures = 0
    while (outcomes.length) {
      const batch = outcomes
      outcomes = []
      try {
        await recordOutcomes(db.orm, owner, batch.map((o) => o.outcome), { synchronousCommit: false })
      } catch (error) {
        m.claimErrors.inc()
        log.warn({ error: errorMessage(error), outcomes: batch.length }, 'recording outcomes failed; retrying')
        if (running && ++failures < 20) {
          // Unrecorded outcomes keep their room: claiming stops while the database is unreachable.
          outcomes = batch.concat(outcomes)
          await new Promise((r) => setTimeout(r, Math.min(pollIntervalMs, 50 * 2 ** failures)))
          continue
        }
        // Given up (stopping, or the database is gone): the leases run out and the deliveries run again.
      }
      for (const { outcome } of batch) busy.delete(outcome.id)
      failures = 0
      freeRoom(batch.length)
      // One wake-up answers both reasons to claim again: the next event of an aggregate became claimable (claim it
      // now, not at the next poll), or a retry exists that an idle loop's sleep was set without (it sleeps anew).
      let wake = false
      for (const { outcome, ordered } of batch) {
        if (outcome.result === 'retry') {
          retriesDue.add(Date.now() + outcome.delayMs)
          wake = true
        } else if (ordered) wake = true
      }
      if (wake) kick()
    }
    recorders--
  }

  function run(d: ClaimedDelivery) {
    busy.add(d.id)
    // Claimed ones too: the adoption also finds a delivery a claim leased to us meanwhile and may answer after it ran.
    adoption.ran(d.id, d.attempt)
    const done = handle(d).then(
      (outcome) => completed(outcome, d.ordered),
      (error) => {
        // runDelivery catches handler errors; this is a bug of ours. The lease runs out and the delivery runs again.
        log.error({ deliveryId: d.id, error: errorMessage(error) }, 'delivery crashed the dispatcher; left to its lease')
        busy.delete(d.id)
        freeRoom(1)
      },
    )
    handling.add(done)
    void done.finally(() => handling.delete(done))
  }

  async function loop() {
    while (running) {
      await waitForRoom()
      if (!running) break
      const limit = batchSize
      inFlight += limit
      reservedByClaims += limit
      const claimStartedAt = Date.now()
      const carried = takeLingering()
      let claimed: ClaimedDelivery[] = []
      try {
        claimed = await claim(limit, carried)
        for (const id of carried) busy.delete(id)
        freeRoom(carried.length)
      } catch (error) {
        m.claimErrors.inc()
        log.warn({ error: errorMessage(error) }, 'dispatch round failed; retrying after the poll interval')
        // Whether the statement recorded them is unknown: recording again changes nothing if it did.
        for (const id of carried) toRecord({ id, result: 'delivered' }, false)
      } finally {
        reservedByClaims -= limit
        freeRoom(limit - claimed.length)
      }
      for (const d of claimed) {
        // Adopted meanwhile (see adoption-window.ts), or still running here from a lease that ran out: not twice.
        if (firstRun(d)) run(d)
        else freeRoom(1)
      }
      // A full claim means more is likely due: claim again at once.
      if (claimed.length < limit) {
        retriesDue.dropThrough(claimStartedAt)
        await waitForWake()
      }
    }
  }

  /**
   * A notification: a push leased to this dispatcher runs at once; any other wakes a claim loop, unless it is a push
   * whose deliveries all went to the owner (nothing for a claim to find).
   */
  function onNotify(payload: string) {
    const notice = parsePushNotice(payload)
    if (!notice) return kick()
    if (notice.o === owner && running) {
      pushedNotices.inc()
      for (const d of pushedDeliveries(notice, bySubscription)) {
        if (!firstRun(d)) continue
        // Pushes respect the same bound as claims: past it they go back to the table for a claim to take when room
        // frees, rather than running unbounded handlers at once.
        // (Room a claim has reserved but not filled yet does not count: a claim under way must not bounce pushes.)
        if (inFlight - reservedByClaims >= maxInFlight) {
          handBack(d.id)
          continue
        }
        inFlight++
        run(d)
      }
    }
    // Deliveries that were not pushed (another subscription's, an ordered one) wait for a claim.
    if (notice.r) kick()
  }

  /**
   * After a reconnect the owner adopts what was pushed to it while it did not listen; for a while a delivery may
   * then come two ways (adopted, and pushed on the new connection or claimed), and runs only the first time.
   */
  const adoption = new AdoptionWindow(ADOPTION_WINDOW_MS)
  function firstRun(d: ClaimedDelivery): boolean {
    return !busy.has(d.id) && adoption.isFirst(d.id, d.attempt)
  }

  async function adoptLostPushes() {
    try {
      const adopted = await adoptPushes(db.orm, { owner, leaseMs, busy: [...busy] })
      let ran = 0
      for (const d of adopted) {
        if (!running || !firstRun(d)) continue
        inFlight++
        run(d)
        ran++
      }
      if (ran) log.info({ owner, adopted: ran }, 'ran deliveries pushed while the listener was reconnecting')
    } catch (error) {
      log.warn({ error: errorMessage(error) }, 'adopting pushes after a reconnect failed; they run when their lease ends')
    } finally {
      adoption.close()
    }
  }

  let handingBack: string[] = []
  function handBack(id: string) {
    if (handingBack.push(id) > 1) return
    queueMicrotask(() => {
      const ids = handingBack
      handingBack = []
      void releasePushes(db.orm, owner, ids).then(
        () => kick(),
        (error) => log.warn({ error: errorMessage(error), deliveries: ids.length }, 'handing back pushed deliveries failed; they run when their lease ends'),
      )
    })
  }

  /**
   * Renewals and resignations run one after another: a renewal still under way when the listener drops would
   * otherwise land after the resignation and make a deaf dispatcher the owner again until the ownership expires.
   */
  let ownershipSteps: Promise<void> = Promise.resolve()
  function ownershipStep(step: () => Promise<void>): Promise<void> {
    ownershipSteps = ownershipSteps.then(step)
    return ownershipSteps
  }

  const renewOwnership = () =>
    ownershipStep(async () => {
      if (!running || !listening) return
      try {
        await claimPushOwnership(db.orm, { owner, subscriptions: pushableNames, leaseMs, ttlMs: heartbeatMs * 3 })
      } catch (error) {
        log.warn({ error: errorMessage(error) }, 'renewing the push ownership failed; retrying at the next heartbeat')
      }
    })

  const resignOwnership = () =>
    ownershipStep(async () => {
      try {
        await resignPushOwnership(db.orm, owner)
      } catch (error) {
        // Unreachable database: the ownership expires on its own, and what was pushed meanwhile waits out its lease.
        log.warn({ error: errorMessage(error) }, 'giving up the push ownership failed; it expires on its own')
      }
    })

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
        unlisten = await db.listen(EVENTS_CHANNEL, onNotify, {
          heartbeatMs,
          onListen: () => {
            const reconnected = listenedBefore
            listenedBefore = listening = true
            kick() // after a reconnect, sweep what was notified while nobody listened
            // The first connection's ownership is taken below, once listen() has returned.
            if (push && reconnected) {
              void renewOwnership()
              void adoptLostPushes()
            }
          },
          onError: (error) => {
            listening = false
            if (push) adoption.open()
            // Deaf to pushes until it reconnects: stop publishers from pushing to it.
            if (push) void resignOwnership()
            log.warn({ error: errorMessage(error) }, 'event listener lost its connection; reconnecting')
          },
        })
        if (push) {
          listenedBefore = listening = true
          await renewOwnership()
          renewTimer = setInterval(() => void renewOwnership(), heartbeatMs)
        }
      }
      loopsDone = Array.from({ length: loops }, () => loop())
      // Read at scrape time: a query per scrape, not one every poll interval whether anyone looks or not (on the
      // embedded PGlite every query runs on the server's own thread).
      stopLagRefresh = options.metrics.beforeScrape(async () => m.lag.set(await lagSeconds()))
      log.info({ owner, subscriptions: names, loops, batchSize, listen, push }, 'dispatcher started')
    },
    async stop() {
      if (!running) return
      running = false
      stopLagRefresh?.()
      clearInterval(renewTimer)
      if (push) await resignOwnership()
      wakeEveryone()
      await unlisten?.()
      await Promise.all(loopsDone)
      recordLingering()
      // Claimed work finishes and its outcomes are recorded before stop() returns (a recording that is only
      // scheduled starts a microtask later: wait for it too).
      while (handling.size || recording.size || recordScheduled) await Promise.all([...handling, ...recording, Promise.resolve()])
      if (push) {
        // Nothing of ours runs now: what is still leased to us was pushed after we stopped listening.
        try {
          const released = await releasePushes(db.orm, owner)
          if (released) log.info({ owner, released }, 'released deliveries pushed after the dispatcher stopped listening')
        } catch (error) {
          log.warn({ error: errorMessage(error) }, 'releasing unstarted pushed deliveries failed; they run when their lease ends')
        }
      }
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
