/**
 * How payments follow bookings. Delivered at least once by the dispatcher; each effect is keyed by the event id at
 * the provider (void, capture, refund keys) and recorded by provider refund id, so a redelivery moves no money.
 *
 *   booking.expired, booking.cancelled from held   → release every attempt (void the hold at the provider)
 *   booking.cancelled from confirmed               → refund `refund` of it (or, for an uncaptured hold, capture only what the
 *                                                     policy keeps), record payment_refunds, payment.refunded
 */
import type { Deps } from '../../../deps.ts'
import { defineSubscription, type CodeSubscription } from '../../../events/subscription.ts'
import type { Money } from '../../../core/payments/provider.ts'
import { refundCancelledBooking, releaseBookingPayments } from './service.ts'

interface BookingEventData {
  bookingId: string
  previousStatus?: 'held' | 'confirmed'
  refund?: Money
  paymentId?: string
}

export const PAYMENTS_SUBSCRIPTION = 'payments.booking-lifecycle'

export function paymentsSubscription(deps: Deps): CodeSubscription {
  return defineSubscription(PAYMENTS_SUBSCRIPTION, ['booking.expired', 'booking.cancelled'], async (event, ctx) => {
    if (!deps.payments) return
    const data = event.data as BookingEventData
    if (event.type === 'booking.expired' || (event.type === 'booking.cancelled' && data.previousStatus === 'held')) {
      await releaseBookingPayments(deps, data.bookingId, ctx.eventId, event.type === 'booking.expired' ? 'booking_expired' : 'booking_cancelled')
      return
    }
    if (event.type === 'booking.cancelled' && data.previousStatus === 'confirmed') {
      // refund 0 still matters for an uncaptured hold: the policy keeps everything, so it is captured now.
      await refundCancelledBooking(deps, {
        bookingId: data.bookingId,
        refund: data.refund ?? { amount: 0, currency: 'XXX' },
        eventId: ctx.eventId,
        ...(data.paymentId ? { paymentId: data.paymentId } : {}),
      })
    }
  })
}
