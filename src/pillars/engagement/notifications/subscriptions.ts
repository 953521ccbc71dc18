/**
 * What gets sent, as event subscribers. Each handler reads the facts and creates its notification rows in ONE
 * transaction of its own, keyed by the event id (enqueue.ts): the dispatcher delivers at least once, and a
 * redelivered event finds the rows already there and creates nothing. Sending is the queue processor's job.
 *
 *   booking.confirmed    traveller: receipt (e-mail + push) and the reminder 24 h before the start; operator: new booking
 *   booking.cancelled    traveller: cancellation (with the refund due); pending reminders/review requests cancelled.
 *                        Not when the departure itself was cancelled: departure.cancelled says it (critically).
 *   payment.refunded     traveller: refund issued
 *   departure.cancelled  every traveller with a confirmed booking on it: critical alert (push, escalating)
 *   booking.completed    traveller: review request
 * The operator's manifest the evening before comes from maintenance (manifests.ts), not from an event.
 */
import type { Deps } from '../../../deps.ts'
import { defineSubscription, type CodeSubscription } from '../../../events/subscription.ts'
import type { EventEnvelope } from '../../../events/envelope.ts'
import { CANCEL_REASONS } from '../../../core/notifications/templates/departure-cancelled.ts'
import { cancelPendingFor, enqueueNotification, type EnqueueInput } from './enqueue.ts'
import { bookingFacts, departureBookingFacts, e164, localised, partyOf, publicBase, type BookingFacts } from './facts.ts'

export const NOTIFICATIONS_SUBSCRIPTION = 'notifications.messages'

export type NotificationsDeps = Pick<Deps, 'db' | 'config' | 'clock'> & { notifications?: Pick<NonNullable<Deps['notifications']>, 'kick'> }

const REMINDER_LEAD_MS = 24 * 3_600_000

export function notificationsSubscription(deps: NotificationsDeps): CodeSubscription {
  return defineSubscription(
    NOTIFICATIONS_SUBSCRIPTION,
    ['booking.confirmed', 'booking.cancelled', 'booking.completed', 'departure.cancelled', 'payment.refunded'],
    async function createNotifications(event) {
      const created = await deps.db.orm.transaction((tx) => HANDLERS[event.type]?.(tx, deps, event) ?? Promise.resolve(0))
      if (created > 0) deps.notifications?.kick?.()
    },
  )
}

type Tx = Parameters<Parameters<Deps['db']['orm']['transaction']>[0]>[0]
type Handler = (tx: Tx, deps: NotificationsDeps, event: EventEnvelope) => Promise<number>

function base(deps: NotificationsDeps, event: EventEnvelope, userId: string, f: BookingFacts): Pick<EnqueueInput, 'source' | 'userId' | 'subjectId' | 'now' | 'escalateAfterSeconds'> {
  return { source: event.id, userId, subjectId: f.bookingId, now: deps.clock.now(), escalateAfterSeconds: deps.config.NOTIFY_ESCALATE_AFTER_SECONDS }
}

const travellerContact = (f: BookingFacts) => ({ email: f.contact.email, phone: e164(f.contact.phone) })
const departureOf = (f: BookingFacts) => ({ startsAt: f.startsAt.toISOString(), timezone: f.timezone })

const HANDLERS: Record<string, Handler> = {
  async 'booking.confirmed'(tx, deps, event) {
    const f = await bookingFacts(tx, (event.data as { bookingId: string }).bookingId)
    if (!f || !f.confirmationCode) return 0
    const url = publicBase(deps.config)
    const ticketUrl = `${url}/v1/bookings/${f.bookingId}`
    const code = f.confirmationCode
    let created = await enqueueNotification(tx, {
      ...base(deps, event, f.travellerId, f),
      kind: 'booking_confirmed',
      contact: travellerContact(f),
      variables: (locale) => ({
        travellerName: f.contact.name,
        tour: { title: localised(f, locale).title },
        departure: { ...departureOf(f), meetingPoint: localised(f, locale).meetingPoint },
        party: partyOf(f),
        total: f.total,
        confirmationCode: code,
        ticketUrl,
      }),
    })
    created += await enqueueNotification(tx, {
      ...base(deps, event, f.operatorUserId, f),
      kind: 'booking_confirmed_operator',
      contact: { email: f.operatorContact.email, phone: e164(f.operatorContact.phone) },
      variables: (locale) => ({
        tour: { title: localised(f, locale).title },
        departure: departureOf(f),
        party: partyOf(f),
        total: f.total,
        confirmationCode: code,
        traveller: { name: f.contact.name, email: f.contact.email, ...(f.contact.phone ? { phone: f.contact.phone } : {}) },
        seatsLeft: f.seatsLeft,
        manifestUrl: `${url}/v1/operator/departures/${f.departureId}/manifest`,
      }),
    })
    // The reminder is scheduled now and cancelled if the booking is; a departure less than a day away gets none
    // (the receipt just said when it starts).
    const remindAt = new Date(f.startsAt.getTime() - REMINDER_LEAD_MS)
    if (remindAt > deps.clock.now()) {
      created += await enqueueNotification(tx, {
        ...base(deps, event, f.travellerId, f),
        kind: 'departure_reminder',
        contact: travellerContact(f),
        notBefore: remindAt,
        variables: (locale) => ({
          travellerName: f.contact.name,
          tour: { title: localised(f, locale).title },
          departure: { ...departureOf(f), meetingPoint: localised(f, locale).meetingPoint },
          meetingPointUrl: `https://www.openstreetmap.org/?mlat=${f.meeting.lat}&mlon=${f.meeting.lng}#map=15/${f.meeting.lat}/${f.meeting.lng}`,
          confirmationCode: code,
          ticketUrl,
        }),
      })
    }
    return created
  },

  async 'booking.cancelled'(tx, deps, event) {
    const data = event.data as { bookingId: string; previousStatus?: string }
    const now = deps.clock.now()
    await cancelPendingFor(tx, data.bookingId, ['departure_reminder', 'review_request'], now)
    const f = await bookingFacts(tx, data.bookingId)
    if (!f || data.previousStatus !== 'confirmed' || !f.confirmationCode || f.departureStatus === 'cancelled') return 0
    const code = f.confirmationCode
    return enqueueNotification(tx, {
      ...base(deps, event, f.travellerId, f),
      kind: 'booking_cancelled',
      contact: travellerContact(f),
      variables: (locale) => ({
        travellerName: f.contact.name,
        tour: { title: localised(f, locale).title },
        departure: departureOf(f),
        confirmationCode: code,
        cancelledBy: (f.cancelledBy ?? 'system') as 'traveller',
        ...(f.refundAmount ? { refund: { amount: f.refundAmount, currency: f.total.currency } } : {}),
        ...(f.cancelReason ? { reason: f.cancelReason.slice(0, 500) } : {}),
        toursUrl: `${publicBase(deps.config)}/v1/tours`,
      }),
    })
  },

  async 'payment.refunded'(tx, deps, event) {
    const data = event.data as { bookingId: string; amount: { amount: number; currency: string } }
    if (data.amount.amount <= 0) return 0
    const f = await bookingFacts(tx, data.bookingId)
    if (!f || !f.confirmationCode) return 0
    const code = f.confirmationCode
    return enqueueNotification(tx, {
      ...base(deps, event, f.travellerId, f),
      kind: 'refund_issued',
      contact: travellerContact(f),
      variables: (locale) => ({ travellerName: f.contact.name, tour: { title: localised(f, locale).title }, confirmationCode: code, amount: data.amount }),
    })
  },

  async 'departure.cancelled'(tx, deps, event) {
    const data = event.data as { departureId: string; reason?: string }
    // the booking pillar writes `reason` or `reason: the operator's note`
    const [head, ...rest] = (data.reason ?? 'other').split(':')
    const reason = (CANCEL_REASONS as readonly string[]).includes(head!.trim()) ? head!.trim() : 'other'
    const note = rest.join(':').trim().slice(0, 500)
    const affected = await departureBookingFacts(tx, data.departureId, ['cancelled'])
    let created = 0
    for (const f of affected) {
      if (!f.confirmationCode) continue // a hold: nothing was paid, nothing was promised
      const code = f.confirmationCode
      created += await enqueueNotification(tx, {
        ...base(deps, event, f.travellerId, f),
        // one alert per booking (a traveller with two bookings on the departure hears about each)
        source: `${event.id}/${f.bookingId}`,
        kind: 'departure_cancelled',
        contact: travellerContact(f),
        variables: (locale) => ({
          travellerName: f.contact.name,
          tour: { title: localised(f, locale).title },
          departure: departureOf(f),
          reason,
          ...(note ? { note } : {}),
          refund: { amount: f.refundAmount ?? f.total.amount, currency: f.total.currency },
          confirmationCode: code,
          rebookUrl: `${publicBase(deps.config)}/v1/tours/${f.tourId}`,
        }),
      })
    }
    return created
  },

  async 'booking.completed'(tx, deps, event) {
    const f = await bookingFacts(tx, (event.data as { bookingId: string }).bookingId)
    if (!f) return 0
    return enqueueNotification(tx, {
      ...base(deps, event, f.travellerId, f),
      kind: 'review_request',
      contact: travellerContact(f),
      variables: (locale) => ({
        travellerName: f.contact.name,
        tour: { title: localised(f, locale).title },
        departure: departureOf(f),
        reviewUrl: `${publicBase(deps.config)}/v1/tours/${f.tourId}/reviews`,
      }),
    })
  },
}
