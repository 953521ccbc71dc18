/**
 * Catalogue reads are cached with ETags (If-None-Match → 304), and events keep the cache honest: a departure or
 * booking change delivered to the catalogue-cache subscription makes the next read show it — the tour's detail,
 * its departures, and searches alike — while other tours' entries stay cached.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { bookingHeld, dispatcherFor } from '../../support/events.ts'
import { publish } from '../../../src/events/publish.ts'
import { registerSubscriptions } from '../../../src/events/subscription.ts'
import { codeSubscriptions } from '../../../src/subscriptions.ts'
import { CATALOGUE_CACHE_SUBSCRIPTION, catalogueCacheSubscription } from '../../../src/pillars/discovery/cache.ts'
import type { Dispatcher } from '../../../src/events/dispatcher.ts'
import { json, makeDeparture, makeTour, operatorWithProfile, send, type OperatorActor } from './support.ts'

let t: TestApp
let operator: OperatorActor
let dispatcher: Dispatcher
let tourId: string
let departureId: string
let otherTourId: string

beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' } })
  const subscription = catalogueCacheSubscription(t.deps)
  await registerSubscriptions(t.db.orm, [subscription])
  dispatcher = dispatcherFor(t.db, { subscriptions: [subscription] })
  operator = await operatorWithProfile(t)
  tourId = (await makeTour(t, operator)).id
  otherTourId = (await makeTour(t, operator, { title: 'Мутновский вулкан', titleEn: 'Mutnovsky volcano' })).id
  departureId = (await makeDeparture(t, operator, tourId, { capacity: 10 })).id
  await makeDeparture(t, operator, otherTourId, { capacity: 10 })
})
afterAll(() => t.close())
// Deliver whatever the fixture's own writes published, so each test starts from quiet delivery.
beforeEach(() => dispatcher.drain())

const get = (path: string, headers: Record<string, string> = {}) => send(t, 'GET', path, undefined, headers)
const seatsInDetail = async (id = tourId) =>
  (await json<{ upcomingDepartures: Array<{ seatsLeft: number }> }>(await get(`/v1/tours/${id}`))).upcomingDepartures[0]!.seatsLeft
const seatsInList = async () => (await json<{ items: Array<{ seatsLeft: number }> }>(await get(`/v1/tours/${tourId}/departures`))).items[0]!.seatsLeft
const searchParty = async (party: number) => (await json<{ items: Array<{ id: string }> }>(await get(`/v1/tours?party=${party}`))).items.map((i) => i.id)

/** A booking takes seats with its own statement (the booking pillar does this later): no discovery code runs. */
const takeSeats = (n: number) => t.db.orm.execute(sql`update departures set seats_left = seats_left - ${n} where id = ${departureId}`)

describe('ETag and conditional requests', () => {
  it.each([
    ['the tour', () => `/v1/tours/${tourId}`],
    ['its departures', () => `/v1/tours/${tourId}/departures`],
    ['a search', () => '/v1/tours?q=avacha&facets=true'],
  ])('%s: ETag and Cache-Control on 200; If-None-Match with it → 304 without a body', async (_what, path) => {
    const first = await get(path())
    expect(first.status).toBe(200)
    const etag = first.headers.get('etag')!
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/)
    expect(first.headers.get('cache-control')).toMatch(/max-age=\d+/)
    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const again = await get(path(), { 'If-None-Match': ifNoneMatch })
      expect(again.status).toBe(304)
      expect(again.headers.get('etag')).toBe(etag)
      expect(await again.text()).toBe('')
    }
    expect((await get(path(), { 'If-None-Match': '"something-else"' })).status).toBe(200)
  })

  it('the ETag differs per language and changes when the content does', async () => {
    const ru = (await get(`/v1/tours/${tourId}`, { 'Accept-Language': 'ru' })).headers.get('etag')
    const en = (await get(`/v1/tours/${tourId}`, { 'Accept-Language': 'en' })).headers.get('etag')
    expect(ru).not.toBe(en)
    await json(await send(t, 'PATCH', `/v1/tours/${tourId}`, { durationMinutes: 660 }, operator.headers))
    const after = await get(`/v1/tours/${tourId}`, { 'Accept-Language': 'ru', 'If-None-Match': ru! })
    expect(after.status).toBe(200)
    expect(after.headers.get('etag')).not.toBe(ru)
  })
})

describe('GET /v1/tours/{id}', () => {
  it('answers a hit held in memory synchronously — no promise from the request to the answer — and a miss asynchronously', async () => {
    const id = (await makeTour(t, operator, { title: 'Толбачик', titleEn: 'Tolbachik' })).id
    const miss = t.app.fetch(new Request(`http://localhost/v1/tours/${id}`))
    expect(miss).toBeInstanceOf(Promise)
    const missed = await miss
    expect(missed.status).toBe(200)
    const hit = t.app.fetch(new Request(`http://localhost/v1/tours/${id}`))
    expect(hit).not.toBeInstanceOf(Promise)
    const answer = hit as Response
    expect(answer.status).toBe(200)
    expect(answer.headers.get('etag')).toBe(missed.headers.get('etag'))
    expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(await answer.json()).toEqual(await missed.json())
  })

  it('an id that is not a UUID is a 400 naming param.id; an unknown one a 404', async () => {
    const bad = await get('/v1/tours/avachinsky')
    expect(bad.status).toBe(400)
    expect(bad.headers.get('content-type')).toBe('application/problem+json')
    expect(await bad.json()).toMatchObject({ code: 'invalid', errors: [{ path: 'param.id' }] })
    expect((await get('/v1/tours/0190f5a2-7c1e-7b3a-9f00-2b1c3d4e5f60')).status).toBe(404)
  })

  it('is still described in /openapi.json, with its path parameter', async () => {
    const doc = await json<{ paths: Record<string, { get?: { parameters?: Array<{ name: string; in: string }> } }> }>(await get('/openapi.json'))
    expect(doc.paths['/v1/tours/{id}']?.get?.parameters).toContainEqual(expect.objectContaining({ name: 'id', in: 'path' }))
  })
})

describe('compression', () => {
  const gunzip = async (res: Response) =>
    new TextDecoder().decode(await new Response(res.body!.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer())

  it('a client that accepts gzip gets the same JSON gzipped, under its own ETag; one that does not gets it as is', async () => {
    const plain = await get(`/v1/tours/${tourId}`)
    const text = await plain.text()
    expect(text.length).toBeGreaterThan(1024)
    expect([plain.headers.get('content-encoding'), plain.headers.get('vary')]).toEqual([null, 'Accept-Language, Accept-Encoding'])

    const zipped = await get(`/v1/tours/${tourId}`, { 'Accept-Encoding': 'gzip, deflate, br' })
    expect(zipped.status).toBe(200)
    expect([zipped.headers.get('content-encoding'), zipped.headers.get('vary')]).toEqual(['gzip', 'Accept-Language, Accept-Encoding'])
    expect(zipped.headers.get('etag')).toBe(plain.headers.get('etag')!.replace(/"$/, '-gzip"'))
    const bytes = Number(zipped.headers.get('content-length') ?? (await zipped.clone().arrayBuffer()).byteLength)
    expect(bytes).toBeLessThan(new TextEncoder().encode(text).byteLength)
    expect(await gunzip(zipped)).toBe(text)
    // Once compressed, a gzip hit answers synchronously too, with the same bytes.
    const again = t.app.fetch(new Request(`http://localhost/v1/tours/${tourId}`, { headers: { 'Accept-Encoding': 'gzip' } }))
    expect(again).not.toBeInstanceOf(Promise)
    expect(await gunzip(again as Response)).toBe(text)

    // Refused (q=0) or not offered: as is.
    for (const acceptEncoding of ['gzip;q=0', 'br', 'identity']) {
      expect((await get(`/v1/tours/${tourId}`, { 'Accept-Encoding': acceptEncoding })).headers.get('content-encoding')).toBeNull()
    }
  })

  it('revalidates each representation by its own ETag', async () => {
    const gzipped = { 'Accept-Encoding': 'gzip' }
    const plainTag = (await get(`/v1/tours/${tourId}`)).headers.get('etag')!
    const gzipTag = (await get(`/v1/tours/${tourId}`, gzipped)).headers.get('etag')!
    const again = await get(`/v1/tours/${tourId}`, { ...gzipped, 'If-None-Match': gzipTag })
    expect([again.status, again.headers.get('etag'), await again.text()]).toEqual([304, gzipTag, ''])
    // The client holds the plain copy but now takes gzip: it gets the gzip representation, not a 304 for another.
    expect((await get(`/v1/tours/${tourId}`, { ...gzipped, 'If-None-Match': plainTag })).status).toBe(200)
    expect((await get(`/v1/tours/${tourId}`, { 'If-None-Match': plainTag })).status).toBe(304)
  })

  it('a small answer goes out as is whatever the client accepts, and does not vary on it', async () => {
    const res = await get(`/v1/tours/${tourId}/departures`, { 'Accept-Encoding': 'gzip' })
    expect((await res.clone().text()).length).toBeLessThan(1024)
    expect([res.status, res.headers.get('content-encoding'), res.headers.get('vary')]).toEqual([200, null, 'Accept-Language'])
  })
})

describe('event-driven invalidation', () => {
  it('the subscription is registered with the app’s code subscriptions for tour.*, departure.* and booking.*', () => {
    const subscription = codeSubscriptions(t.deps).find((s) => s.name === CATALOGUE_CACHE_SUBSCRIPTION)
    expect(subscription?.patterns).toEqual(['tour.*', 'departure.*', 'booking.*'])
  })

  it('a booking event makes the next read show the new seats left: detail, departures and search', async () => {
    const before = { detail: await seatsInDetail(), list: await seatsInList(), search: await searchParty(9) }
    await takeSeats(2)
    // still cached: reads do not see a write that published no event yet
    expect(await seatsInDetail()).toBe(before.detail)
    expect(await seatsInList()).toBe(before.list)
    expect(await searchParty(9)).toEqual(before.search)

    await t.db.orm.transaction((tx) => publish(tx, bookingHeld(`b-${Date.now()}`, departureId)))
    expect(await dispatcher.drain()).toBe(1)
    expect(await seatsInDetail()).toBe(before.detail - 2)
    expect(await seatsInList()).toBe(before.list - 2)
    // 8 seats left now: a party of 9 no longer finds this tour
    expect(before.search).toContain(tourId)
    expect(await searchParty(9)).not.toContain(tourId)
  })

  it('a departure event (from any writer) invalidates that tour only', async () => {
    const otherEtag = (await get(`/v1/tours/${otherTourId}`)).headers.get('etag')!
    const before = await seatsInDetail()
    // Another process changes capacity and publishes in the same transaction; this process's cache learns only by the event.
    await t.db.orm.transaction(async (tx) => {
      await tx.execute(sql`update departures set capacity = capacity + 5, seats_left = seats_left + 5 where id = ${departureId}`)
      await publish(tx, {
        type: 'departure.updated',
        data: { departureId, tourId, startsAt: new Date().toISOString(), capacity: 15, seatsLeft: before + 5, fields: ['capacity'] },
        aggregate: { type: 'departure', id: departureId },
      })
    })
    expect(await seatsInDetail()).toBe(before)
    await dispatcher.drain()
    expect(await seatsInDetail()).toBe(before + 5)
    // the other tour's cached detail is untouched (same ETag, still a 304)
    expect((await get(`/v1/tours/${otherTourId}`, { 'If-None-Match': otherEtag })).status).toBe(304)
  })

  it('a booking event for a departure the catalogue does not know still refreshes searches, and is delivered', async () => {
    const before = await get('/v1/tours?category=volcano')
    await t.db.orm.transaction((tx) => publish(tx, bookingHeld(`b-${Date.now()}`, 'not-a-departure')))
    expect(await dispatcher.drain()).toBe(1)
    const after = await get('/v1/tours?category=volcano', { 'If-None-Match': before.headers.get('etag')! })
    // same content, so the (recomputed) ETag still matches
    expect(after.status).toBe(304)
  })

  it('changes made through the API are visible to the writer at once (no wait for delivery)', async () => {
    await json(await send(t, 'PATCH', `/v1/departures/${departureId}`, { capacity: 30 }, operator.headers))
    const list = await json<{ items: Array<{ id: string; capacity: number }> }>(await get(`/v1/tours/${tourId}/departures`))
    expect(list.items.find((d) => d.id === departureId)!.capacity).toBe(30)
    await json(await send(t, 'POST', `/v1/departures/${departureId}/cancel`, undefined, operator.headers))
    const detail = await json<{ upcomingDepartures: Array<{ id: string }> }>(await get(`/v1/tours/${tourId}`))
    expect(detail.upcomingDepartures.map((d) => d.id)).not.toContain(departureId)
  })
})
