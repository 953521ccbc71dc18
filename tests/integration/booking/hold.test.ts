/**
 * Holding seats: never oversold under any concurrency, sold-out answers, the party rules of a tour, and the price
 * a party pays (child prices, departure overrides, promo codes) — through the HTTP contract and the service.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { onRealPostgres } from '../../support/db.ts'
import { DomainError } from '../../../src/core/errors.ts'
import * as booking from '../../../src/pillars/booking/service.ts'
import { insertPromo } from '../../../src/pillars/booking/repo.ts'
import { addDeparture, contact, eventsOf, idempotencyKey, json, makeTour, makeWorld, principalOf, seatsLeft, send, type World } from './support.ts'

let t: TestApp
let w: World

beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' } })
  w = await makeWorld(t)
})
afterAll(() => t.close())

describe('capacity', () => {
  it(`200 concurrent holds for 10 seats: exactly 10 held, 190 sold_out, seats_left never negative (${onRealPostgres() ? 'PostgreSQL' : 'PGlite, serialised'})`, async () => {
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id, { capacity: 10 })
    const traveller = principalOf(w.traveller)
    const attempts = Array.from({ length: 200 }, () =>
      booking.holdSeats(t.deps, traveller, { departureId: departure.id, party: { adult: 1 }, contact }).then(
        (b) => ({ ok: true as const, id: b.id }),
        (e: unknown) => ({ ok: false as const, code: e instanceof DomainError ? e.code : String(e) }),
      ),
    )
    const results = await Promise.all(attempts)
    const held = results.filter((r) => r.ok)
    const refused = results.filter((r) => !r.ok)
    expect(held).toHaveLength(10)
    expect(new Set(refused.map((r) => (r.ok ? '' : r.code)))).toEqual(new Set(['sold_out']))
    expect(await seatsLeft(t, departure.id)).toBe(0)
    const heldEvents = await eventsOf(t, { type: 'booking.held' })
    expect(heldEvents.filter((e) => e.data.departureId === departure.id)).toHaveLength(10)
  })

  it('a party larger than the seats left is refused with 409 sold_out, and takes nothing', async () => {
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id, { capacity: 3 })
    await json(await send(t, 'POST', '/v1/bookings', { departureId: departure.id, party: { adult: 2 }, contact }, { ...w.traveller.headers, ...idempotencyKey() }), 201)
    const res = await json<{ code: string; detail: string }>(
      await send(t, 'POST', '/v1/bookings', { departureId: departure.id, party: { adult: 2 }, contact }, { ...w.otherTraveller.headers, ...idempotencyKey() }),
      409,
    )
    expect(res.code).toBe('sold_out')
    expect(await seatsLeft(t, departure.id)).toBe(1)
  })

  it('a cancelled departure refuses holds (409 conflict); a draft tour’s departure is not found (404)', async () => {
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id)
    await json(await send(t, 'POST', `/v1/operator/departures/${departure.id}/cancel`, { reason: 'weather' }, w.operator.headers))
    const cancelled = await json<{ code: string }>(await send(t, 'POST', '/v1/bookings', { departureId: departure.id, party: { adult: 1 }, contact }, { ...w.traveller.headers, ...idempotencyKey() }), 409)
    expect(cancelled.code).toBe('conflict')
    const draft = await makeTour(t, w.operator, {}, { publish: false })
    const draftDeparture = await addDeparture(t, w.operator, draft.id)
    await json(await send(t, 'POST', '/v1/bookings', { departureId: draftDeparture.id, party: { adult: 1 }, contact }, { ...w.traveller.headers, ...idempotencyKey() }), 404)
  })
})

describe('the HTTP contract', () => {
  it('POST /v1/bookings answers 201 with status held, expiresAt 15 minutes on and the breakdown; booking.held is published', async () => {
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id)
    const before = Date.now()
    const created = await json<{ id: string; status: string; expiresAt: string; seats: number; price: { total: number }; departure: { localStartsAt: string } }>(
      await send(t, 'POST', '/v1/bookings', { departureId: departure.id, party: { adult: 1, child: 1 }, contact }, { ...w.traveller.headers, ...idempotencyKey() }),
      201,
    )
    expect(created).toMatchObject({ status: 'held', seats: 2, price: { total: 1_500_000 + 1_000_000 } })
    const expiresIn = Date.parse(created.expiresAt) - before
    expect(expiresIn).toBeGreaterThan(14 * 60_000)
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000 + 60_000)
    expect(created.departure.localStartsAt).toMatch(/\+12:00$/)
    const events = await eventsOf(t, { aggregateId: created.id })
    expect(events.map((e) => e.type)).toEqual(['booking.held'])
    expect(events[0]!.data).toMatchObject({ departureId: departure.id, seats: 2, total: { amount: 2_500_000, currency: 'RUB' } })
  })

  it('the Idempotency-Key header is required (400 naming it); operators cannot hold seats (403)', async () => {
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id)
    const body = { departureId: departure.id, party: { adult: 1 }, contact }
    const missing = await json<{ errors: Array<{ path: string }> }>(await send(t, 'POST', '/v1/bookings', body, w.traveller.headers), 400)
    expect(missing.errors.map((e) => e.path).join(' ')).toMatch(/idempotency-key/i)
    await json(await send(t, 'POST', '/v1/bookings', body, { ...w.operator.headers, ...idempotencyKey() }), 403)
    expect(await seatsLeft(t, departure.id)).toBe(10)
  })

  it('a replay with the same Idempotency-Key returns the same booking and holds nothing more; another body with it is 422', async () => {
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id)
    const body = { departureId: departure.id, party: { adult: 2 }, contact }
    const key = idempotencyKey()
    const first = await send(t, 'POST', '/v1/bookings', body, { ...w.traveller.headers, ...key })
    const held = await json<{ id: string }>(first, 201)
    const replay = await send(t, 'POST', '/v1/bookings', body, { ...w.traveller.headers, ...key })
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    expect((await json<{ id: string }>(replay, 201)).id).toBe(held.id)
    expect(await seatsLeft(t, departure.id)).toBe(8)
    await json(await send(t, 'POST', '/v1/bookings', { ...body, party: { adult: 3 } }, { ...w.traveller.headers, ...key }), 422)
    expect(await seatsLeft(t, departure.id)).toBe(8)
  })
})

describe('party rules (422 unprocessable, naming the field)', () => {
  async function hold(tourOverrides: Record<string, unknown>, body: Record<string, unknown>, capacity = 10) {
    const tour = await makeTour(t, w.operator, tourOverrides)
    const departure = await addDeparture(t, w.operator, tour.id, { capacity })
    const res = await send(t, 'POST', '/v1/bookings', { departureId: departure.id, contact, ...body }, { ...w.traveller.headers, ...idempotencyKey() })
    return { res, departure }
  }

  it('a party larger than the whole departure', async () => {
    const { res, departure } = await hold({}, { party: { adult: 5 } }, 4)
    const problem = await json<{ code: string; errors: Array<{ path: string }> }>(res, 422)
    expect(problem.code).toBe('unprocessable')
    expect(problem.errors.map((e) => e.path)).toContain('json.party')
    expect(await seatsLeft(t, departure.id)).toBe(4)
  })

  it('children alone, and more infants than adults', async () => {
    const alone = await json<{ errors: Array<{ path: string; message: string }> }>((await hold({ prices: { adult: 100, child: 50, infant: 0 } }, { party: { child: 2 } })).res, 422)
    expect(alone.errors[0]!.message).toMatch(/adult/)
    const infants = await json<{ errors: Array<{ path: string }> }>((await hold({ prices: { adult: 100, child: 50, infant: 0 } }, { party: { adult: 1, infant: 2 } })).res, 422)
    expect(infants.errors.map((e) => e.path)).toContain('json.party.infant')
  })

  it('a minimum age of 12 excludes children, of 2 excludes infants only', async () => {
    const prices = { adult: 100, child: 50, infant: 0 }
    const kids = await json<{ errors: Array<{ path: string }> }>((await hold({ prices, requirements: { minAge: 12 } }, { party: { adult: 1, child: 1 } })).res, 422)
    expect(kids.errors.map((e) => e.path)).toEqual(['json.party.child'])
    await json((await hold({ prices, requirements: { minAge: 2 } }, { party: { adult: 1, child: 1 } })).res, 201)
    const baby = await json<{ errors: Array<{ path: string }> }>((await hold({ prices, requirements: { minAge: 2 } }, { party: { adult: 1, infant: 1 } })).res, 422)
    expect(baby.errors.map((e) => e.path)).toEqual(['json.party.infant'])
  })

  it('a helicopter tour with a body-weight limit needs one declared weight per traveller, each within it', async () => {
    const heli = { category: 'helicopter', requirements: { maxBodyWeightKg: 120 } }
    const undeclared = await json<{ errors: Array<{ path: string }> }>((await hold(heli, { party: { adult: 2 } })).res, 422)
    expect(undeclared.errors.map((e) => e.path)).toEqual(['json.weightsKg'])
    const heavy = await json<{ errors: Array<{ path: string }> }>((await hold(heli, { party: { adult: 2 }, weightsKg: [80, 130] })).res, 422)
    expect(heavy.errors.map((e) => e.path)).toEqual(['json.weightsKg.1'])
    await json((await hold(heli, { party: { adult: 2 }, weightsKg: [80, 120] })).res, 201)
  })

  it('a category the tour does not sell', async () => {
    const problem = await json<{ errors: Array<{ path: string }> }>((await hold({ prices: { adult: 100 } }, { party: { adult: 1, senior: 1 } })).res, 422)
    expect(problem.errors.map((e) => e.path)).toEqual(['json.party.senior'])
  })
})

describe('price', () => {
  it('per category: departure overrides first, tour prices for the rest; a percent promo rounds down', async () => {
    await insertPromo(t.db.orm, { code: 'VOLCANO15', percentOff: 15, redeemed: 0 })
    const tour = await makeTour(t, w.operator, { prices: { adult: 1_500_000, child: 1_000_000, infant: 0, senior: 1_200_000 } })
    const departure = await addDeparture(t, w.operator, tour.id, { priceOverrides: { adult: 1_800_001, infant: 10_000 } })
    const created = await json<{ price: unknown; total: unknown; promoCode: string }>(
      await send(
        t,
        'POST',
        '/v1/bookings',
        { departureId: departure.id, party: { adult: 2, child: 1, infant: 1, senior: 1 }, contact, promoCode: 'volcano15' },
        { ...w.traveller.headers, ...idempotencyKey() },
      ),
      201,
    )
    const subtotal = 2 * 1_800_001 + 1_000_000 + 10_000 + 1_200_000
    const discount = Math.floor((subtotal * 15) / 100)
    expect(created.price).toEqual({
      lines: [
        { category: 'adult', unit: 1_800_001, qty: 2, subtotal: 3_600_002 },
        { category: 'child', unit: 1_000_000, qty: 1, subtotal: 1_000_000 },
        { category: 'infant', unit: 10_000, qty: 1, subtotal: 10_000 },
        { category: 'senior', unit: 1_200_000, qty: 1, subtotal: 1_200_000 },
      ],
      subtotal,
      discount: { code: 'VOLCANO15', amount: discount },
      total: subtotal - discount,
      currency: 'RUB',
    })
    expect(discount).toBe(871_500) // 5_810_002 × 15 % = 871_500.3, rounded down
    expect(created.total).toEqual({ amount: subtotal - discount, currency: 'RUB' })
    expect(created.promoCode).toBe('VOLCANO15')
  })

  it('an amount-off promo in another currency, an expired one, and a used-up one are refused (422); a refusal takes no seats', async () => {
    const now = Date.now()
    await insertPromo(t.db.orm, { code: 'USD10', amountOff: 1_000, currency: 'USD', redeemed: 0 })
    await insertPromo(t.db.orm, { code: 'SPRING', percentOff: 10, validUntil: new Date(now - DAY_MS), redeemed: 0 })
    await insertPromo(t.db.orm, { code: 'ONCE', amountOff: 50_000, currency: 'RUB', maxRedemptions: 1, redeemed: 0 })
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id)
    const post = (promoCode: string) =>
      send(t, 'POST', '/v1/bookings', { departureId: departure.id, party: { adult: 1 }, contact, promoCode }, { ...w.traveller.headers, ...idempotencyKey() })
    for (const code of ['USD10', 'SPRING', 'NOSUCHCODE']) {
      const problem = await json<{ errors: Array<{ path: string }> }>(await post(code), 422)
      expect(problem.errors.map((e) => e.path)).toEqual(['json.promoCode'])
    }
    const first = await json<{ total: { amount: number } }>(await post('ONCE'), 201)
    expect(first.total.amount).toBe(1_500_000 - 50_000)
    await json(await post('ONCE'), 422)
    expect(await seatsLeft(t, departure.id)).toBe(9)
  })
})

const DAY_MS = 86_400_000
