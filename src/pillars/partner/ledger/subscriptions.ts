/**
 * booking.completed → the operator's earnings for that booking become available PAYOUT_HOLD_DAYS after the event
 * time. Naturally idempotent (a redelivery sets the same date), so no inbox is needed.
 */
import type { Deps } from '../../../deps.ts'
import { defineSubscription, type CodeSubscription } from '../../../events/subscription.ts'
import { markDepartureCompleted } from './earnings.ts'

export function payoutScheduleSubscription(deps: Pick<Deps, 'db' | 'config'>): CodeSubscription {
  return defineSubscription('ledger.payout-schedule', ['booking.completed'], async function scheduleRelease(event) {
    const { bookingId } = event.data as { bookingId: string }
    await deps.db.orm.transaction((tx) =>
      markDepartureCompleted(tx, { bookingId, completedAt: new Date(event.time), holdDays: deps.config.PAYOUT_HOLD_DAYS }),
    )
  })
}
