/**
 * The domain event catalog: every event type KamHub publishes, its data schema and its version. Publishing data
 * that fails its schema throws at the publish call — a programming error the tests catch, not a 3 a.m. page.
 * A breaking change to an event's data is a new version (and a new schema), never an edit in place.
 */
import { z } from 'zod'

const id = z.string().min(1)
export const money = z.object({
  amount: z.number().int(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'ISO 4217 code'),
})

const tour = z.object({ tourId: id, operatorId: id, title: z.string().optional() })
const departure = z.object({ departureId: id, tourId: id, startsAt: z.iso.datetime({ offset: true }), reason: z.string().optional() })
const booking = z.object({
  bookingId: id,
  departureId: id,
  travellerId: id,
  seats: z.number().int().min(1),
  total: money.optional(),
  reason: z.string().optional(),
  // optional since the booking pillar: what payments and notifications need without reading the booking
  tourId: id.optional(),
  operatorId: id.optional(),
  /** The status the booking left (booking.cancelled: held → void the payment hold; confirmed → refund). */
  previousStatus: z.enum(['held', 'confirmed']).optional(),
  /** booking.cancelled: the money to return (0 for a booking never paid). */
  refund: money.optional(),
  cancelledBy: z.enum(['traveller', 'operator', 'admin', 'system']).optional(),
  paymentId: z.string().optional(),
  confirmationCode: z.string().optional(),
})
const payment = z.object({ paymentId: id, bookingId: id, provider: z.string(), amount: money, reason: z.string().optional() })
const payout = z.object({ payoutId: id, operatorId: id, amount: money, reason: z.string().optional() })
const notification = z.object({ notificationId: id, channel: z.enum(['email', 'sms', 'push']), kind: z.string(), provider: z.string().optional(), reason: z.string().optional() })

function v1<S extends z.ZodType>(schema: S, summary: string) {
  return { version: 1, schema, summary } as const
}

export const EVENT_CATALOG = {
  'tour.created': v1(tour, 'An operator created a tour (draft).'),
  'tour.updated': v1(tour.extend({ fields: z.array(z.string()).optional() }), 'A tour was edited.'),
  'tour.published': v1(tour, 'A tour became visible to travellers.'),
  'tour.archived': v1(tour, 'A tour was withdrawn from sale.'),
  'departure.scheduled': v1(departure.extend({ capacity: z.number().int().min(1) }), 'A dated departure of a tour was scheduled.'),
  'departure.updated': v1(
    departure.extend({ capacity: z.number().int().min(1), seatsLeft: z.number().int().min(0), fields: z.array(z.string()) }),
    "A departure's capacity or prices changed.",
  ),
  'departure.cancelled': v1(departure, 'A departure was cancelled (weather, volcanic activity, too few participants).'),
  'booking.held': v1(booking.extend({ expiresAt: z.iso.datetime({ offset: true }) }), 'Seats were held for a traveller pending payment.'),
  'booking.confirmed': v1(booking, 'Payment was secured; the booking is confirmed.'),
  'booking.cancelled': v1(booking, 'A held or confirmed booking was cancelled; `refund` is the money to return.'),
  'booking.expired': v1(booking, 'A hold expired unpaid; its seats returned.'),
  'booking.completed': v1(booking, 'The departure took place.'),
  'payment.authorized': v1(payment, 'Funds were authorized (held) on the payment method.'),
  'payment.captured': v1(payment, 'Authorized funds were captured.'),
  'payment.failed': v1(payment, 'A payment attempt failed.'),
  'payment.refunded': v1(payment, 'Money was returned to the traveller (fully or partly).'),
  'payment.voided': v1(payment, 'An uncaptured hold was released (booking expired or cancelled); no money moved.'),
  'payout.paid': v1(payout, 'An operator was paid out.'),
  'payout.failed': v1(payout, 'An operator payout failed.'),
  'review.published': v1(z.object({ reviewId: id, tourId: id, rating: z.number().int().min(1).max(5) }), 'A traveller review was published.'),
  'user.registered': v1(z.object({ userId: id, role: z.enum(['traveller', 'operator', 'admin']) }), 'A user account was created.'),
  'partner.applied': v1(z.object({ operatorId: id, userId: id }), 'An operator applied to sell on KamHub.'),
  'partner.verified': v1(z.object({ operatorId: id, verifiedBy: id }), 'An admin verified an operator.'),
  'notification.sent': v1(notification, 'A notification left through a provider.'),
  'notification.failed': v1(notification, 'A notification could not be sent.'),
} as const

export type EventCatalog = typeof EVENT_CATALOG
export type EventType = keyof EventCatalog
export type EventData<T extends EventType> = z.output<EventCatalog[T]['schema']>

export const EVENT_TYPES = Object.keys(EVENT_CATALOG) as EventType[]

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(EVENT_CATALOG, type)
}
