/**
 * The notification queue end to end on the real app: booking events → subscriber rows → processor → (fake)
 * providers, with a hand-moved clock. Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { queryRows } from '../../../src/core/db/index.ts'
import { send } from '../booking/support.ts'
import { notificationsSubscription } from '../../../src/pillars/engagement/notifications/subscriptions.ts'
import type { EventEnvelope } from '../../../src/events/envelope.ts'
import * as bookingService from '../../../src/pillars/booking/service.ts'
import { confirmedBooking, fakeEmail, fakePush, fakeSms, makeWorld, notifications, startNotifyApp, userId, DAY, type NotifyTestApp, type World } from './support.ts'

const fcmToken = () => `fcm-token-${crypto.randomUUID()}`

describe('subscribers and the queue', () => {
  const resend = fakeEmail('resend')
  const sendgrid = fakeEmail('sendgrid')
  const push = fakePush()
  const sms = fakeSms()
  let t: NotifyTestApp
  let w: World

  beforeAll(async () => {
    t = await startNotifyApp({ email: [resend.provider, sendgrid.provider], push: [push.provider], sms: [sms.provider] })
    w = await makeWorld(t)
  })
  afterAll(() => t?.close())

  it('booking.confirmed delivered twice → one receipt e-mail (the second delivery creates no row, sends nothing)', async () => {
    const { bookingId } = await confirmedBooking(t, w)
    await t.drain()
    const [event] = await queryRows<{ id: string; type: string; data: unknown; time: string }>(
      t.db.orm,
      sql`select id, type, data, time from event_outbox where type = 'booking.confirmed' and aggregate_id = ${bookingId}`,
    )
    // the dispatcher's redelivery, as the handler sees it: the same event id again
    const envelope = { id: event!.id, type: event!.type, data: typeof event!.data === 'string' ? JSON.parse(event!.data) : event!.data, time: event!.time } as unknown as EventEnvelope
    await notificationsSubscription(t.deps).handler(envelope, { eventId: event!.id, deliveryId: 'again', attempt: 2, subscription: 'notifications.messages' })
    const receipts = await notifications(t, { kind: 'booking_confirmed', userId: userId(w.traveller) })
    expect(receipts.map((r) => r.channel).sort()).toEqual(['email', 'push'])
    const before = resend.sent.length
    await t.runQueue()
    await t.runQueue()
    expect(resend.sent.filter((m) => m.idempotencyKey === receipts.find((r) => r.channel === 'email')!.id)).toHaveLength(1)
    expect(resend.sent.length - before).toBeGreaterThanOrEqual(1)
    const [email] = await notifications(t, { kind: 'booking_confirmed', userId: userId(w.traveller) }).then((rows) => rows.filter((r) => r.channel === 'email'))
    expect(email).toMatchObject({ status: 'sent', provider: 'resend' })
  })

  it('provider A down (outage) → provider B sends, and the row names B and its message id', async () => {
    resend.behaviour.now = 'outage'
    try {
      const { bookingId } = await confirmedBooking(t, w)
      await t.drain()
      await t.runQueue()
      const [row] = (await notifications(t, { kind: 'booking_confirmed', subjectId: bookingId })).filter((r) => r.channel === 'email')
      expect(row).toMatchObject({ status: 'sent', provider: 'sendgrid' })
      expect(row!.provider_message_id).toMatch(/^sendgrid-/)
      expect(sendgrid.sent.at(-1)!.subject).toBeTruthy()
    } finally {
      resend.behaviour.now = 'ok'
    }
  })

  it('every provider down → the row is queued again with backoff, and sends once the clock passes it', async () => {
    resend.behaviour.now = 'outage'
    sendgrid.behaviour.now = 'outage'
    let row
    try {
      const { bookingId } = await confirmedBooking(t, w)
      await t.drain()
      await t.runQueue()
      ;[row] = (await notifications(t, { kind: 'booking_confirmed', subjectId: bookingId })).filter((r) => r.channel === 'email')
      expect(row).toMatchObject({ status: 'queued', attempts: 1 })
      expect(row!.next_attempt_at.getTime()).toBeGreaterThan(t.clock.now().getTime())
    } finally {
      resend.behaviour.now = 'ok'
      sendgrid.behaviour.now = 'ok'
    }
    await t.runQueue() // not due yet: nothing happens
    expect((await notifications(t)).find((r) => r.id === row!.id)!.status).toBe('queued')
    t.clock.advance(3600)
    await t.runQueue()
    expect((await notifications(t)).find((r) => r.id === row!.id)).toMatchObject({ status: 'sent', attempts: 2 })
  })

  it('a rejected address fails at once (no retry, no failover) and says why', async () => {
    resend.behaviour.now = 'rejected'
    try {
      const before = sendgrid.sent.length
      const { bookingId } = await confirmedBooking(t, w)
      await t.drain()
      await t.runQueue()
      const [row] = (await notifications(t, { kind: 'booking_confirmed', subjectId: bookingId })).filter((r) => r.channel === 'email')
      expect(row).toMatchObject({ status: 'failed', attempts: 1 })
      expect(row!.last_error).toContain('rejected')
      expect(sendgrid.sent.length).toBe(before)
    } finally {
      resend.behaviour.now = 'ok'
    }
  })

  it('preferences turn a channel off: no e-mail row for the category, push still goes', async () => {
    const traveller = w.otherTraveller
    const put = await send(t, 'PUT', '/v1/me/notification-preferences', { categories: { bookings: { email: false } } }, traveller.headers)
    expect(put.status).toBe(200)
    expect(((await put.json()) as { categories: { bookings: { email: boolean; push: boolean } } }).categories.bookings).toEqual({ email: false, sms: true, push: true })
    await confirmedBooking(t, { ...w, traveller })
    await t.drain()
    const rows = await notifications(t, { kind: 'booking_confirmed', userId: userId(traveller) })
    expect(rows.map((r) => r.channel)).toEqual(['push'])
  })

  it('a gone push token is pruned: the device row is deleted and the push fails', async () => {
    const reg = await send(t, 'POST', '/v1/devices', { kind: 'fcm', token: fcmToken() }, w.traveller.headers)
    expect(reg.status).toBe(201)
    const device = (await reg.json()) as { id: string }
    push.behaviour.now = 'gone'
    let bookingId: string
    try {
      ;({ bookingId } = await confirmedBooking(t, w))
      await t.drain()
      await t.runQueue()
    } finally {
      push.behaviour.now = 'ok'
    }
    const [row] = (await notifications(t, { kind: 'booking_confirmed', subjectId: bookingId })).filter((r) => r.channel === 'push')
    expect(row).toMatchObject({ status: 'failed' })
    expect(await queryRows(t.db.orm, sql`select 1 from devices where id = ${device.id}`)).toHaveLength(0)
  })

  it('a cancelled booking cancels its pending 24 h reminder and tells the traveller once', async () => {
    const { bookingId } = await confirmedBooking(t, w, { startsAt: new Date(t.clock.now().getTime() + 5 * DAY) })
    await t.drain()
    const [reminder] = await notifications(t, { kind: 'departure_reminder', subjectId: bookingId })
    expect(reminder!.next_attempt_at.getTime()).toBeGreaterThan(t.clock.now().getTime() + 3 * DAY)
    const res = await send(t, 'POST', `/v1/bookings/${bookingId}/cancel`, {}, w.traveller.headers)
    expect(res.status, await res.clone().text()).toBe(200)
    await t.drain()
    expect((await notifications(t)).find((r) => r.id === reminder!.id)!.status).toBe('cancelled')
    expect((await notifications(t, { kind: 'booking_cancelled', subjectId: bookingId })).map((r) => r.channel).sort()).toEqual(['email', 'push'])
  })
})

describe('quiet hours and critical alerts', () => {
  const push = fakePush()
  const sms = fakeSms()
  const email = fakeEmail('resend')
  let t: NotifyTestApp
  let w: World

  beforeAll(async () => {
    t = await startNotifyApp({ email: [email.provider], push: [push.provider], sms: [sms.provider] })
    // 23:30 UTC: inside 22:00–07:00 quiet hours of a traveller in UTC (moved before any token is issued)
    const now = t.clock.now()
    const target = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 23, 30) + DAY
    t.clock.advance((target - now.getTime()) / 1000)
    w = await makeWorld(t)
    const put = await send(t, 'PUT', '/v1/me/notification-preferences', { quietHours: { start: '22:00', end: '07:00' }, timezone: 'UTC', locale: 'en' }, w.traveller.headers)
    expect(put.status).toBe(200)
    expect(await put.json()).toMatchObject({ quietHours: { start: '22:00', end: '07:00' }, timezone: 'UTC', locale: 'en' })
  })
  afterAll(() => t?.close())

  it('quiet hours delay a reminder to their end, but a critical departure alert goes at once and escalates push → SMS → e-mail when not confirmed delivered', async () => {
    // starts tomorrow+2 at 23:00 UTC: the reminder is due at 23:00 UTC, inside the quiet hours
    const now = t.clock.now()
    const startsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 23, 0) + 2 * DAY)
    await send(t, 'POST', '/v1/devices', { kind: 'fcm', token: fcmToken() }, w.traveller.headers)
    const { departureId } = await confirmedBooking(t, w, { startsAt })
    await t.drain()
    const [reminder] = await notifications(t, { kind: 'departure_reminder', userId: userId(w.traveller) })
    const quietEnd = new Date(Date.UTC(startsAt.getUTCFullYear(), startsAt.getUTCMonth(), startsAt.getUTCDate(), 7, 0))
    expect(reminder!.next_attempt_at.toISOString()).toBe(quietEnd.toISOString())

    // the receipt waits too (23:30 now), until 07:00
    const [receipt] = (await notifications(t, { kind: 'booking_confirmed', userId: userId(w.traveller) })).filter((r) => r.channel === 'email')
    expect(receipt!.next_attempt_at.getTime()).toBeGreaterThan(t.clock.now().getTime())

    const cancel = await send(t, 'POST', `/v1/operator/departures/${departureId}/cancel`, { reason: 'volcanic_activity', note: 'Ash plume over the pass' }, w.operator.headers)
    expect(cancel.status, await cancel.clone().text()).toBe(200)
    await t.drain()
    const [alert] = await notifications(t, { kind: 'departure_cancelled', userId: userId(w.traveller) })
    expect(alert).toMatchObject({ channel: 'push', not_before: null })
    expect(alert!.next_attempt_at.getTime()).toBeLessThanOrEqual(t.clock.now().getTime())
    expect((await notifications(t)).find((r) => r.id === reminder!.id)!.status).toBe('cancelled')

    await t.runQueue()
    expect(push.sent.at(-1)).toMatchObject({ urgency: 'high' })
    expect(push.sent.at(-1)!.data!.notificationId).toBe(alert!.id)
    expect(sms.sent).toHaveLength(0)

    t.clock.advance(299)
    await t.runQueue()
    expect(sms.sent).toHaveLength(0) // not yet: escalate_at is 300 s after the push was queued

    t.clock.advance(2)
    await t.runQueue() // escalation creates the SMS; the same round sends it
    expect(sms.sent).toHaveLength(1)
    expect(sms.sent[0]!.to).toBe('+79141234567')
    expect(sms.sent[0]!.body).toMatch(/cancel/i)

    const emailsBefore = email.sent.length
    t.clock.advance(301)
    await t.runQueue()
    const alerts = await notifications(t, { kind: 'departure_cancelled', userId: userId(w.traveller) })
    expect(alerts.map((r) => r.channel).sort()).toEqual(['email', 'push', 'sms'])
    expect(email.sent.length).toBe(emailsBefore + 1)
    t.clock.advance(3600)
    await t.runQueue()
    expect(await notifications(t, { kind: 'departure_cancelled', userId: userId(w.traveller) })).toHaveLength(3) // the chain ends at e-mail
  })

  it('a critical push the app confirms (receipt) does not escalate', async () => {
    const traveller = w.otherTraveller
    await send(t, 'POST', '/v1/devices', { kind: 'fcm', token: fcmToken() }, traveller.headers)
    const { departureId } = await confirmedBooking(t, { ...w, traveller }, { startsAt: new Date(t.clock.now().getTime() + 4 * DAY) })
    await t.drain()
    await send(t, 'POST', `/v1/operator/departures/${departureId}/cancel`, { reason: 'weather' }, w.operator.headers)
    await t.drain()
    await t.runQueue()
    const [alert] = await notifications(t, { kind: 'departure_cancelled', userId: userId(traveller) })
    expect(alert!.status).toBe('sent')
    const receipt = await send(t, 'POST', `/v1/me/notifications/${alert!.id}/receipt`, undefined, traveller.headers)
    expect(receipt.status).toBe(204)
    // someone else's receipt for it is a 404
    expect((await send(t, 'POST', `/v1/me/notifications/${alert!.id}/receipt`, undefined, w.traveller.headers)).status).toBe(404)
    t.clock.advance(3600)
    await t.runQueue()
    const alerts = await notifications(t, { kind: 'departure_cancelled', userId: userId(traveller) })
    expect(alerts.map((r) => [r.channel, r.status])).toEqual([['push', 'delivered']])
  })
})

describe('booking events outside the confirmed path', () => {
  let t: NotifyTestApp
  let w: World
  const email = fakeEmail('resend')
  beforeAll(async () => {
    t = await startNotifyApp({ email: [email.provider] })
    w = await makeWorld(t)
  })
  afterAll(() => t?.close())

  it('a completed booking asks for a review; a departure less than a day away gets no reminder', async () => {
    const startsAt = new Date(t.clock.now().getTime() + 12 * 3_600_000)
    const { bookingId } = await confirmedBooking(t, w, { startsAt })
    await t.drain()
    expect(await notifications(t, { kind: 'departure_reminder' })).toHaveLength(0)
    t.clock.advance(3 * DAY / 1000)
    await bookingService.completeDepartures(t.deps, t.clock.now())
    await t.drain()
    const rows = await notifications(t, { kind: 'review_request', userId: userId(w.traveller) })
    expect(rows.map((r) => r.channel).sort()).toEqual(['email', 'push'])
    expect(bookingId).toBeTruthy()
  })
})
