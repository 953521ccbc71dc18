/**
 * Queries over operators, tours and departures. Every function takes the executor first — the database or an
 * open transaction — so the service decides what commits together (a change and its event). Row locks
 * (`for update`) serialise concurrent edits of one tour or departure; versions count the edits.
 */
import { and, asc, desc, eq, gte, lt, sql } from 'drizzle-orm'
import type { Executor } from '../../core/db/index.ts'
import { departures, operators, tours, type DepartureRow, type NewDepartureRow, type NewTourRow, type OperatorRow, type TourRow } from './tables.ts'

export async function insertOperator(ex: Executor, row: typeof operators.$inferInsert): Promise<OperatorRow> {
  const [created] = await ex.insert(operators).values(row).returning()
  return created!
}

export async function findOperatorById(ex: Executor, id: string): Promise<OperatorRow | undefined> {
  const rows = await ex.select().from(operators).where(eq(operators.id, id)).limit(1)
  return rows[0]
}

export async function findOperatorByUser(ex: Executor, userId: string): Promise<OperatorRow | undefined> {
  const rows = await ex.select().from(operators).where(eq(operators.userId, userId)).limit(1)
  return rows[0]
}

export async function updateOperator(ex: Executor, id: string, set: Partial<Pick<OperatorRow, 'name' | 'slug' | 'contact'>>, now: Date): Promise<OperatorRow | undefined> {
  const rows = await ex.update(operators).set({ ...set, updatedAt: now }).where(eq(operators.id, id)).returning()
  return rows[0]
}

export async function insertTour(ex: Executor, row: NewTourRow): Promise<TourRow> {
  const [created] = await ex.insert(tours).values(row).returning()
  return created!
}

export async function findTour(ex: Executor, id: string, { lock = false } = {}): Promise<TourRow | undefined> {
  const query = ex.select().from(tours).where(eq(tours.id, id)).limit(1)
  const rows = lock ? await query.for('update') : await query
  return rows[0]
}

/** Applies a change and bumps the version in one statement. */
export async function updateTour(ex: Executor, id: string, set: Partial<NewTourRow>, now: Date): Promise<TourRow> {
  const [row] = await ex
    .update(tours)
    .set({ ...set, version: sql`${tours.version} + 1`, updatedAt: now })
    .where(eq(tours.id, id))
    .returning()
  return row!
}

/** An operator's tours (or every tour, for admins), newest first, keyset on (created_at, id). */
export async function listTours(
  ex: Executor,
  { operatorId, after, limit }: { operatorId?: string; after?: { createdAt: Date; id: string }; limit: number },
): Promise<TourRow[]> {
  const conditions = []
  if (operatorId) conditions.push(eq(tours.operatorId, operatorId))
  if (after) conditions.push(sql`(${tours.createdAt}, ${tours.id}) < (${after.createdAt.toISOString()}::timestamptz, ${after.id}::uuid)`)
  return ex
    .select()
    .from(tours)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(tours.createdAt), desc(tours.id))
    .limit(limit)
}

/** Inserts departures, skipping instants the tour already has (a rule run twice creates nothing new). */
export async function insertDepartures(ex: Executor, rows: NewDepartureRow[]): Promise<DepartureRow[]> {
  if (!rows.length) return []
  const created: DepartureRow[] = []
  // Bounded statement size: a season of daily departures at several times a day is a few hundred rows.
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500)
    created.push(...(await ex.insert(departures).values(chunk).onConflictDoNothing({ target: [departures.tourId, departures.startsAt] }).returning()))
  }
  return created.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime())
}

export async function findDeparture(ex: Executor, id: string, { lock = false } = {}): Promise<DepartureRow | undefined> {
  const query = ex.select().from(departures).where(eq(departures.id, id)).limit(1)
  const rows = lock ? await query.for('update') : await query
  return rows[0]
}

export async function updateDeparture(ex: Executor, id: string, set: Partial<NewDepartureRow>, now: Date): Promise<DepartureRow> {
  const [row] = await ex
    .update(departures)
    .set({ ...set, version: sql`${departures.version} + 1`, updatedAt: now })
    .where(eq(departures.id, id))
    .returning()
  return row!
}

/** A tour's departures starting in [from, to), in time order; cancelled ones only when asked. */
export async function listDepartures(
  ex: Executor,
  tourId: string,
  { from, to, includeCancelled = false, limit = 1000 }: { from: Date; to: Date; includeCancelled?: boolean; limit?: number },
): Promise<DepartureRow[]> {
  const conditions = [eq(departures.tourId, tourId), gte(departures.startsAt, from), lt(departures.startsAt, to)]
  if (!includeCancelled) conditions.push(eq(departures.status, 'scheduled'))
  return ex.select().from(departures).where(and(...conditions)).orderBy(asc(departures.startsAt)).limit(limit)
}

/** The tour a departure belongs to (cache invalidation for booking events, which name only the departure). */
export async function tourIdOfDeparture(ex: Executor, departureId: string): Promise<string | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(departureId)) return undefined
  const rows = await ex.select({ tourId: departures.tourId }).from(departures).where(eq(departures.id, departureId)).limit(1)
  return rows[0]?.tourId
}

export async function countTours(ex: Executor): Promise<number> {
  const [row] = await ex.select({ n: sql<number>`count(*)::int` }).from(tours)
  return Number(row?.n ?? 0)
}
