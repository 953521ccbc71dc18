/**
 * Cancelling: the refund follows the tour's policy tiers, counted in calendar days in Kamchatka time, exactly at
 * each tier's edge; holds refund nothing; operators refund in full; an operator's departure cancellation cancels
 * and refunds every booking in one transaction with its events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../support/app.ts'
import * as booking from '../../../src/pillars/booking/service.ts'
import { localDateOf, zonedToUtc } from '../../../src/pillars/discovery/zoned-time.ts'
import { addDeparture, contact, DAY, eventsOf, json, makeTour, makeWorld, principalOf, seatsLeft, send, type World } from './support.ts'

let t: TestApp
let w: World

const TZ = 'Asia/Kamchatka'
const POLICY = {
  tiers: [
    { daysBefore: 30, refundPercent: 100 },
    { daysBefore: 7, refundPercent: 50 },
    { daysBefore: 1, refundPercent: 10 },
  ],
}

beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' } })
  w = await makeWorld(t)
})
afterAll(() => t.close())

/** A Kamchatka calendar day `offset` days from `date` (YYYY-MM-DD), at hh:mm:ss local time, as an instant. */
function kamchatka(date: string, offset: number, time: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number]
  const day = new Date(Date.UTC(y, m - 1, d + offset))
  const [hh, mm, ss] = time.split(':').map(Number) as [number, number, number]
  return zonedToUtc({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), hour: hh, minute: mm, second: ss }, TZ)
}

async function confirmedBooking(departureId: string, party = { adult: 2 }) {
  const held = await booking.holdSeats(t.deps, principalOf(w.traveller), { departureId, party, contact })
  return (await booking.confirmBooking(t.deps, held.id, { paymentId: `pay_${held.id}` })).booking
}

describe('refund tiers at their edges (departure 08:00 Kamchatka time, tiers ≥30 d 100 %, ≥7 d 50 %, ≥1 d 10 %)', () => {
  let departureDay: string
  let departureId: string
  let bookingId: string
  const total = 2 * 1_500_000

  beforeAll(async () => {
    const tour = await makeTour(t, w.operator, { cancellationPolicy: POLICY })
    departureDay = localDateOf(new Date(Date.now() + 60 * DAY), TZ)
    departureId = (await addDeparture(t, w.operator, tour.id, { localStartsAt: `${departureDay}T08:00` })).id
    bookingId = (await confirmedBooking(departureId)).id
  })

  const cases: Array<[string, number, string, number, boolean]> = [
    ['the first second of day −30', -30, '00:00:00', 100, true],
    ['the last second of day −30', -30, '23:59:59', 100, true],
    ['midnight starting day −29 (still day −30 in UTC)', -29, '00:00:00', 50, true],
    ['the last second of day −7', -7, '23:59:59', 50, true],
    ['midnight starting day −6', -6, '00:00:00', 10, true],
    ['the last second of day −1', -1, '23:59:59', 10, true],
    ['midnight of the departure day', 0, '00:00:00', 0, true],
    ['a minute before the start', 0, '07:59:00', 0, true],
    ['the start itself (no longer cancellable)', 0, '08:00:00', 0, false],
  ]
  for (const [label, offset, time, percent, cancellable] of cases) {
    it(`${label}: ${percent} %`, async () => {
      const quote = await booking.cancellationQuote(t.deps, principalOf(w.traveller), bookingId, kamchatka(departureDay, offset, time))
      expect(quote).toMatchObject({ cancellable, refundPercent: percent, refund: { amount: (total * percent) / 100, currency: 'RUB' }, paid: { amount: total } })
      if (cancellable) expect(quote.daysBefore).toBe(Math.abs(offset))
    })
  }

  it('cancelling applies the tier: refund recorded, seats back, booking.cancelled carries the refund money', async () => {
    const before = await seatsLeft(t, departureId)
    const cancelled = await booking.cancelBooking(t.deps, principalOf(w.traveller), bookingId, kamchatka(departureDay, -29, '00:00:00'), 'plans changed')
    expect(cancelled).toMatchObject({ status: 'cancelled', refund: { amount: total / 2, currency: 'RUB' }, cancelReason: 'plans changed' })
    expect(await seatsLeft(t, departureId)).toBe(before + 2)
    const [event] = await eventsOf(t, { type: 'booking.cancelled', aggregateId: bookingId })
    expect(event!.data).toMatchObject({ refund: { amount: total / 2, currency: 'RUB' }, previousStatus: 'confirmed', cancelledBy: 'traveller', paymentId: `pay_${bookingId}` })
  })

  it('a second cancellation is a conflict (409) and changes nothing', async () => {
    const res = await send(t, 'POST', `/v1/bookings/${bookingId}/cancel`, undefined, w.traveller.headers)
    expect(res.status).toBe(409)
    expect(await eventsOf(t, { type: 'booking.cancelled', aggregateId: bookingId })).toHaveLength(1)
  })
})

describe('who cancels decides the basis', () => {
  it('a held booking cancels with nothing to refund, and its seats return', async () => {
    const tour = await makeTour(t, w.operator, { cancellationPolicy: POLICY })
    const departure = await addDeparture(t, w.operator, tour.id, { capacity: 5 })
    const held = await booking.holdSeats(t.deps, principalOf(w.traveller), { departureId: departure.id, party: { adult: 3 }, contact })
    const quote = await json<{ basis: string; refund: { amount: number } }>(await send(t, 'GET', `/v1/bookings/${held.id}/cancellation-quote`, undefined, w.traveller.headers))
    expect(quote).toMatchObject({ basis: 'unpaid_hold', refund: { amount: 0 } })
    const cancelled = await json<{ status: string; refund: { amount: number } }>(await send(t, 'POST', `/v1/bookings/${held.id}/cancel`, { reason: 'changed my mind' }, w.traveller.headers))
    expect(cancelled).toMatchObject({ status: 'cancelled', refund: { amount: 0 } })
    expect(await seatsLeft(t, departure.id)).toBe(5)
    const [event] = await eventsOf(t, { type: 'booking.cancelled', aggregateId: held.id })
    expect(event!.data).toMatchObject({ previousStatus: 'held', refund: { amount: 0 } })
  })

  it('the tour’s operator cancelling a confirmed booking refunds it in full, whatever the tier', async () => {
    const tour = await makeTour(t, w.operator, { cancellationPolicy: { tiers: [{ daysBefore: 0, refundPercent: 0 }] } })
    const departure = await addDeparture(t, w.operator, tour.id)
    const confirmed = await confirmedBooking(departure.id, { adult: 1 })
    const travellerQuote = await booking.cancellationQuote(t.deps, principalOf(w.traveller), confirmed.id, new Date())
    expect(travellerQuote.refund.amount).toBe(0)
    const cancelled = await json<{ refund: { amount: number } }>(await send(t, 'POST', `/v1/bookings/${confirmed.id}/cancel`, { reason: 'guide ill' }, w.operator.headers))
    expect(cancelled.refund.amount).toBe(1_500_000)
  })
})

describe('operator cancels a departure (volcanic activity)', () => {
  it('every held and confirmed booking is cancelled and refunded in full, with departure.cancelled and a booking.cancelled each', async () => {
    const tour = await makeTour(t, w.operator, { cancellationPolicy: { tiers: [{ daysBefore: 0, refundPercent: 0 }] } })
    const departure = await addDeparture(t, w.operator, tour.id, { capacity: 8 })
    const a = await confirmedBooking(departure.id, { adult: 2 })
    const b = await confirmedBooking(departure.id, { adult: 1 })
    const held = await booking.holdSeats(t.deps, principalOf(w.otherTraveller), { departureId: departure.id, party: { adult: 1 }, contact })
    expect(await seatsLeft(t, departure.id)).toBe(4)

    await json(await send(t, 'POST', `/v1/operator/departures/${departure.id}/cancel`, { reason: 'volcanic_activity' }, w.otherOperator.headers), 404)
    await json(await send(t, 'POST', `/v1/operator/departures/${departure.id}/cancel`, { reason: 'volcanic_activity' }, w.traveller.headers), 403)
    await json(await send(t, 'POST', `/v1/operator/departures/${departure.id}/cancel`, { reason: 'lava' }, w.operator.headers), 400)

    const result = await json<Record<string, unknown>>(
      await send(t, 'POST', `/v1/operator/departures/${departure.id}/cancel`, { reason: 'volcanic_activity', note: 'Ash plume over Avachinsky' }, w.operator.headers),
    )
    expect(result).toMatchObject({ changed: true, cancelledBookings: 3, refunded: { amount: 3 * 1_500_000, currency: 'RUB' }, reason: 'volcanic_activity: Ash plume over Avachinsky' })
    expect(await seatsLeft(t, departure.id)).toBe(8)
    for (const [id, refund] of [[a.id, 3_000_000], [b.id, 1_500_000], [held.id, 0]] as const) {
      const view = await json<{ status: string; refund: { amount: number } }>(await send(t, 'GET', `/v1/bookings/${id}`, undefined, w.operator.headers))
      expect(view).toMatchObject({ status: 'cancelled', refund: { amount: refund } })
      const [event] = await eventsOf(t, { type: 'booking.cancelled', aggregateId: id })
      expect(event!.data).toMatchObject({ refund: { amount: refund, currency: 'RUB' }, cancelledBy: 'operator', reason: 'volcanic_activity: Ash plume over Avachinsky' })
    }
    const departureEvents = await eventsOf(t, { type: 'departure.cancelled', aggregateId: departure.id })
    expect(departureEvents).toHaveLength(1)
    expect(departureEvents[0]!.data).toMatchObject({ reason: 'volcanic_activity: Ash plume over Avachinsky' })

    const again = await json<Record<string, unknown>>(await send(t, 'POST', `/v1/operator/departures/${departure.id}/cancel`, { reason: 'weather' }, w.operator.headers))
    expect(again).toMatchObject({ changed: false, cancelledBookings: 0 })
    expect(await eventsOf(t, { type: 'departure.cancelled', aggregateId: departure.id })).toHaveLength(1)
  })
})
