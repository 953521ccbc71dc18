/** Drizzle views of the booking tables created by sql/0007_booking.sql (the SQL file is the source of truth). */
import { bigint, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import type { Breakdown, Party } from './pricing.ts'

const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export const BOOKING_STATUSES = ['held', 'confirmed', 'cancelled', 'expired', 'completed'] as const
export type BookingStatus = (typeof BOOKING_STATUSES)[number]

export interface Contact {
  name: string
  email: string
  phone?: string
}

export type CancelledBy = 'traveller' | 'operator' | 'admin' | 'system'

export const bookings = pgTable('bookings', {
  id: uuid('id').primaryKey(),
  departureId: uuid('departure_id').notNull(),
  tourId: uuid('tour_id').notNull(),
  operatorId: uuid('operator_id').notNull(),
  travellerId: uuid('traveller_id').notNull(),
  status: text('status', { enum: BOOKING_STATUSES }).notNull(),
  party: jsonb('party').$type<Party>().notNull(),
  seats: integer('seats').notNull(),
  price: jsonb('price').$type<Breakdown>().notNull(),
  totalAmount: bigint('total_amount', { mode: 'number' }).notNull(),
  currency: text('currency').notNull(),
  contact: jsonb('contact').$type<Contact>().notNull(),
  promoCode: text('promo_code'),
  expiresAt: timestamptz('expires_at').notNull(),
  confirmationCode: text('confirmation_code'),
  paymentId: text('payment_id'),
  confirmedAt: timestamptz('confirmed_at'),
  cancelledAt: timestamptz('cancelled_at'),
  cancelledBy: text('cancelled_by').$type<CancelledBy>(),
  cancelReason: text('cancel_reason'),
  refundAmount: bigint('refund_amount', { mode: 'number' }),
  completedAt: timestamptz('completed_at'),
  createdAt: timestamptz('created_at').notNull(),
  updatedAt: timestamptz('updated_at').notNull(),
  version: integer('version').notNull(),
})

export const promoCodes = pgTable('promo_codes', {
  code: text('code').primaryKey(),
  percentOff: integer('percent_off'),
  amountOff: bigint('amount_off', { mode: 'number' }),
  currency: text('currency'),
  validFrom: timestamptz('valid_from'),
  validUntil: timestamptz('valid_until'),
  maxRedemptions: integer('max_redemptions'),
  redeemed: integer('redeemed').notNull(),
  createdAt: timestamptz('created_at').notNull().defaultNow(),
})

export type BookingRow = typeof bookings.$inferSelect
export type NewBookingRow = typeof bookings.$inferInsert
export type PromoCodeRow = typeof promoCodes.$inferSelect
