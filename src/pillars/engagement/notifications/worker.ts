/**
 * Running the queue: one round (escalate what is overdue, then send batches until nothing is due or the round's
 * budget is spent) — what the minute maintenance runs on every runtime — and, for servers, a loop that runs a
 * round every NOTIFY_POLL_INTERVAL_MS and at once when kicked (a subscriber committed new rows), one round at a
 * time. A reminder or a receipt then leaves within seconds, not at the next minute.
 */
import type { Deps } from '../../../deps.ts'
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

export function startNotificationWorker(deps: Pick<Deps, 'db' | 'config' | 'logger' | 'notifications' | 'clock'>): NotificationWorker {
  let running: Promise<void> | undefined
  let again = false
  let stopped = false
  const round = () => {
    if (stopped) return
    if (running) {
      again = true // one more round right after this one: rows committed during it are not left for the poll
      return
    }
    running = runNotificationQueue(deps, deps.clock.now())
      .then(
        (r) => {
          // A backlog bigger than one round is not left waiting for the next poll.
          if (r.notificationsBacklog) again = true
          if (Object.values(r).some((n) => n > 0)) deps.logger.debug(r, 'notification queue round')
        },
        (error) => deps.logger.warn({ err: error }, 'notification queue round failed; retrying at the next poll'),
      )
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          round()
        }
      })
  }
  const timer = setInterval(round, deps.config.NOTIFY_POLL_INTERVAL_MS)
  ;(timer as { unref?: () => void }).unref?.()
  return {
    kick: round,
    async stop() {
      stopped = true
      clearInterval(timer)
      await running
    },
  }
}
