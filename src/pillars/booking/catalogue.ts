/**
 * The only place the booking pillar touches the catalogue's rows: it reads departures and tours, and owns one
 * column of them — departures.seats_left, the seat counter holds decrement (0005 names it so) — plus the
 * departure's cancelled status when cancelling a departure with its bookings.
 *
 * The guarantee: `takeSeats` is the capacity check and the hold in ONE statement. Under concurrency PostgreSQL
 * serialises the updates on the departure row; each re-checks `seats_left >= n` on the latest row version after
 * the previous one commits, so no interleaving can take more seats than there are.
 */
import { and, eq, gte, gt, sql } from 'drizzle-orm'
import type { Executor } from '../../core/db/index.ts'
import { departures, tours } from '../discovery/tables.ts'

export const catalogueColumns = {
  departureId: departures.id,
  tourId: departures.tourId,
  startsAt: departures.startsAt,
  capacity: departures.capacity,
  seatsLeft: departures.seatsLeft,
  priceOverrides: departures.priceOverrides,
  departureStatus: departures.status,
  departureVersion: departures.version,
  tourStatus: tours.status,
  operatorId: tours.operatorId,
  currency: tours.currency,
  prices: tours.prices,
  requirements: tours.requirements,
  cancellationPolicy: tours.cancellationPolicy,
  minParticipants: tours.minParticipants,
  durationMinutes: tours.durationMinutes,
  timezone: tours.timezone,
  title: sql<string>`${tours.content} #>> '{ru,title}'`,
}

export type DepartureInfo = {
  departureId: string
  tourId: string
  startsAt: Date
  capacity: number
  seatsLeft: number
  priceOverrides: Record<string, number | undefined> | null
  departureStatus: 'scheduled' | 'cancelled'
  departureVersion: number
  tourStatus: 'draft' | 'published' | 'archived'
  operatorId: string
  currency: string
  prices: { adult: number; child?: number; infant?: number; senior?: number }
  requirements: { minAge?: number; fitness?: 'low' | 'medium' | 'high'; maxBodyWeightKg?: number }
  cancellationPolicy: { tiers: Array<{ daysBefore: number; refundPercent: number }> }
  minParticipants: number
  durationMinutes: number
  timezone: string
  title: string
}

/** A departure with what booking needs of its tour; `lock` takes the departure row lock (lock order: departure first). */
export async function findDepartureInfo(ex: Executor, departureId: string, { lock = false } = {}): Promise<DepartureInfo | undefined> {
  const query = ex.select(catalogueColumns).from(departures).innerJoin(tours, eq(tours.id, departures.tourId)).where(eq(departures.id, departureId)).limit(1)
  const rows = lock ? await query.for('update', { of: departures }) : await query
  return rows[0] as DepartureInfo | undefined
}

/** The atomic hold: seats taken only from a scheduled, future departure with enough left; undefined otherwise. */
export async function takeSeats(tx: Executor, departureId: string, seats: number, now: Date): Promise<{ seatsLeft: number } | undefined> {
  const rows = await tx
    .update(departures)
    .set({ seatsLeft: sql`${departures.seatsLeft} - ${seats}` })
    .where(and(eq(departures.id, departureId), eq(departures.status, 'scheduled'), gt(departures.startsAt, now), gte(departures.seatsLeft, seats)))
    .returning({ seatsLeft: departures.seatsLeft })
  return rows[0]
}

/** Seats back to a departure, never above its capacity (a capacity cut below what was taken cannot overflow it). */
export async function returnSeats(tx: Executor, departureId: string, seats: number): Promise<void> {
  if (seats <= 0) return
  await tx
    .update(departures)
    .set({ seatsLeft: sql`least(${departures.capacity}, ${departures.seatsLeft} + ${seats})` })
    .where(eq(departures.id, departureId))
}

/** scheduled → cancelled; undefined when it was not scheduled (already cancelled: callers treat that as done). */
export async function markDepartureCancelled(tx: Executor, departureId: string, reason: string, now: Date): Promise<{ version: number } | undefined> {
  const rows = await tx
    .update(departures)
    .set({ status: 'cancelled', cancelReason: reason, version: sql`${departures.version} + 1`, updatedAt: now })
    .where(and(eq(departures.id, departureId), eq(departures.status, 'scheduled')))
    .returning({ version: departures.version })
  return rows[0]
}

/**
 * Scheduled departures inside their minimum-participants deadline (starting within `deadlineHours`, not started)
 * whose taken seats (held + confirmed = capacity − seats left) are fewer than the tour's minimum (above 1).
 */
export async function underfilledDepartures(ex: Executor, now: Date, deadlineHours: number, limit: number): Promise<string[]> {
  const deadline = new Date(now.getTime() + deadlineHours * 3_600_000)
  const rows = await ex
    .select({ id: departures.id })
    .from(departures)
    .innerJoin(tours, eq(tours.id, departures.tourId))
    .where(
      and(
        eq(departures.status, 'scheduled'),
        gt(departures.startsAt, now),
        sql`${departures.startsAt} <= ${deadline.toISOString()}::timestamptz`,
        sql`${tours.minParticipants} > 1`,
        sql`${departures.capacity} - ${departures.seatsLeft} < ${tours.minParticipants}`,
      ),
    )
    .orderBy(departures.startsAt)
    .limit(limit)
  return rows.map((r) => r.id)
}

/** The operator profile of an operator account (who an operator principal is, for ownership checks). */
export async function operatorIdOfUser(ex: Executor, userId: string): Promise<string | undefined> {
  const rows = await ex.execute(sql`select id from operators where user_id = ${userId} limit 1`)
  const list = (Array.isArray(rows) ? rows : (rows as unknown as { rows: Array<{ id: string }> }).rows) as Array<{ id: string }>
  return list[0]?.id
}

export async function cancelReasonOf(ex: Executor, departureId: string): Promise<string | null> {
  const rows = await ex.select({ reason: departures.cancelReason }).from(departures).where(eq(departures.id, departureId)).limit(1)
  return rows[0]?.reason ?? null
}
