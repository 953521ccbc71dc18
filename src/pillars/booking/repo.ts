/**
 * Queries over bookings and promo codes. Every function takes the executor first (the database or an open
 * transaction) so the service decides what commits together. State changes are conditional on the current
 * status (`where status = 'held'`): two transitions racing on one booking cannot both win.
 */
import { and, asc, desc, eq, inArray, lt, lte, sql } from 'drizzle-orm'
import type { Executor } from '../../core/db/index.ts'
import { departures, tours } from '../discovery/tables.ts'
import { bookings, promoCodes, type BookingRow, type BookingStatus, type NewBookingRow, type PromoCodeRow } from './tables.ts'

export async function insertBooking(tx: Executor, row: NewBookingRow): Promise<BookingRow> {
  const [created] = await tx.insert(bookings).values(row).returning()
  return created!
}

export async function findBooking(ex: Executor, id: string, { lock = false } = {}): Promise<BookingRow | undefined> {
  const query = ex.select().from(bookings).where(eq(bookings.id, id)).limit(1)
  const rows = lock ? await query.for('update') : await query
  return rows[0]
}

/** A booking with the departure time and tour time zone its views show. */
export async function findBookingWithDeparture(ex: Executor, id: string): Promise<BookingWithDeparture | undefined> {
  const rows = await withDeparture(ex).where(eq(bookings.id, id)).limit(1)
  return rows[0]
}

export interface BookingWithDeparture {
  booking: BookingRow
  startsAt: Date
  timezone: string
}

function withDeparture(ex: Executor) {
  return ex
    .select({ booking: bookings, startsAt: departures.startsAt, timezone: tours.timezone })
    .from(bookings)
    .innerJoin(departures, eq(departures.id, bookings.departureId))
    .innerJoin(tours, eq(tours.id, bookings.tourId))
}

/** A traveller's bookings, newest first, keyset on the (time-ordered) id. */
export async function listTravellerBookings(ex: Executor, travellerId: string, { before, limit }: { before?: string; limit: number }): Promise<BookingWithDeparture[]> {
  const conditions = [eq(bookings.travellerId, travellerId)]
  if (before) conditions.push(lt(bookings.id, before))
  return withDeparture(ex).where(and(...conditions)).orderBy(desc(bookings.id)).limit(limit)
}

export async function listDepartureBookings(ex: Executor, departureId: string, statuses?: BookingStatus[]): Promise<BookingRow[]> {
  const conditions = [eq(bookings.departureId, departureId)]
  if (statuses?.length) conditions.push(inArray(bookings.status, statuses))
  return ex.select().from(bookings).where(and(...conditions)).orderBy(asc(bookings.id))
}

/** Applies a change to a booking in `from` status, bumping its version; undefined when the status moved meanwhile. */
export async function transition(tx: Executor, id: string, from: BookingStatus[], set: Partial<NewBookingRow>, now: Date): Promise<BookingRow | undefined> {
  const [row] = await tx
    .update(bookings)
    .set({ ...set, version: sql`${bookings.version} + 1`, updatedAt: now })
    .where(and(eq(bookings.id, id), inArray(bookings.status, from)))
    .returning()
  return row
}

/**
 * The sweeps' conditions, each shared by the sweep's locking read and its peek: most minutes nothing is due, and a
 * plain read says so in one round trip where the locking read needs a transaction around it (BEGIN and COMMIT are
 * two more, and on the embedded PGlite every round trip is the server's one database session).
 */
const dueHold = (now: Date) => and(eq(bookings.status, 'held'), lte(bookings.expiresAt, now))
const finishedBooking = (now: Date) =>
  and(eq(bookings.status, 'confirmed'), sql`${departures.startsAt} + make_interval(mins => ${tours.durationMinutes}) <= ${now.toISOString()}::timestamptz`)

/** Whether any hold is past expires_at (the sweep's peek: no lock, no transaction). */
export async function anyDueHold(ex: Executor, now: Date): Promise<boolean> {
  const rows = await ex.select({ id: bookings.id }).from(bookings).where(dueHold(now)).limit(1)
  return rows.length > 0
}

/** Whether any confirmed booking's departure has ended (the sweep's peek: no lock, no transaction). */
export async function anyFinishedBooking(ex: Executor, now: Date): Promise<boolean> {
  const rows = await ex
    .select({ id: bookings.id })
    .from(bookings)
    .innerJoin(departures, eq(departures.id, bookings.departureId))
    .innerJoin(tours, eq(tours.id, bookings.tourId))
    .where(finishedBooking(now))
    .limit(1)
  return rows.length > 0
}

/**
 * Due holds, oldest first, with their booking AND departure rows locked — skipping any row another transaction
 * holds. The sweep therefore never waits: it cannot deadlock with a departure cancellation (which locks the
 * departure, then its bookings) and leaves a booking being confirmed right now to that confirmation.
 */
export async function lockDueHolds(tx: Executor, now: Date, limit: number): Promise<BookingRow[]> {
  const rows = await tx
    .select({ booking: bookings })
    .from(bookings)
    .innerJoin(departures, eq(departures.id, bookings.departureId))
    .where(dueHold(now))
    .orderBy(asc(bookings.expiresAt))
    .limit(limit)
    .for('update', { of: [bookings, departures], skipLocked: true })
  return rows.map((r) => r.booking)
}

/** Confirmed bookings of departures that have ended (start + tour duration ≤ now), locked, skipping locked rows. */
export async function lockFinishedBookings(tx: Executor, now: Date, limit: number): Promise<BookingRow[]> {
  const rows = await tx
    .select({ booking: bookings })
    .from(bookings)
    .innerJoin(departures, eq(departures.id, bookings.departureId))
    .innerJoin(tours, eq(tours.id, bookings.tourId))
    .where(finishedBooking(now))
    .orderBy(asc(departures.startsAt))
    .limit(limit)
    .for('update', { of: bookings, skipLocked: true })
  return rows.map((r) => r.booking)
}

export async function findPromo(ex: Executor, code: string): Promise<PromoCodeRow | undefined> {
  const rows = await ex.select().from(promoCodes).where(eq(promoCodes.code, code)).limit(1)
  return rows[0]
}

/** Redeems one use, atomically against the cap; false when the code ran out meanwhile. */
export async function redeemPromo(tx: Executor, code: string): Promise<boolean> {
  const rows = await tx
    .update(promoCodes)
    .set({ redeemed: sql`${promoCodes.redeemed} + 1` })
    .where(and(eq(promoCodes.code, code), sql`(${promoCodes.maxRedemptions} is null or ${promoCodes.redeemed} < ${promoCodes.maxRedemptions})`))
    .returning({ code: promoCodes.code })
  return rows.length > 0
}

/** Gives a use back when a booking ends without being confirmed (expired, or cancelled while held). */
export async function releasePromo(tx: Executor, code: string | null): Promise<void> {
  if (!code) return
  await tx
    .update(promoCodes)
    .set({ redeemed: sql`greatest(0, ${promoCodes.redeemed} - 1)` })
    .where(eq(promoCodes.code, code))
}

export async function insertPromo(ex: Executor, row: typeof promoCodes.$inferInsert): Promise<PromoCodeRow> {
  const [created] = await ex.insert(promoCodes).values(row).returning()
  return created!
}

/** A departure's held and confirmed bookings, locked (the caller holds the departure row lock first). */
export async function lockLiveBookings(tx: Executor, departureId: string): Promise<BookingRow[]> {
  return tx
    .select()
    .from(bookings)
    .where(and(eq(bookings.departureId, departureId), inArray(bookings.status, ['held', 'confirmed'])))
    .orderBy(asc(bookings.id))
    .for('update')
}
