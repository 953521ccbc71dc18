/**
 * Who sees which booking: travellers their own, operators their tours', admins all — and everyone else a 404
 * that says nothing about whether the booking exists. Manifests and lists for the people who may read them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../support/app.ts'
import * as booking from '../../../src/pillars/booking/service.ts'
import { addDeparture, contact, json, makeTour, makeWorld, principalOf, send, type World } from './support.ts'

let t: TestApp
let w: World
let departureId: string
let confirmedId: string
let heldId: string

beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' } })
  w = await makeWorld(t)
  const tour = await makeTour(t, w.operator)
  departureId = (await addDeparture(t, w.operator, tour.id, { capacity: 12 })).id
  const confirmed = await booking.holdSeats(t.deps, principalOf(w.traveller), { departureId, party: { adult: 2, child: 1 }, contact })
  confirmedId = (await booking.confirmBooking(t.deps, confirmed.id, { paymentId: 'pay_access' })).booking.id
  heldId = (await booking.holdSeats(t.deps, principalOf(w.otherTraveller), { departureId, party: { adult: 1 }, contact: { name: 'Boris', email: 'boris@example.com' } })).id
})
afterAll(() => t.close())

describe('reading a booking', () => {
  it('its traveller, the tour’s operator and an admin read it', async () => {
    for (const actor of [w.traveller, w.operator, w.admin]) {
      const view = await json<{ id: string; status: string }>(await send(t, 'GET', `/v1/bookings/${confirmedId}`, undefined, actor.headers))
      expect(view).toMatchObject({ id: confirmedId, status: 'confirmed' })
    }
  })

  it('another traveller and another operator get 404 — the same answer as a booking that does not exist', async () => {
    const missing = await json<{ code: string; detail: string }>(await send(t, 'GET', `/v1/bookings/0190f5a2-7c1e-7b3a-9f00-2b1c3d4e5f60`, undefined, w.otherTraveller.headers), 404)
    for (const actor of [w.otherTraveller, w.otherOperator]) {
      const res = await json<{ code: string; detail: string }>(await send(t, 'GET', `/v1/bookings/${confirmedId}`, undefined, actor.headers), 404)
      expect({ code: res.code, detail: res.detail }).toEqual({ code: missing.code, detail: missing.detail })
      await json(await send(t, 'GET', `/v1/bookings/${confirmedId}/cancellation-quote`, undefined, actor.headers), 404)
      await json(await send(t, 'POST', `/v1/bookings/${confirmedId}/cancel`, undefined, actor.headers), 404)
    }
    expect((await booking.getBooking(t.deps, principalOf(w.traveller), confirmedId)).status).toBe('confirmed')
  })

  it('without a token: 401', async () => {
    expect((await send(t, 'GET', `/v1/bookings/${confirmedId}`)).status).toBe(401)
    expect((await send(t, 'GET', '/v1/me/bookings')).status).toBe(401)
  })
})

describe('operator views of a departure', () => {
  it('the operator lists every booking of the departure and reads a manifest of who travels', async () => {
    const list = await json<{ items: Array<{ id: string }> }>(await send(t, 'GET', `/v1/operator/departures/${departureId}/bookings`, undefined, w.operator.headers))
    expect(list.items.map((b) => b.id).sort()).toEqual([confirmedId, heldId].sort())
    const manifest = await json<Record<string, unknown> & { entries: Array<Record<string, unknown>> }>(
      await send(t, 'GET', `/v1/operator/departures/${departureId}/manifest`, undefined, w.operator.headers),
    )
    expect(manifest).toMatchObject({ departureId, capacity: 12, seatsLeft: 8, confirmedSeats: 3, heldSeats: 1, timezone: 'Asia/Kamchatka' })
    expect(manifest.localStartsAt).toMatch(/\+12:00$/)
    expect(manifest.entries).toEqual([
      expect.objectContaining({ bookingId: confirmedId, seats: 3, party: { adult: 2, child: 1 }, contact, confirmationCode: expect.stringMatching(/^[A-Z2-9]{8}$/) }),
    ])
  })

  it('another operator gets 404 for the list, the manifest and the cancellation; travellers get 403', async () => {
    for (const path of ['bookings', 'manifest']) {
      await json(await send(t, 'GET', `/v1/operator/departures/${departureId}/${path}`, undefined, w.otherOperator.headers), 404)
      await json(await send(t, 'GET', `/v1/operator/departures/${departureId}/${path}`, undefined, w.traveller.headers), 403)
    }
    await json(await send(t, 'POST', `/v1/operator/departures/${departureId}/cancel`, { reason: 'weather' }, w.otherOperator.headers), 404)
  })
})

describe('my bookings', () => {
  it('lists only the caller’s bookings, newest first, a page at a time', async () => {
    const more = [
      await booking.holdSeats(t.deps, principalOf(w.traveller), { departureId, party: { adult: 1 }, contact }),
      await booking.holdSeats(t.deps, principalOf(w.traveller), { departureId, party: { adult: 1 }, contact }),
    ]
    // ids are UUIDv7: time-ordered to the millisecond (two holds in one millisecond may list either way round)
    const first = await json<{ items: Array<{ id: string }>; nextCursor: string | null }>(await send(t, 'GET', '/v1/me/bookings?limit=2', undefined, w.traveller.headers))
    expect(first.items.map((b) => b.id).sort()).toEqual(more.map((b) => b.id).sort())
    const second = await json<{ items: Array<{ id: string }>; nextCursor: string | null }>(
      await send(t, 'GET', `/v1/me/bookings?limit=2&cursor=${first.nextCursor}`, undefined, w.traveller.headers),
    )
    expect(second).toEqual({ items: [expect.objectContaining({ id: confirmedId })], nextCursor: null })
    const others = await json<{ items: Array<{ id: string }> }>(await send(t, 'GET', '/v1/me/bookings', undefined, w.otherTraveller.headers))
    expect(others.items.map((b) => b.id)).toEqual([heldId])
  })
})
