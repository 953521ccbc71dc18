/**
 * The events this pillar publishes, written in the caller's transaction with the transition they describe.
 * The aggregate is the booking; its version is the row's edit counter. Payments react to booking.expired and
 * booking.cancelled (void a hold, refund `refund`); the catalogue cache to any of them (seats left changed).
 */
import type { Executor } from '../../core/db/index.ts'
import type { Actor } from '../../events/envelope.ts'
import { publish } from '../../events/publish.ts'
import type { BookingRow } from './tables.ts'

type BookingEvent = 'booking.held' | 'booking.confirmed' | 'booking.cancelled' | 'booking.expired' | 'booking.completed'

export const SYSTEM_ACTOR: Actor = { type: 'system', id: 'booking' }

export async function publishBookingEvent(
  tx: Executor,
  type: BookingEvent,
  booking: BookingRow,
  actor: Actor,
  extra: { previousStatus?: 'held' | 'confirmed'; reason?: string } = {},
): Promise<void> {
  const base = {
    bookingId: booking.id,
    departureId: booking.departureId,
    tourId: booking.tourId,
    operatorId: booking.operatorId,
    travellerId: booking.travellerId,
    seats: booking.seats,
    total: { amount: booking.totalAmount, currency: booking.currency },
  }
  const aggregate = { type: 'booking', id: booking.id, version: booking.version }
  const data =
    type === 'booking.held'
      ? { ...base, expiresAt: booking.expiresAt.toISOString() }
      : type === 'booking.confirmed'
        ? { ...base, confirmationCode: booking.confirmationCode ?? undefined, paymentId: booking.paymentId ?? undefined }
        : type === 'booking.cancelled'
          ? {
              ...base,
              previousStatus: extra.previousStatus,
              refund: { amount: booking.refundAmount ?? 0, currency: booking.currency },
              cancelledBy: booking.cancelledBy ?? undefined,
              paymentId: booking.paymentId ?? undefined,
              reason: extra.reason ?? booking.cancelReason ?? undefined,
            }
          : { ...base, paymentId: booking.paymentId ?? undefined }
  await publish(tx, { type, data: data as never, aggregate, actor })
}

export async function publishDepartureCancelled(
  tx: Executor,
  departure: { departureId: string; tourId: string; startsAt: Date; version: number },
  reason: string,
  actor: Actor,
): Promise<void> {
  await publish(tx, {
    type: 'departure.cancelled',
    data: { departureId: departure.departureId, tourId: departure.tourId, startsAt: departure.startsAt.toISOString(), reason },
    aggregate: { type: 'departure', id: departure.departureId, version: departure.version },
    actor,
  })
}
