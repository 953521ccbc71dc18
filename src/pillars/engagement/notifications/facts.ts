/**
 * The facts a message about a booking or a departure needs (who, where, when, how much), read in the
 * subscriber's transaction. A read-only view over the booking and discovery tables: events carry ids, not the
 * traveller's contact or the tour's title in three languages, and a narrow read here is what keeps the events small.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../../../core/db/index.ts'
import type { Locale } from '../../../core/notifications/templates/i18n.ts'
import type { Config } from '../../../core/config/schema.ts'

type Localised = { title?: string; meetingPoint?: string }

export interface BookingFacts {
  bookingId: string
  travellerId: string
  status: string
  party: Record<string, number>
  seats: number
  total: { amount: number; currency: string }
  refundAmount: number | null
  cancelledBy: string | null
  cancelReason: string | null
  contact: { name: string; email?: string; phone?: string }
  confirmationCode: string | null
  departureId: string
  departureStatus: string
  startsAt: Date
  capacity: number
  seatsLeft: number
  tourId: string
  timezone: string
  content: Record<string, Localised | undefined>
  meeting: { lat: number; lng: number }
  operatorUserId: string
  operatorContact: { email?: string; phone?: string }
}

interface Row {
  id: string
  traveller_id: string
  status: string
  party: unknown
  seats: number
  total_amount: string | number
  currency: string
  refund_amount: string | number | null
  cancelled_by: string | null
  cancel_reason: string | null
  contact: unknown
  confirmation_code: string | null
  departure_id: string
  departure_status: string
  starts_at: string | Date
  capacity: number
  seats_left: number
  tour_id: string
  timezone: string
  content: unknown
  meeting_lat: number
  meeting_lng: number
  operator_user_id: string
  operator_contact: unknown
  operator_email: string
}

const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T

const SELECT = sql`
  select b.id, b.traveller_id, b.status, b.party, b.seats, b.total_amount, b.currency, b.refund_amount, b.cancelled_by,
    b.cancel_reason, b.contact, b.confirmation_code, d.id as departure_id, d.status as departure_status, d.starts_at,
    d.capacity, d.seats_left, t.id as tour_id, t.timezone, t.content, t.meeting_lat, t.meeting_lng,
    o.user_id as operator_user_id, o.contact as operator_contact, ou.email as operator_email
  from bookings b
  join departures d on d.id = b.departure_id
  join tours t on t.id = b.tour_id
  join operators o on o.id = b.operator_id
  join users ou on ou.id = o.user_id`

export async function bookingFacts(ex: Executor, bookingId: string): Promise<BookingFacts | undefined> {
  const [row] = await queryRows<Row>(ex, sql`${SELECT} where b.id = ${bookingId}`)
  return row && factsOf(row)
}

/** Bookings of a departure in the given statuses (a cancelled departure's confirmed ones, a manifest's). */
export async function departureBookingFacts(ex: Executor, departureId: string, statuses: string[]): Promise<BookingFacts[]> {
  const rows = await queryRows<Row>(ex, sql`${SELECT} where b.departure_id = ${departureId} and b.status = any(${`{${statuses.join(',')}}`}::text[]) order by b.id`)
  return rows.map(factsOf)
}

function factsOf(r: Row): BookingFacts {
  const operatorContact = json<{ email?: string; phone?: string }>(r.operator_contact) ?? {}
  return {
    bookingId: r.id,
    travellerId: r.traveller_id,
    status: r.status,
    party: json(r.party),
    seats: Number(r.seats),
    total: { amount: Number(r.total_amount), currency: r.currency },
    refundAmount: r.refund_amount === null ? null : Number(r.refund_amount),
    cancelledBy: r.cancelled_by,
    cancelReason: r.cancel_reason,
    contact: json(r.contact),
    confirmationCode: r.confirmation_code,
    departureId: r.departure_id,
    departureStatus: r.departure_status,
    startsAt: new Date(r.starts_at),
    capacity: Number(r.capacity),
    seatsLeft: Number(r.seats_left),
    tourId: r.tour_id,
    timezone: r.timezone,
    content: json(r.content),
    meeting: { lat: Number(r.meeting_lat), lng: Number(r.meeting_lng) },
    operatorUserId: r.operator_user_id,
    operatorContact: { email: operatorContact.email ?? r.operator_email, ...(operatorContact.phone ? { phone: operatorContact.phone } : {}) },
  }
}

/** The tour's title and meeting point in `locale`, falling back to Russian (always present). */
export function localised(f: BookingFacts, locale: Locale): { title: string; meetingPoint: string } {
  const pick = (key: keyof Localised) => f.content[locale]?.[key]?.trim() || f.content.ru?.[key]?.trim() || ''
  return { title: pick('title') || 'KamHub', meetingPoint: pick('meetingPoint') || `${f.meeting.lat.toFixed(5)}, ${f.meeting.lng.toFixed(5)}` }
}

/** Where links in messages point: PUBLIC_URL, or this server in development. */
export function publicBase(config: Pick<Config, 'PUBLIC_URL' | 'PORT'>): string {
  return (config.PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`).replace(/\/$/, '')
}

/** E.164 from what a traveller typed ('+7 914 123-45-67' → '+79141234567'); undefined when it cannot be one. */
export function e164(phone: string | undefined): string | undefined {
  if (!phone) return undefined
  const digits = phone.replace(/[\s()-]/g, '')
  return /^\+[1-9][0-9]{6,14}$/.test(digits) ? digits : undefined
}

export const partyOf = (f: BookingFacts) => Object.fromEntries(Object.entries(f.party).filter(([k]) => ['adult', 'child', 'senior', 'infant'].includes(k)))
