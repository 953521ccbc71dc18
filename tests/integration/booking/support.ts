/** Helpers for booking tests: a small world of accounts, tours and departures made through the API, and the outbox. */
import { sql } from 'drizzle-orm'
import type { TestApp } from '../../support/app.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import type { AuthUser } from '../../../src/core/auth/principal.ts'
import { accountWithRole, json, makeTour, operatorWithProfile, send, type Actor, type OperatorActor } from '../discovery/support.ts'

export { accountWithRole, json, makeTour, operatorWithProfile, send, type Actor, type OperatorActor }

export const DAY = 86_400_000

export interface World {
  operator: OperatorActor
  otherOperator: OperatorActor
  traveller: Actor
  otherTraveller: Actor
  admin: Actor
}

export async function makeWorld(t: TestApp): Promise<World> {
  return {
    operator: await operatorWithProfile(t, 'Avacha Guides'),
    otherOperator: await operatorWithProfile(t, 'Bear Coast Tours'),
    traveller: await accountWithRole(t, 'traveller', 'anna'),
    otherTraveller: await accountWithRole(t, 'traveller', 'boris'),
    admin: await accountWithRole(t, 'admin'),
  }
}

export const principalOf = (actor: Actor): AuthUser => ({ id: actor.session.user.id, email: actor.session.user.email, role: actor.session.user.role })

/** One departure through the API: at `startsAt` (default in 20 days) or a Kamchatka wall time `localStartsAt`. */
export async function addDeparture(
  t: TestApp,
  actor: Actor,
  tourId: string,
  { startsAt, localStartsAt, capacity = 10, priceOverrides }: { startsAt?: Date; localStartsAt?: string; capacity?: number; priceOverrides?: Record<string, number> } = {},
): Promise<{ id: string; startsAt: string }> {
  const when = localStartsAt ? { localStartsAt } : { startsAt: (startsAt ?? new Date(Date.now() + 20 * DAY)).toISOString() }
  return json(await send(t, 'POST', `/v1/tours/${tourId}/departures`, { ...when, capacity, ...(priceOverrides ? { priceOverrides } : {}) }, actor.headers), 201)
}

export const contact = { name: 'Anna Petrova', email: 'anna@example.com', phone: '+7 914 123-45-67' }

let keys = 0
export const idempotencyKey = () => ({ 'Idempotency-Key': `test-key-${process.pid}-${++keys}-${Date.now()}` })

export async function seatsLeft(t: TestApp, departureId: string): Promise<number> {
  const [row] = await queryRows<{ seats_left: number }>(t.db.orm, sql`select seats_left from departures where id = ${departureId}`)
  return Number(row!.seats_left)
}

export interface StoredEvent {
  type: string
  aggregateId: string
  data: Record<string, unknown>
}

export async function eventsOf(t: TestApp, filter: { type?: string; aggregateId?: string } = {}): Promise<StoredEvent[]> {
  const rows = await queryRows<{ type: string; aggregate_id: string; data: unknown }>(
    t.db.orm,
    sql`select type, aggregate_id, data from event_outbox
        where (${filter.type ?? null}::text is null or type = ${filter.type ?? null}::text)
          and (${filter.aggregateId ?? null}::text is null or aggregate_id = ${filter.aggregateId ?? null}::text)
        order by seq`,
  )
  return rows.map((r) => ({ type: r.type, aggregateId: r.aggregate_id, data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown> }))
}
