/**
 * Managing the catalogue: who may change what (operators their own, admins all, travellers and anonymous callers
 * nothing), the tour life cycle draft → published → archived, and every change committing together with its event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import type { Deps } from '../../../src/deps.ts'
import * as discovery from '../../../src/pillars/discovery/service.ts'
import { tourInputSchema } from '../../../src/pillars/discovery/schema.ts'
import { accountWithRole, json, makeDeparture, makeTour, operatorWithProfile, send, tourBody, type Actor, type OperatorActor } from './support.ts'

let t: TestApp
let alice: OperatorActor
let bob: OperatorActor
let admin: Actor
let traveller: Actor

beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' } })
  alice = await operatorWithProfile(t, 'Alice Volcano Tours')
  bob = await operatorWithProfile(t, 'Bob Bear Tours')
  admin = await accountWithRole(t, 'admin')
  traveller = await accountWithRole(t, 'traveller')
})
afterAll(() => t.close())

async function eventsOf(aggregateId: string) {
  const rows = await queryRows<{ type: string; data: unknown; actor_id: string | null }>(
    t.db.orm,
    sql`select type, data, actor_id from event_outbox where aggregate_id = ${aggregateId} order by seq`,
  )
  return rows.map((r) => ({ type: r.type, data: typeof r.data === 'string' ? JSON.parse(r.data) : r.data, actorId: r.actor_id }))
}

describe('ownership', () => {
  it('operator A cannot edit, publish, archive or schedule on operator B’s tour (403)', async () => {
    const tour = await makeTour(t, bob, {}, { publish: false })
    expect((await send(t, 'PATCH', `/v1/tours/${tour.id}`, { durationMinutes: 60 }, alice.headers)).status).toBe(403)
    expect((await send(t, 'POST', `/v1/tours/${tour.id}/publish`, undefined, alice.headers)).status).toBe(403)
    expect((await send(t, 'POST', `/v1/tours/${tour.id}/archive`, undefined, alice.headers)).status).toBe(403)
    expect((await send(t, 'POST', `/v1/tours/${tour.id}/departures`, { startsAt: new Date(Date.now() + 86_400_000).toISOString(), capacity: 5 }, alice.headers)).status).toBe(403)
    expect((await send(t, 'GET', `/v1/operator/tours/${tour.id}`, undefined, alice.headers)).status).toBe(403)
    const managed = await json<{ version: number; durationMinutes: number }>(await send(t, 'GET', `/v1/operator/tours/${tour.id}`, undefined, bob.headers))
    expect(managed).toMatchObject({ version: 1, durationMinutes: 600 })
  })

  it('operator A cannot change (403) or cancel (404, as for bookings: no hint that it exists) operator B’s departures', async () => {
    const tour = await makeTour(t, bob)
    const departure = await makeDeparture(t, bob, tour.id)
    expect((await send(t, 'PATCH', `/v1/departures/${departure.id}`, { capacity: 1 }, alice.headers)).status).toBe(403)
    expect((await send(t, 'POST', `/v1/departures/${departure.id}/cancel`, undefined, alice.headers)).status).toBe(404)
  })

  it('an operator cannot create a tour for another operator', async () => {
    const res = await send(t, 'POST', '/v1/tours', tourBody({ operatorId: bob.operatorId }), alice.headers)
    expect(res.status).toBe(403)
  })

  it('travellers cannot create tours (403) and anonymous callers are asked to sign in (401)', async () => {
    expect((await send(t, 'POST', '/v1/tours', tourBody(), traveller.headers)).status).toBe(403)
    expect((await send(t, 'POST', '/v1/tours', tourBody())).status).toBe(401)
    expect((await send(t, 'POST', '/v1/operators', { name: 'X', slug: 'x' }, traveller.headers)).status).toBe(403)
  })

  it('admins manage any tour, and must name the operator of a new one', async () => {
    const missing = await json<{ errors: Array<{ path: string }> }>(await send(t, 'POST', '/v1/tours', tourBody(), admin.headers), 400)
    expect(missing.errors.map((e) => e.path)).toContain('json.operatorId')
    const tour = await json<{ id: string; operatorId: string }>(await send(t, 'POST', '/v1/tours', tourBody({ operatorId: alice.operatorId }), admin.headers), 201)
    expect(tour.operatorId).toBe(alice.operatorId)
    await json(await send(t, 'PATCH', `/v1/tours/${tour.id}`, { minParticipants: 2 }, admin.headers))
    await json(await send(t, 'POST', `/v1/tours/${tour.id}/publish`, undefined, admin.headers))
  })

  it('an operator without a profile is told to create one (409), and gets one profile only', async () => {
    const fresh = await accountWithRole(t, 'operator', 'fresh')
    const res = await json<{ detail: string }>(await send(t, 'POST', '/v1/tours', tourBody(), fresh.headers), 409)
    expect(res.detail).toMatch(/operator profile/)
    await json(await send(t, 'POST', '/v1/operators', { name: 'Fresh', slug: `fresh-${Date.now()}` }, fresh.headers), 201)
    await json(await send(t, 'POST', '/v1/operators', { name: 'Fresh 2', slug: `fresh2-${Date.now()}` }, fresh.headers), 409)
  })

  it('operators list only their own tours; admins see all', async () => {
    const mine = await makeTour(t, alice, {}, { publish: false })
    const aliceList = await json<{ items: Array<{ id: string; operatorId: string }> }>(await send(t, 'GET', '/v1/operator/tours', undefined, alice.headers))
    expect(aliceList.items.every((i) => i.operatorId === alice.operatorId)).toBe(true)
    expect(aliceList.items.map((i) => i.id)).toContain(mine.id)
    const all = await json<{ items: Array<{ operatorId: string }> }>(await send(t, 'GET', '/v1/operator/tours?limit=100', undefined, admin.headers))
    expect(new Set(all.items.map((i) => i.operatorId))).toEqual(new Set([alice.operatorId, bob.operatorId]))
  })
})

describe('tour life cycle', () => {
  it('draft → published → archived; drafts and archived tours are invisible to travellers', async () => {
    const tour = await makeTour(t, alice, {}, { publish: false })
    expect((await send(t, 'GET', `/v1/tours/${tour.id}`)).status).toBe(404)
    const published = await json<{ status: string; publishedAt: string }>(await send(t, 'POST', `/v1/tours/${tour.id}/publish`, undefined, alice.headers))
    expect(published.status).toBe('published')
    expect(published.publishedAt).toBeTruthy()
    expect((await send(t, 'GET', `/v1/tours/${tour.id}`, undefined, traveller.headers)).status).toBe(200)
    // publishing twice is a state conflict, not a silent success
    expect((await send(t, 'POST', `/v1/tours/${tour.id}/publish`, undefined, alice.headers)).status).toBe(409)
    await json(await send(t, 'POST', `/v1/tours/${tour.id}/archive`, undefined, alice.headers))
    expect((await send(t, 'GET', `/v1/tours/${tour.id}`)).status).toBe(404)
    expect((await send(t, 'PATCH', `/v1/tours/${tour.id}`, { durationMinutes: 60 }, alice.headers)).status).toBe(409)
    expect((await send(t, 'POST', `/v1/tours/${tour.id}/publish`, undefined, alice.headers)).status).toBe(409)
  })

  it('every change publishes its event with the aggregate version and the acting user', async () => {
    const tour = await makeTour(t, alice, {}, { publish: false })
    await json(await send(t, 'PATCH', `/v1/tours/${tour.id}`, { durationMinutes: 480, photos: ['https://img.example.com/a.jpg'] }, alice.headers))
    await json(await send(t, 'POST', `/v1/tours/${tour.id}/publish`, undefined, alice.headers))
    const departure = await makeDeparture(t, alice, tour.id)
    await json(await send(t, 'PATCH', `/v1/departures/${departure.id}`, { capacity: 12 }, alice.headers))
    await json(await send(t, 'POST', `/v1/departures/${departure.id}/cancel`, { reason: 'Volcanic activity' }, alice.headers))
    await json(await send(t, 'POST', `/v1/departures/${departure.id}/cancel`, undefined, alice.headers))
    await json(await send(t, 'POST', `/v1/tours/${tour.id}/archive`, undefined, alice.headers))

    const tourEvents = await eventsOf(tour.id)
    expect(tourEvents.map((e) => e.type)).toEqual(['tour.created', 'tour.updated', 'tour.published', 'tour.archived'])
    expect(tourEvents[1]!.data).toMatchObject({ tourId: tour.id, operatorId: alice.operatorId, fields: ['durationMinutes', 'photos'] })
    expect(tourEvents.every((e) => e.actorId === alice.session.user.id)).toBe(true)
    const departureEvents = await eventsOf(departure.id)
    // cancelling twice publishes once
    expect(departureEvents.map((e) => e.type)).toEqual(['departure.scheduled', 'departure.updated', 'departure.cancelled'])
    expect(departureEvents[1]!.data).toMatchObject({ capacity: 12, seatsLeft: 12, fields: ['capacity'] })
    // A free-text reason is the operator's note under reason "other" (booking's cancellation vocabulary)
    expect(departureEvents[2]!.data).toMatchObject({ tourId: tour.id, reason: 'other: Volcanic activity' })
  })

  it('a change whose transaction rolls back leaves neither the row nor its event', async () => {
    const before = await queryRows<{ n: number }>(t.db.orm, sql`select count(*)::int as n from event_outbox where type like 'tour.%'`)
    const tours = await queryRows<{ n: number }>(t.db.orm, sql`select count(*)::int as n from tours`)
    // The same service over a database whose commits fail after the work is done.
    const failingOrm = new Proxy(t.db.orm, {
      get(target, prop, receiver) {
        if (prop === 'transaction') {
          return (fn: (tx: unknown) => Promise<unknown>) =>
            target.transaction(async (tx) => {
              await fn(tx)
              throw new Error('commit failed')
            })
        }
        return Reflect.get(target, prop, receiver)
      },
    })
    const deps: Deps = { ...t.deps, db: { ...t.db, orm: failingOrm } }
    const input = tourInputSchema.parse({ ...tourBody(), operatorId: undefined })
    await expect(discovery.createTour(deps, alice.session.user, input)).rejects.toThrow('commit failed')
    expect(await queryRows(t.db.orm, sql`select count(*)::int as n from event_outbox where type like 'tour.%'`)).toEqual(before)
    expect(await queryRows(t.db.orm, sql`select count(*)::int as n from tours`)).toEqual(tours)
  })

  it('an edit replaces the fields given and keeps derived columns in step (search text, price from)', async () => {
    const tour = await makeTour(t, alice, {}, { publish: false })
    const edited = await json<{ prices: { adult: number }; version: number; content: { ru: { title: string } } }>(
      await send(t, 'PATCH', `/v1/tours/${tour.id}`, { prices: { adult: 990_000 }, content: tourBody({ title: 'Мутновский вулкан' }).content }, alice.headers),
    )
    expect(edited).toMatchObject({ prices: { adult: 990_000 }, version: 2, content: { ru: { title: 'Мутновский вулкан' } } })
    const [row] = await queryRows<{ price_from: string | number; search_text: string }>(t.db.orm, sql`select price_from, search_text from tours where id = ${tour.id}`)
    expect(Number(row!.price_from)).toBe(990_000)
    expect(row!.search_text).toContain('mutnovsky')
  })
})

describe('departures', () => {
  it('capacity changes keep taken seats taken, and cannot go below them (409 naming body.capacity)', async () => {
    const tour = await makeTour(t, alice)
    const departure = await makeDeparture(t, alice, tour.id, { capacity: 10 })
    // A booking took 4 seats (the booking pillar will do this with its own statement).
    await t.db.orm.execute(sql`update departures set seats_left = 6 where id = ${departure.id}`)
    const grown = await json<{ capacity: number; seatsLeft: number }>(await send(t, 'PATCH', `/v1/departures/${departure.id}`, { capacity: 14 }, alice.headers))
    expect(grown).toMatchObject({ capacity: 14, seatsLeft: 10 })
    const problem = await json<{ errors: Array<{ path: string }> }>(await send(t, 'PATCH', `/v1/departures/${departure.id}`, { capacity: 3 }, alice.headers), 409)
    expect(problem.errors[0]!.path).toBe('json.capacity')
  })

  it('the database refuses seats_left outside 0..capacity whatever the caller', async () => {
    const tour = await makeTour(t, alice)
    const departure = await makeDeparture(t, alice, tour.id, { capacity: 2 })
    await expect(t.db.orm.execute(sql`update departures set seats_left = -1 where id = ${departure.id}`)).rejects.toThrow()
    await expect(t.db.orm.execute(sql`update departures set seats_left = 3 where id = ${departure.id}`)).rejects.toThrow()
  })

  it('a past start, a duplicate start and an archived tour are refused', async () => {
    const tour = await makeTour(t, alice)
    const past = await json<{ errors: Array<{ path: string }> }>(
      await send(t, 'POST', `/v1/tours/${tour.id}/departures`, { startsAt: '2020-01-01T00:00:00Z', capacity: 5 }, alice.headers),
      400,
    )
    expect(past.errors[0]!.path).toBe('json.startsAt')
    const startsAt = new Date(Date.now() + 5 * 86_400_000).toISOString()
    await json(await send(t, 'POST', `/v1/tours/${tour.id}/departures`, { startsAt, capacity: 5 }, alice.headers), 201)
    await json(await send(t, 'POST', `/v1/tours/${tour.id}/departures`, { startsAt, capacity: 5 }, alice.headers), 409)
    await json(await send(t, 'POST', `/v1/tours/${tour.id}/archive`, undefined, alice.headers))
    await json(await send(t, 'POST', `/v1/tours/${tour.id}/departures`, { startsAt: new Date(Date.now() + 6 * 86_400_000).toISOString(), capacity: 5 }, alice.headers), 409)
  })

  it('a local wall-clock start is read in the tour time zone (Kamchatka, UTC+12)', async () => {
    const tour = await makeTour(t, alice)
    const year = new Date().getUTCFullYear() + 1
    const d = await json<{ startsAt: string; startsAtLocal: string }>(
      await send(t, 'POST', `/v1/tours/${tour.id}/departures`, { localStartsAt: `${year}-07-01T08:00`, capacity: 8 }, alice.headers),
      201,
    )
    expect(d.startsAt).toBe(`${year}-06-30T20:00:00.000Z`)
    expect(d.startsAtLocal).toBe(`${year}-07-01T08:00:00+12:00`)
  })

  it("the tour's page lists its scheduled departures soonest first, with a price only where a departure overrides the tour's", async () => {
    const tour = await makeTour(t, alice)
    const at = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString()
    const plain = await json<{ id: string }>(await send(t, 'POST', `/v1/tours/${tour.id}/departures`, { startsAt: at(9), capacity: 6 }, alice.headers), 201)
    const dearer = await json<{ id: string }>(
      await send(t, 'POST', `/v1/tours/${tour.id}/departures`, { startsAt: at(5), capacity: 8, priceOverrides: { adult: 1_800_000 } }, alice.headers),
      201,
    )
    const cancelled = await json<{ id: string }>(await send(t, 'POST', `/v1/tours/${tour.id}/departures`, { startsAt: at(7), capacity: 4 }, alice.headers), 201)
    await json(await send(t, 'POST', `/v1/departures/${cancelled.id}/cancel`, { reason: 'Storm warning' }, alice.headers))

    const page = await json<{ price: Record<string, unknown>; upcomingDepartures: Array<Record<string, unknown>> }>(await send(t, 'GET', `/v1/tours/${tour.id}`))
    expect(page.upcomingDepartures.map((d) => d.id)).toEqual([dearer.id, plain.id])
    const [first, second] = page.upcomingDepartures as [Record<string, unknown>, Record<string, unknown>]
    expect(Object.keys(second).sort()).toEqual(['capacity', 'id', 'seatsLeft', 'startsAt', 'startsAtLocal'])
    expect(second).toMatchObject({ capacity: 6, seatsLeft: 6 })
    expect(first.price).toEqual({ ...page.price, adult: 1_800_000 })
    // The whole departure, prices resolved on every one, is the departures list's.
    const list = await json<{ items: Array<{ id: string; tourId: string; status: string; price: unknown }> }>(await send(t, 'GET', `/v1/tours/${tour.id}/departures`))
    expect(list.items.find((d) => d.id === plain.id)).toMatchObject({ tourId: tour.id, status: 'scheduled', price: page.price })
  })

  it('a recurrence rule schedules daily departures across months, skips exceptions, and is idempotent', async () => {
    const tour = await makeTour(t, alice)
    const year = new Date().getUTCFullYear() + 1
    const rule = { from: `${year}-06-01`, until: `${year}-09-30`, times: ['08:00'], except: [`${year}-07-12`, `${year}-08-01`], capacity: 12 }
    const first = await json<{ created: Array<{ startsAtLocal: string; seatsLeft: number }>; skippedExisting: number; skippedPast: number }>(
      await send(t, 'POST', `/v1/tours/${tour.id}/departures/generate`, rule, alice.headers),
      201,
    )
    expect(first.created).toHaveLength(122 - 2)
    expect(first.created[0]!.startsAtLocal).toBe(`${year}-06-01T08:00:00+12:00`)
    expect(first.created.at(-1)!.startsAtLocal).toBe(`${year}-09-30T08:00:00+12:00`)
    expect(first.created.map((d) => d.startsAtLocal.slice(0, 10))).not.toContain(`${year}-07-12`)
    expect(first.created.every((d) => d.seatsLeft === 12)).toBe(true)
    const again = await json<{ created: unknown[]; skippedExisting: number }>(await send(t, 'POST', `/v1/tours/${tour.id}/departures/generate`, rule, alice.headers), 201)
    expect(again).toMatchObject({ created: [], skippedExisting: 120 })
    const scheduled = await queryRows<{ n: number }>(t.db.orm, sql`select count(*)::int as n from event_outbox where type = 'departure.scheduled' and data ->> 'tourId' = ${tour.id}`)
    expect(Number(scheduled[0]!.n)).toBe(120)
  })

  it('a recurrence rule with weekdays and two times a day', async () => {
    const tour = await makeTour(t, alice)
    const year = new Date().getUTCFullYear() + 1
    // June of next year: count the Saturdays and Sundays
    const weekendDays = Array.from({ length: 30 }, (_, i) => new Date(Date.UTC(year, 5, i + 1)).getUTCDay()).filter((d) => d === 0 || d === 6).length
    const res = await json<{ created: Array<{ startsAtLocal: string }> }>(
      await send(t, 'POST', `/v1/tours/${tour.id}/departures/generate`, { from: `${year}-06-01`, until: `${year}-06-30`, times: ['14:30', '07:00'], weekdays: [6, 7], capacity: 4 }, alice.headers),
      201,
    )
    expect(res.created).toHaveLength(weekendDays * 2)
    expect(new Set(res.created.map((d) => d.startsAtLocal.slice(11, 16)))).toEqual(new Set(['07:00', '14:30']))
  })

  it('invalid rules are 400s naming the field', async () => {
    const tour = await makeTour(t, alice)
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ from: '2030-09-01', until: '2030-06-01', times: ['08:00'], capacity: 5 }, 'json.until'],
      [{ from: '2030-06-01', until: '2030-06-02', times: ['8am'], capacity: 5 }, 'json.times.0'],
      [{ from: '2030-06-01', until: '2030-06-02', times: ['08:00'], capacity: 0 }, 'json.capacity'],
      [{ from: '2030-06-01', until: '2032-06-02', times: ['08:00'], capacity: 5 }, 'json.until'],
    ]
    for (const [body, path] of cases) {
      const problem = await json<{ errors: Array<{ path: string }> }>(await send(t, 'POST', `/v1/tours/${tour.id}/departures/generate`, body, alice.headers), 400)
      expect(problem.errors.map((e) => e.path)).toContain(path)
    }
  })
})

describe('tour validation', () => {
  it('bad tour bodies are 400s naming each field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [tourBody({ currency: 'XYZ' }), 'json.currency'],
      [tourBody({ category: 'skydiving' as never }), 'json.category'],
      [tourBody({ meetingPoint: { lat: 95, lng: 158 } }), 'json.meetingPoint.lat'],
      [tourBody({ prices: { adult: 10.5 } }), 'json.prices.adult'],
      [tourBody({ timezone: 'Mars/Olympus' }), 'json.timezone'],
      [tourBody({ route: { type: 'LineString', coordinates: [[158.8, 53.2]] } as never }), 'json.route.coordinates'],
      [tourBody({ route: { type: 'LineString', coordinates: [[258.8, 53.2], [158.9, 53.3]] } as never }), 'json.route.coordinates.0'],
      [tourBody({ photos: ['ftp://example.com/a.jpg'] }), 'json.photos.0'],
      [tourBody({ cancellationPolicy: { tiers: [{ daysBefore: 30, refundPercent: 50 }, { daysBefore: 7, refundPercent: 100 }] } }), 'json.cancellationPolicy.tiers'],
      [{ ...tourBody(), content: { en: { title: 'Only English' } } }, 'json.content.ru'],
    ]
    for (const [body, path] of cases) {
      const problem = await json<{ errors: Array<{ path: string }> }>(await send(t, 'POST', '/v1/tours', body, alice.headers), 400)
      expect(problem.errors.map((e) => e.path), JSON.stringify(body)).toContain(path)
    }
  })

  it('a full tour round-trips: route, photos, requirements, inclusions, policy, prices', async () => {
    const body = tourBody({
      category: 'helicopter',
      route: { type: 'LineString', coordinates: [[158.65, 53.02], [160.14, 54.43]] },
      photos: ['https://img.example.com/geysers.jpg'],
      requirements: { minAge: 6, maxBodyWeightKg: 120, fitness: 'low' },
      inclusions: { included: ['Flight', 'Lunch'], excluded: ['Park fee'] },
      cancellationPolicy: { tiers: [{ daysBefore: 30, refundPercent: 100 }, { daysBefore: 7, refundPercent: 50 }, { daysBefore: 0, refundPercent: 0 }] },
      prices: { adult: 5_500_000, child: 4_500_000, infant: 0, senior: 5_000_000 },
    })
    const created = await json<Record<string, unknown>>(await send(t, 'POST', '/v1/tours', body, alice.headers), 201)
    expect(created).toMatchObject({ ...body, status: 'draft', timezone: 'Asia/Kamchatka', minParticipants: 1, rating: null })
  })
})
