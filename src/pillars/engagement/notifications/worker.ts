/**
 * Running the queue: one round (escalate what is overdue, then send batches until nothing is due or the round's
 * budget is spent) — what the Worker runtime's minute maintenance runs from its cron — and, for servers, a worker
 * that runs a round when kicked (a subscriber committed new rows, the minute queued manifests) and otherwise sleeps
 * until the queue's next row falls due, at most NOTIFY_POLL_INTERVAL_MS, one round at a time. A reminder or a
 * receipt then leaves within a moment, not at the next minute.
 *
 * Why not a plain poll: on the embedded PGlite the database runs on the server's own thread, and a round that finds
 * nothing still cost ~14 ms of CPU per 2 s tick — idle CPU, and a stall of every request in flight. Sleeping until
 * the next due time keeps scheduled sends (retries, escalations, leases of a crashed worker) on time with a long
 * backstop; the backstop only matters for rows another process queued and then died before sending.
 */
import type { Deps } from '../../../deps.ts'
import { sql } from 'drizzle-orm'
import { queryRows } from '../../../core/db/index.ts'
import { escalateNotifications } from './escalation.ts'
import { processNotifications } from './processor.ts'

/**
 * `now` is the round's time (escalation); each batch claims at `deps.clock.now()`, so its lease starts with its
 * claim. A round of batches can outlast NOTIFY_LEASE_SECONDS, and a lease counted from the round's start would
 * end before (or soon after) a late batch is claimed, letting another worker send the same rows meanwhile.
 */
export async function runNotificationQueue(deps: Pick<Deps, 'db' | 'config' | 'logger' | 'notifications' | 'clock'>, now: Date, { maxBatches = 10 } = {}): Promise<Record<string, number>> {
  if (!deps.notifications) return {}
  const notificationsEscalated = await escalateNotifications(deps, now)
  let notificationsSent = 0
  let notificationsFailed = 0
  // 1 when the round stopped at maxBatches with full batches: more is due now, and the server worker goes on at once.
  let notificationsBacklog = 1
  for (let i = 0; i < maxBatches; i++) {
    const r = await processNotifications(deps, deps.clock.now())
    notificationsSent += r.sent
    notificationsFailed += r.failed + r.dead
    if (r.claimed < deps.config.NOTIFY_BATCH_SIZE) {
      notificationsBacklog = 0
      break
    }
  }
  return { notificationsEscalated, notificationsSent, notificationsFailed, notificationsBacklog }
}

export interface NotificationWorker {
  kick(): void
  stop(): Promise<void>
}

/**
 * When the queue next has work for a round: the earliest send due (queued, a retry's backoff, or the lease of a
 * row another worker claimed), the earliest escalation, or `now` when a failed critical alert waits to escalate.
 * Null when nothing is queued. Each part reads one partial index (notifications_due_idx, notifications_escalate_idx).
 */
export async function nextNotificationDue(deps: Pick<Deps, 'db'>, now: Date): Promise<Date | null> {
  const [row] = await queryRows<{ at: string | Date | null }>(
    deps.db.orm,
    sql`select least(
          (select min(next_attempt_at) from notifications where status in ('queued', 'sending')),
          (select min(escalate_at) from notifications
            where escalate_at is not null and escalated_at is null and status not in ('delivered', 'cancelled')),
          (select ${now.toISOString()}::timestamptz where exists (
            select 1 from notifications where escalate_at is not null and escalated_at is null and status in ('failed', 'dead')))
        ) as at`,
  )
  return row?.at ? new Date(row.at) : null
}

// Between two rounds the worker started itself: a row that is due but was not taken (locked by another worker's
// claim for a moment) must not turn the worker into a busy loop.
const MIN_SLEEP_MS = 100

/** How long the worker sleeps before its next round: until `due`, within [MIN_SLEEP_MS, backstopMs]. */
export function sleepBeforeNextRound(due: Date | null, now: Date, backstopMs: number): number {
  if (!due) return backstopMs
  return Math.min(backstopMs, Math.max(MIN_SLEEP_MS, due.getTime() - now.getTime()))
}

/** The worker's timer, replaceable in tests (which fire it by hand). */
export interface WorkerTimers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(timer: unknown): void
}

const realTimers: WorkerTimers = {
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms)
    ;(timer as { unref?: () => void }).unref?.() // a sleeping worker does not keep the process alive
    return timer
  },
  clearTimeout: (timer) => clearTimeout(timer as ReturnType<typeof setTimeout>),
}

export function startNotificationWorker(deps: Pick<Deps, 'db' | 'config' | 'logger' | 'notifications' | 'clock'>, timers: WorkerTimers = realTimers): NotificationWorker {
  const backstopMs = deps.config.NOTIFY_POLL_INTERVAL_MS
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  let timer: unknown
  const sleep = (ms: number) => {
    timers.clearTimeout(timer)
    if (stopped) return
    timer = timers.setTimeout(round, ms)
  }
  const round = () => {
    if (stopped) return
    if (running) {
      again = true // one more round right after this one: rows committed during it are not left for the timer
      return
    }
    timers.clearTimeout(timer)
    running = runNotificationQueue(deps, deps.clock.now())
      .then(async (r) => {
        // A backlog bigger than one round is not left waiting.
        if (r.notificationsBacklog) again = true
        if (Object.values(r).some((n) => n > 0)) deps.logger.debug(r, 'notification queue round')
        if (!again) sleep(sleepBeforeNextRound(await nextNotificationDue(deps, deps.clock.now()), deps.clock.now(), backstopMs))
      })
      .catch((error: unknown) => {
        deps.logger.warn({ err: error }, 'notification queue round failed; retrying after the poll interval')
        sleep(backstopMs)
      })
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          round()
        }
      })
  }
  // The first round at once: rows queued before a restart (or by a process that died) go out now.
  sleep(0)
  return {
    kick: round,
    async stop() {
      stopped = true
      timers.clearTimeout(timer)
      await running
    },
  }
}
