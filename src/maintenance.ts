/**
 * Periodic work, the same on every runtime: Node and Deno run it from a timer (server-deps.node.ts), Workers from
 * the cron trigger (runtime/worker.ts). Each step is safe to run concurrently on several processes (row locks with
 * SKIP LOCKED, idempotent postings), so no leader election is needed.
 *
 *   every minute — booking holds that ran out return their seats; underfilled departures past their deadline are
 *                  cancelled (full refunds); finished departures complete their bookings; authorized payments
 *                  due for capture are captured; payments no webhook settled are fetched back (reconciliation)
 *                  notifications: the operator manifests whose evening-before has come are queued, critical alerts
 *                  not confirmed delivered escalate, due notifications are sent (on Workers, from the cron trigger;
 *                  servers' notification worker runs the queue when kicked and when its next row falls due)
 *                  Most minutes none of this finds work, and each step says so with one plain read: a transaction
 *                  opens only when something is due.
 *   every hour   — expired Idempotency-Keys are pruned; operator earnings past their hold become available;
 *                  in the hour PAYOUT_RUN_HOUR_UTC, the daily payout run (a second run in the same hour pays nothing
 *                  twice: payouts lock per operator and pay only what is available)
 */
import type { Deps } from './deps.ts'
import { runBookingMaintenance } from './pillars/booking/service.ts'
import { pruneIdempotencyKeys } from './core/http/idempotency-store.ts'
import { releaseOperatorFunds } from './pillars/partner/ledger/earnings.ts'
import { runPayoutsFromConfig } from './pillars/partner/ledger/payouts.ts'
import { capturePayments, reconcilePayments } from './pillars/booking/payments/service.ts'
import { runNotificationQueue } from './pillars/engagement/notifications/worker.ts'
import { queueOperatorManifests } from './pillars/engagement/notifications/manifests.ts'

export async function runMinuteMaintenance(deps: Deps): Promise<Record<string, number>> {
  const now = deps.clock.now()
  const booking = await runBookingMaintenance(deps, now)
  const paymentsCaptured = await capturePayments(deps, now)
  const paymentsReconciled = await reconcilePayments(deps, now)
  const manifestsQueued = await queueOperatorManifests(deps, now)
  // A server's notification worker owns the queue (it wakes when a row falls due): running it here as well would
  // only repeat its reads, so the minute just wakes it for the manifests it queued. The Worker runtime has no worker:
  // its cron runs the queue here.
  const kickWorker = deps.notifications?.kick
  if (kickWorker) {
    if (manifestsQueued) kickWorker()
    return { ...booking, paymentsCaptured, paymentsReconciled, manifestsQueued }
  }
  const notifications = await runNotificationQueue(deps, now)
  return { ...booking, paymentsCaptured, paymentsReconciled, manifestsQueued, ...notifications }
}

export async function runHourlyMaintenance(deps: Deps): Promise<Record<string, number>> {
  const now = deps.clock.now()
  const idempotencyKeysPruned = await pruneIdempotencyKeys(deps.db.orm, { now })
  const released = await deps.db.orm.transaction((tx) => releaseOperatorFunds(tx, now))
  const report: Record<string, number> = { idempotencyKeysPruned, earningsReleased: released.length }
  if (now.getUTCHours() === deps.config.PAYOUT_RUN_HOUR_UTC) {
    const run = await runPayoutsFromConfig(deps)
    Object.assign(report, { payoutsPaid: run.paid.length, payoutsFailed: run.failed.length, payoutsPending: run.pending.length })
  }
  return report
}
