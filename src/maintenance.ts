/**
 * Periodic work, the same on every runtime: Node and Deno run it from a timer (server-deps.node.ts), Workers from
 * the cron trigger (runtime/worker.ts). Each step is safe to run concurrently on several processes (row locks with
 * SKIP LOCKED, idempotent postings), so no leader election is needed.
 *
 *   every minute — booking holds that ran out return their seats; underfilled departures past their deadline are
 *                  cancelled (full refunds); finished departures complete their bookings; authorized payments
 *                  due for capture are captured; payments no webhook settled are fetched back (reconciliation)
 *   every hour   — expired Idempotency-Keys are pruned; operator earnings past their hold become available
 */
import type { Deps } from './deps.ts'
import { runBookingMaintenance } from './pillars/booking/service.ts'
import { pruneIdempotencyKeys } from './core/http/idempotency-store.ts'
import { releaseOperatorFunds } from './pillars/partner/ledger/earnings.ts'
import { capturePayments, reconcilePayments } from './pillars/booking/payments/service.ts'

export async function runMinuteMaintenance(deps: Deps): Promise<Record<string, number>> {
  const now = deps.clock.now()
  const booking = await runBookingMaintenance(deps, now)
  const paymentsCaptured = await capturePayments(deps, now)
  const paymentsReconciled = await reconcilePayments(deps, now)
  return { ...booking, paymentsCaptured, paymentsReconciled }
}

export async function runHourlyMaintenance(deps: Deps): Promise<Record<string, number>> {
  const now = deps.clock.now()
  const idempotencyKeysPruned = await pruneIdempotencyKeys(deps.db.orm, { now })
  const released = await deps.db.orm.transaction((tx) => releaseOperatorFunds(tx, now))
  return { idempotencyKeysPruned, earningsReleased: released.length }
}
