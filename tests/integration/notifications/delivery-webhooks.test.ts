/**
 * Delivery webhooks through the HTTP route and the real adapters built from config (Resend: Standard Webhooks /
 * Svix HMAC; SendGrid: ECDSA P-256 event webhook; SMS.ru: the callback URL token), against notifications the real
 * queue sent through local fakes of each provider. Each valid callback moves its notification once; a repeat, or a
 * later event that would move it backwards, changes nothing; a forged one is a 401 and changes nothing — not even
 * the record of processed provider events. Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import { queryRows } from '../../../src/core/db/index.ts'
import { parseConfig } from '../../../src/core/config/schema.ts'
import { notificationProvidersFromConfig } from '../../../src/core/notifications/from-config.ts'
import { SMSRU_CALLBACK_ANSWER } from '../../../src/core/notifications/smsru.ts'
import { send } from '../booking/support.ts'
import { startFakeResend, type FakeResend } from '../../support/fake-resend.ts'
import { startFakeSendGrid, type FakeSendGrid } from '../../support/fake-sendgrid.ts'
import { startFakeSmsRu, type FakeSmsRu } from '../../support/fake-smsru.ts'
import { confirmedBooking, fakePush, makeWorld, notifications, startNotifyApp, userId, type NotificationRow, type NotifyTestApp, type World } from './support.ts'

const RESEND_SECRET = `whsec_${Buffer.from('kamhub-delivery-webhooks-resend-secret').toString('base64')}`
const SMSRU_TOKEN = 'smsru-callback-token-0123456789'

let resendFake: FakeResend
let sendgridFake: FakeSendGrid
let smsruFake: FakeSmsRu
let sendgridKeys: CryptoKeyPair
let t: NotifyTestApp
let w: World

beforeAll(async () => {
  ;[resendFake, sendgridFake, smsruFake] = await Promise.all([startFakeResend(), startFakeSendGrid(), startFakeSmsRu()])
  // Our own key pair (not the fake's): the adapter must verify whatever SPKI the operator pastes into the config.
  sendgridKeys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])) as CryptoKeyPair
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', sendgridKeys.publicKey)).toString('base64')
  const env = {
    EMAIL_FROM: 'KamHub <noreply@kamhub.test>',
    RESEND_API_KEY: resendFake.apiKey,
    RESEND_BASE_URL: resendFake.url,
    RESEND_WEBHOOK_SECRET: RESEND_SECRET,
    SENDGRID_API_KEY: sendgridFake.apiKey,
    SENDGRID_BASE_URL: sendgridFake.url,
    SENDGRID_WEBHOOK_PUBLIC_KEY: spki,
    SMSRU_API_ID: smsruFake.apiId,
    SMSRU_BASE_URL: smsruFake.url,
    SMSRU_CALLBACK_SECRET: SMSRU_TOKEN,
  }
  const providers = notificationProvidersFromConfig(parseConfig({ NODE_ENV: 'test', ...env }))
  // push to a provider with no device registered: it fails, so a critical alert escalates to SMS (SMS.ru)
  t = await startNotifyApp({ email: providers.email, sms: providers.sms, push: [fakePush().provider] }, env)
  w = await makeWorld(t)
})
afterAll(async () => {
  await t?.close()
  await Promise.all([resendFake?.close(), sendgridFake?.close(), smsruFake?.close()])
})

/** The traveller's receipt e-mail of a fresh confirmed booking, as the queue sent it. */
async function receiptEmail(): Promise<NotificationRow> {
  const { bookingId } = await confirmedBooking(t, w)
  await t.drain()
  await t.runQueue()
  const [row] = (await notifications(t, { kind: 'booking_confirmed', subjectId: bookingId })).filter((r) => r.channel === 'email')
  return row!
}

/** The cancelled-departure alert the traveller got by SMS (push failed: no device → escalated). */
async function alertSms(): Promise<NotificationRow> {
  const alerts = () => notifications(t, { kind: 'departure_cancelled', userId: userId(w.traveller) })
  const before = new Set((await alerts()).map((r) => r.id))
  const { departureId } = await confirmedBooking(t, w)
  await t.drain()
  await send(t, 'POST', `/v1/operator/departures/${departureId}/cancel`, { reason: 'weather' }, w.operator.headers)
  await t.drain()
  await t.runQueue()
  await t.runQueue()
  // the alert carries no subject id, so this departure's SMS is the one that was not there before
  const fresh = (await alerts()).filter((r) => r.channel === 'sms' && !before.has(r.id))
  expect(fresh).toHaveLength(1)
  expect(fresh[0]).toMatchObject({ status: 'sent', provider: 'smsru' })
  return fresh[0]!
}

async function current(id: string): Promise<NotificationRow> {
  return (await notifications(t)).find((r) => r.id === id)!
}

async function webhookEventsFor(id: string): Promise<number> {
  const rows = await queryRows<{ n: number }>(t.db.orm, sql`select count(*)::int as n from notification_webhook_events where notification_id::text = ${id}`)
  return Number(rows[0]!.n)
}

describe('Resend (Standard Webhooks signature)', () => {
  const webhook = new Webhook(RESEND_SECRET)
  function post(event: { type: string; emailId: string }, { id = `msg_${crypto.randomUUID()}`, signer = webhook } = {}) {
    const at = new Date()
    const body = JSON.stringify({ type: event.type, created_at: at.toISOString(), data: { email_id: event.emailId, to: ['anna@example.com'] } })
    const headers = { 'content-type': 'application/json', 'svix-id': id, 'svix-timestamp': String(Math.floor(at.getTime() / 1000)), 'svix-signature': signer.sign(id, at, body) }
    return t.app.request('http://localhost/webhooks/notifications/resend', { method: 'POST', headers, body })
  }

  it('a signed email.delivered marks the receipt delivered once; the same event again, or a later bounce, changes nothing', async () => {
    const row = await receiptEmail()
    expect(row).toMatchObject({ status: 'sent', provider: 'resend' })
    const id = `msg_${crypto.randomUUID()}`
    const first = await post({ type: 'email.delivered', emailId: row.provider_message_id! }, { id })
    expect(first.status, await first.clone().text()).toBe(200)
    expect(await first.json()).toEqual({ received: true, applied: 1 })
    expect((await current(row.id)).status).toBe('delivered')
    expect(await (await post({ type: 'email.delivered', emailId: row.provider_message_id! }, { id })).json()).toEqual({ received: true, applied: 0 })
    expect(await (await post({ type: 'email.bounced', emailId: row.provider_message_id! })).json()).toEqual({ received: true, applied: 0 })
    expect(await current(row.id)).toMatchObject({ status: 'delivered', last_error: null })
  })

  it('a signed email.bounced marks the receipt failed once, with the bounce as its error, and wakes the queue worker (a failed critical alert escalates at its next round)', async () => {
    const row = await receiptEmail()
    const id = `msg_${crypto.randomUUID()}`
    const kicks = t.kicks
    expect(await (await post({ type: 'email.bounced', emailId: row.provider_message_id! }, { id })).json()).toEqual({ received: true, applied: 1 })
    expect(await current(row.id)).toMatchObject({ status: 'failed', last_error: 'bounced' })
    expect(t.kicks).toBe(kicks + 1)
    expect(await (await post({ type: 'email.bounced', emailId: row.provider_message_id! }, { id })).json()).toEqual({ received: true, applied: 0 })
    expect((await current(row.id)).status).toBe('failed')
    expect(t.kicks).toBe(kicks + 1) // nothing applied, nothing to wake for
  })

  it('signed with another secret, or unsigned → 401, and the notification and the event log are untouched', async () => {
    const row = await receiptEmail()
    const forger = new Webhook(`whsec_${Buffer.from('not-the-configured-secret').toString('base64')}`)
    expect((await post({ type: 'email.delivered', emailId: row.provider_message_id! }, { signer: forger })).status).toBe(401)
    const unsigned = await t.app.request('http://localhost/webhooks/notifications/resend', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'email.delivered', data: { email_id: row.provider_message_id } }),
    })
    expect(unsigned.status).toBe(401)
    expect((await current(row.id)).status).toBe('sent')
    expect(await webhookEventsFor(row.id)).toBe(0)
  })
})

describe('SendGrid (ECDSA P-256 event webhook)', () => {
  /** WebCrypto signs r‖s; SendGrid sends ASN.1 DER (SEQUENCE of two INTEGERs), base64. */
  function der(raw: Uint8Array): Buffer {
    const integer = (bytes: Uint8Array) => {
      let i = 0
      while (i < bytes.length - 1 && bytes[i] === 0) i++
      const value = bytes[i]! & 0x80 ? [0, ...bytes.subarray(i)] : [...bytes.subarray(i)]
      return [0x02, value.length, ...value]
    }
    const body = [...integer(raw.subarray(0, 32)), ...integer(raw.subarray(32))]
    return Buffer.from([0x30, body.length, ...body])
  }

  async function post(events: Array<Record<string, unknown>>, { key = sendgridKeys.privateKey, tamper = false } = {}) {
    const body = JSON.stringify(events) + '\r\n'
    const timestamp = String(Math.floor(Date.now() / 1000))
    const raw = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, new TextEncoder().encode(timestamp + body)))
    return t.app.request('http://localhost/webhooks/notifications/sendgrid', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'X-Twilio-Email-Event-Webhook-Signature': der(raw).toString('base64'),
        'X-Twilio-Email-Event-Webhook-Timestamp': timestamp,
      },
      body: tamper ? body.replace('"delivered"', '"bounce"') : body,
    })
  }

  /** The traveller's receipt, sent by SendGrid because Resend is down for this round. */
  async function sentBySendGrid(): Promise<NotificationRow> {
    resendFake.failNext(100, 503)
    try {
      const row = await receiptEmail()
      expect(row).toMatchObject({ status: 'sent', provider: 'sendgrid' })
      return row
    } finally {
      resendFake.failNext(0)
    }
  }

  const event = (row: NotificationRow, kind: string, id = `sg_${crypto.randomUUID()}`) => ({
    email: 'anna@example.com',
    event: kind,
    timestamp: Math.floor(Date.now() / 1000),
    sg_event_id: id,
    sg_message_id: `${row.provider_message_id}.filterdrecv-5645d9c87f-6r9h4-1-62E9B5E2-4.0`,
    notification_id: row.id,
    ...(kind === 'bounce' ? { reason: '550 5.1.1 mailbox unavailable' } : {}),
  })

  it('a signed "delivered" batch marks the receipt delivered once; the batch again changes nothing; "processed" never moves it back', async () => {
    const row = await sentBySendGrid()
    const delivered = event(row, 'delivered')
    const first = await post([delivered])
    expect(first.status, await first.clone().text()).toBe(200)
    expect(await first.json()).toEqual({ received: true, applied: 1 })
    expect((await current(row.id)).status).toBe('delivered')
    expect(await (await post([delivered, event(row, 'processed')])).json()).toEqual({ received: true, applied: 0 })
    expect((await current(row.id)).status).toBe('delivered')
  })

  it('a signed "bounce" marks the receipt failed once, with the SMTP reason', async () => {
    const row = await sentBySendGrid()
    const bounce = event(row, 'bounce')
    expect(await (await post([bounce])).json()).toEqual({ received: true, applied: 1 })
    expect(await current(row.id)).toMatchObject({ status: 'failed', last_error: '550 5.1.1 mailbox unavailable' })
    expect(await (await post([bounce])).json()).toEqual({ received: true, applied: 0 })
  })

  it('signed by another key, or a body changed after signing → 401, and nothing changes', async () => {
    const row = await sentBySendGrid()
    const stranger = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair
    expect((await post([event(row, 'delivered')], { key: stranger.privateKey })).status).toBe(401)
    expect((await post([event(row, 'delivered')], { tamper: true })).status).toBe(401)
    expect((await current(row.id)).status).toBe('sent')
    expect(await webhookEventsFor(row.id)).toBe(0)
  })
})

describe('SMS.ru (callback URL token)', () => {
  function post(smsId: string, code: number, token = SMSRU_TOKEN) {
    const body = new URLSearchParams({ 'data[0]': `sms_status\n${smsId}\n${code}\n${Math.floor(Date.now() / 1000)}` }).toString()
    return t.app.request(`http://localhost/webhooks/notifications/smsru?token=${encodeURIComponent(token)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    })
  }

  it('status 103 marks the SMS delivered once and answers "100" (anything else makes SMS.ru repeat the callback)', async () => {
    const row = await alertSms()
    const first = await post(row.provider_message_id!, 103)
    expect(first.status).toBe(200)
    expect((await first.text()).trim()).toBe(SMSRU_CALLBACK_ANSWER)
    expect((await current(row.id)).status).toBe('delivered')
    expect(await webhookEventsFor(row.id)).toBe(1)
    // SMS.ru repeating the callback, then a late "not delivered": both change nothing
    expect((await (await post(row.provider_message_id!, 103)).text()).trim()).toBe(SMSRU_CALLBACK_ANSWER)
    await post(row.provider_message_id!, 104)
    expect(await current(row.id)).toMatchObject({ status: 'delivered', last_error: null })
  })

  it('status 104 marks the SMS failed once', async () => {
    const row = await alertSms()
    expect((await post(row.provider_message_id!, 104)).status).toBe(200)
    expect(await current(row.id)).toMatchObject({ status: 'failed', last_error: 'status 104' })
    await post(row.provider_message_id!, 104)
    expect(await webhookEventsFor(row.id)).toBe(1)
  })

  it('a wrong token, or none → 401, and nothing changes', async () => {
    const row = await alertSms()
    expect((await post(row.provider_message_id!, 103, 'guessed-token-0123456789')).status).toBe(401)
    const tokenless = await t.app.request('http://localhost/webhooks/notifications/smsru', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ 'data[0]': `sms_status\n${row.provider_message_id}\n103\n${Math.floor(Date.now() / 1000)}` }).toString(),
    })
    expect(tokenless.status).toBe(401)
    expect((await current(row.id)).status).toBe('sent')
    expect(await webhookEventsFor(row.id)).toBe(0)
  })
})
