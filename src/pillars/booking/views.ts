/** What the API answers with: bookings as travellers and operators see them, departure times in the tour's zone. */
import { formatInZone } from '../discovery/zoned-time.ts'
import type { Breakdown, Party } from './pricing.ts'
import type { BookingRow, BookingStatus, Contact } from './tables.ts'

export interface Money {
  amount: number
  currency: string
}

export interface BookingView {
  id: string
  status: BookingStatus
  departure: { id: string; startsAt: string; localStartsAt: string; timezone: string }
  tourId: string
  operatorId: string
  travellerId: string
  party: Party
  seats: number
  price: Breakdown
  total: Money
  contact: Contact
  promoCode: string | null
  /** Until when a held booking keeps its seats. */
  expiresAt: string
  confirmationCode: string | null
  confirmedAt: string | null
  cancelledAt: string | null
  cancelReason: string | null
  refund: Money | null
  completedAt: string | null
  createdAt: string
  version: number
}

const iso = (d: Date | null) => (d ? d.toISOString() : null)

export function bookingView(b: BookingRow, startsAt: Date, timezone: string): BookingView {
  return {
    id: b.id,
    status: b.status,
    departure: { id: b.departureId, startsAt: startsAt.toISOString(), localStartsAt: formatInZone(startsAt, timezone), timezone },
    tourId: b.tourId,
    operatorId: b.operatorId,
    travellerId: b.travellerId,
    party: b.party,
    seats: b.seats,
    price: b.price,
    total: { amount: b.totalAmount, currency: b.currency },
    contact: b.contact,
    promoCode: b.promoCode,
    expiresAt: b.expiresAt.toISOString(),
    confirmationCode: b.confirmationCode,
    confirmedAt: iso(b.confirmedAt),
    cancelledAt: iso(b.cancelledAt),
    cancelReason: b.cancelReason,
    refund: b.refundAmount === null ? null : { amount: b.refundAmount, currency: b.currency },
    completedAt: iso(b.completedAt),
    createdAt: b.createdAt.toISOString(),
    version: b.version,
  }
}

export interface ManifestEntry {
  bookingId: string
  confirmationCode: string | null
  status: BookingStatus
  travellerId: string
  contact: Contact
  party: Party
  seats: number
}

export interface Manifest {
  departureId: string
  tourId: string
  title: string
  startsAt: string
  localStartsAt: string
  timezone: string
  departureStatus: 'scheduled' | 'cancelled'
  capacity: number
  seatsLeft: number
  /** Seats of confirmed bookings (who travels). */
  confirmedSeats: number
  /** Seats held pending payment (may still confirm or expire). */
  heldSeats: number
  entries: ManifestEntry[]
}
