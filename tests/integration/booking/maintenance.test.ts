/**
 * The booking life cycle over time, driven by an explicit `now` (no waiting): holds expire and give their seats
 * back, confirmation races the sweep safely, past departures complete, underfilled ones are auto-cancelled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { onRealPostgres } from '../../support/db.ts'
import { DomainError } from '../../../src/core/errors.ts'
import * as booking from '../../../src/pillars/booking/service.ts'
import { findPromo, insertPromo } from '../../../src/pillars/booking/repo.ts'
import { addDeparture, contact, DAY, eventsOf, makeTour, makeWorld, principalOf, seatsLeft, type World } from './support.ts'

let t: TestApp
let w: World
const MINUTE = 60_000

beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' } })
  w = await makeWorld(t)
})
afterAll(() => t.close())

const hold = (departureId: string, party: Record<string, number> = { adult: 1 }, promoCode?: string) =>
  booking.holdSeats(t.deps, principalOf(w.traveller), { departureId, party, contact, ...(promoCode ? { promoCode } : {}) })

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'ok'
  } catch (e) {
    return e instanceof DomainError ? e.code : String(e)
  }
}

describe('hold expiry', () => {
  it('a hold past expires_at becomes expired, returns its seats and promo use, and publishes booking.expired; one not yet due stays held', async () => {
    await insertPromo(t.db.orm, { code: 'BEARS5', percentOff: 5, maxRedemptions: 10, redeemed: 0 })
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id, { capacity: 6 })
    const held = await hold(departure.id, { adult: 3 }, 'BEARS5')
    expect(await seatsLeft(t, departure.id)).toBe(3)
    expect((await findPromo(t.db.orm, 'BEARS5'))!.redeemed).toBe(1)

    const expiresAt = Date.parse(held.expiresAt)
    await booking.expireHolds(t.deps, new Date(expiresAt - MINUTE))
    expect((await booking.getBooking(t.deps, principalOf(w.traveller), held.id)).status).toBe('held')
    expect(await eventsOf(t, { type: 'booking.expired', aggregateId: held.id })).toHaveLength(0)

    expect(await booking.expireHolds(t.deps, new Date(expiresAt))).toBeGreaterThanOrEqual(1)
    expect((await booking.getBooking(t.deps, principalOf(w.traveller), held.id)).status).toBe('expired')
    expect(await seatsLeft(t, departure.id)).toBe(6)
    expect((await findPromo(t.db.orm, 'BEARS5'))!.redeemed).toBe(0)
    const [event] = await eventsOf(t, { type: 'booking.expired', aggregateId: held.id })
    expect(event!.data).toMatchObject({ bookingId: held.id, departureId: departure.id, seats: 3 })

    // a second sweep finds nothing more to do for it
    await booking.expireHolds(t.deps, new Date(expiresAt + DAY))
    expect(await eventsOf(t, { type: 'booking.expired', aggregateId: held.id })).toHaveLength(1)
    expect(await seatsLeft(t, departure.id)).toBe(6)
  })

  it('a confirmed booking is never expired; an expired one cannot be confirmed (409) and its seats stay on sale', async () => {
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id, { capacity: 4 })
    const paid = await hold(departure.id)
    const late = await hold(departure.id)
    await booking.confirmBooking(t.deps, paid.id, { paymentId: 'pay_paid' })
    await booking.expireHolds(t.deps, new Date(Date.now() + DAY))
    expect((await booking.getBooking(t.deps, principalOf(w.traveller), paid.id)).status).toBe('confirmed')
    expect(await codeOf(booking.confirmBooking(t.deps, late.id, { paymentId: 'pay_late' }))).toBe('conflict')
    expect((await booking.getBooking(t.deps, principalOf(w.traveller), late.id)).status).toBe('expired')
    expect(await seatsLeft(t, departure.id)).toBe(3)
  })

  it.runIf(onRealPostgres())('the sweep never waits: a hold locked by a confirmation in flight is skipped, and expired on a later run', async () => {
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id, { capacity: 2 })
    const held = await hold(departure.id)
    const later = new Date(Date.parse(held.expiresAt) + MINUTE)
    await t.db.orm.transaction(async (tx) => {
      await tx.execute(sql`select 1 from bookings where id = ${held.id} for update`)
      await booking.expireHolds(t.deps, later) // another connection: returns without waiting for our lock
      const [row] = (await t.db.orm.execute(sql`select status from bookings where id = ${held.id}`)) as unknown as Array<{ status: string }>
      expect(row!.status).toBe('held')
    })
    await booking.expireHolds(t.deps, later)
    expect((await booking.getBooking(t.deps, principalOf(w.traveller), held.id)).status).toBe('expired')
  })
})

describe('confirmation', () => {
  it('gives an 8-character unambiguous code, publishes booking.confirmed once, is idempotent per payment id, and hands claims to the ticket signer', async () => {
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id)
    const held = await hold(departure.id, { adult: 2 })
    const claims: unknown[] = []
    const signTicket = async (c: unknown) => (claims.push(c), 'signed-ticket')
    const first = await booking.confirmBooking(t.deps, held.id, { paymentId: 'pay_1', signTicket })
    expect(first.booking.status).toBe('confirmed')
    expect(first.booking.confirmationCode).toMatch(/^[2-9A-HJKMNP-TV-Z]{8}$/)
    expect(first.ticket).toBe('signed-ticket')
    expect(claims[0]).toMatchObject({ bookingId: held.id, confirmationCode: first.booking.confirmationCode, seats: 2, departureId: departure.id })
    const again = await booking.confirmBooking(t.deps, held.id, { paymentId: 'pay_1' })
    expect(again.booking.confirmationCode).toBe(first.booking.confirmationCode)
    expect(await codeOf(booking.confirmBooking(t.deps, held.id, { paymentId: 'pay_other' }))).toBe('conflict')
    const events = await eventsOf(t, { type: 'booking.confirmed', aggregateId: held.id })
    expect(events).toHaveLength(1)
    expect(events[0]!.data).toMatchObject({ confirmationCode: first.booking.confirmationCode, paymentId: 'pay_1' })
  })

  it('a confirmation code collision is retried with a fresh code', async () => {
    const tour = await makeTour(t, w.operator)
    const departure = await addDeparture(t, w.operator, tour.id)
    const a = await hold(departure.id)
    const b = await hold(departure.id)
    await booking.confirmBooking(t.deps, a.id, { paymentId: 'pay_a', confirmationCode: () => 'KAMCHATK' })
    const codes = ['KAMCHATK', 'AVACHA22']
    const confirmed = await booking.confirmBooking(t.deps, b.id, { paymentId: 'pay_b', confirmationCode: () => codes.shift()! })
    expect(confirmed.booking.confirmationCode).toBe('AVACHA22')
  })
})

describe('completion', () => {
  it('confirmed bookings complete once the departure has ended (start + duration), with booking.completed', async () => {
    const tour = await makeTour(t, w.operator, { durationMinutes: 600 })
    const startsAt = new Date(Date.now() + 2 * DAY)
    const departure = await addDeparture(t, w.operator, tour.id, { startsAt })
    const held = await hold(departure.id)
    await booking.confirmBooking(t.deps, held.id, { paymentId: 'pay_trip' })
    await booking.completeDepartures(t.deps, new Date(startsAt.getTime() + 599 * MINUTE))
    expect((await booking.getBooking(t.deps, principalOf(w.traveller), held.id)).status).toBe('confirmed')
    await booking.completeDepartures(t.deps, new Date(startsAt.getTime() + 600 * MINUTE))
    expect((await booking.getBooking(t.deps, principalOf(w.traveller), held.id)).status).toBe('completed')
    expect(await eventsOf(t, { type: 'booking.completed', aggregateId: held.id })).toHaveLength(1)
  })
})

describe('minimum participants', () => {
  it('inside the 48 h deadline a departure with fewer seats taken than the minimum is cancelled with full refunds; a full enough one and one outside the deadline are not', async () => {
    const tour = await makeTour(t, w.operator, { minParticipants: 4, cancellationPolicy: { tiers: [{ daysBefore: 0, refundPercent: 0 }] } })
    const now = new Date()
    const underfilled = await addDeparture(t, w.operator, tour.id, { startsAt: new Date(now.getTime() + 30 * 3_600_000) })
    const enough = await addDeparture(t, w.operator, tour.id, { startsAt: new Date(now.getTime() + 31 * 3_600_000) })
    const notYet = await addDeparture(t, w.operator, tour.id, { startsAt: new Date(now.getTime() + 50 * 3_600_000) })
    const lonely = await hold(underfilled.id, { adult: 2 })
    await booking.confirmBooking(t.deps, lonely.id, { paymentId: 'pay_lonely' })
    const group = await hold(enough.id, { adult: 3 })
    await booking.confirmBooking(t.deps, group.id, { paymentId: 'pay_group' })
    await hold(enough.id, { adult: 1 }) // a live hold counts as taken

    const report = await booking.runBookingMaintenance(t.deps, now)
    expect(report.cancelledDepartures).toBe(1)
    const cancelled = await booking.getBooking(t.deps, principalOf(w.traveller), lonely.id)
    expect(cancelled).toMatchObject({ status: 'cancelled', refund: { amount: 3_000_000 }, cancelReason: 'too_few_participants' })
    const [event] = await eventsOf(t, { type: 'booking.cancelled', aggregateId: lonely.id })
    expect(event!.data).toMatchObject({ cancelledBy: 'system', refund: { amount: 3_000_000, currency: 'RUB' } })
    expect(await eventsOf(t, { type: 'departure.cancelled', aggregateId: underfilled.id })).toHaveLength(1)
    expect(await eventsOf(t, { type: 'departure.cancelled', aggregateId: enough.id })).toHaveLength(0)
    expect(await eventsOf(t, { type: 'departure.cancelled', aggregateId: notYet.id })).toHaveLength(0)
    expect((await booking.runBookingMaintenance(t.deps, now)).cancelledDepartures).toBe(0)
  })
})
