/** Delivery webhooks through the real Twilio adapter (HMAC-SHA1 over URL + params) and the dev inbox of the embedded default. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { twilioProvider, twilioSignature } from '../../../src/core/notifications/twilio.ts'
import { notificationChannels } from '../../../src/pillars/engagement/notifications/channels.ts'
import { parseConfig } from '../../../src/core/config/schema.ts'
import { send } from '../booking/support.ts'
import { confirmedBooking, fakePush, makeWorld, notifications, startNotifyApp, type NotifyTestApp, type World } from './support.ts'

const AUTH_TOKEN = 'twilio-test-auth-token'
const WEBHOOK_URL = 'http://localhost/webhooks/notifications/twilio'

describe('delivery webhooks', () => {
  let t: NotifyTestApp
  let w: World
  let sid = 0
  const twilio = twilioProvider({
    accountSid: 'AC00000000000000000000000000000000',
    authToken: AUTH_TOKEN,
    from: '+15005550006',
    fetch: async () => new Response(JSON.stringify({ sid: `SM${String(++sid).padStart(32, '0')}`, status: 'queued' }), { status: 201, headers: { 'content-type': 'application/json' } }),
  })

  beforeAll(async () => {
    // push only, so the critical alert escalates to SMS through Twilio when no device is registered
    t = await startNotifyApp({ sms: [twilio], push: [fakePush().provider] })
    w = await makeWorld(t)
  })
  afterAll(() => t?.close())

  async function smsAlert() {
    const { bookingId, departureId } = await confirmedBooking(t, w)
    await t.drain()
    await send(t, 'POST', `/v1/operator/departures/${departureId}/cancel`, { reason: 'weather' }, w.operator.headers)
    await t.drain()
    await t.runQueue() // push fails (no device) → escalated to SMS in the next round
    await t.runQueue()
    // this booking's alert: on the manual clock every test's rows share one created_at, so "the last" is not this one
    const row = (await notifications(t, { kind: 'departure_cancelled', subjectId: bookingId })).find((r) => r.channel === 'sms')!
    expect(row).toMatchObject({ status: 'sent', provider: 'twilio' })
    return row
  }

  function callback(messageSid: string, status: string, signature?: string) {
    const params = { MessageSid: messageSid, MessageStatus: status, AccountSid: 'AC00000000000000000000000000000000' }
    return Promise.resolve(signature ?? twilioSignature(AUTH_TOKEN, WEBHOOK_URL, params)).then((sig) =>
      t.app.request(WEBHOOK_URL, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig }, body: new URLSearchParams(params).toString() }),
    )
  }

  it('a verified Twilio status callback marks the SMS delivered (once, forward only)', async () => {
    const row = await smsAlert()
    const res = await callback(row.provider_message_id!, 'delivered')
    expect(res.status, await res.clone().text()).toBe(200)
    expect(await res.json()).toEqual({ received: true, applied: 1 })
    expect((await notifications(t)).find((r) => r.id === row.id)!.status).toBe('delivered')
    // a late "sent" (or the same callback again) never moves it back
    expect(await (await callback(row.provider_message_id!, 'sent')).json()).toEqual({ received: true, applied: 0 })
    expect(await (await callback(row.provider_message_id!, 'delivered')).json()).toEqual({ received: true, applied: 0 })
    expect((await notifications(t)).find((r) => r.id === row.id)!.status).toBe('delivered')
  })

  it('a forged callback (bad signature) is a 401 and changes nothing', async () => {
    const row = await smsAlert()
    const forged = await callback(row.provider_message_id!, 'failed', Buffer.from('x'.repeat(20)).toString('base64'))
    expect(forged.status).toBe(401)
    const unsigned = await t.app.request(WEBHOOK_URL, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `MessageSid=${row.provider_message_id}&MessageStatus=failed` })
    expect(unsigned.status).toBe(401)
    expect((await notifications(t)).find((r) => r.id === row.id)!.status).toBe('sent')
  })

  it('a provider that is not configured has no webhook (404)', async () => {
    expect((await t.app.request('http://localhost/webhooks/notifications/resend', { method: 'POST', body: '{}' })).status).toBe(404)
  })
})

describe('dev inbox (the embedded default: no provider configured)', () => {
  let t: NotifyTestApp
  let w: World
  beforeAll(async () => {
    t = await startNotifyApp(notificationChannels(parseConfig({ NODE_ENV: 'test' })))
    w = await makeWorld(t)
  })
  afterAll(() => t?.close())

  it('shows a confirmed booking’s receipt: stored as sent by dev-inbox, the e-mail HTML in a sandboxed iframe under a strict CSP', async () => {
    const { bookingId } = await confirmedBooking(t, w)
    await t.drain()
    await t.runQueue()
    const rows = await notifications(t, { kind: 'booking_confirmed', subjectId: bookingId })
    expect(rows.map((r) => [r.channel, r.status, r.provider])).toEqual([['email', 'sent', 'dev-inbox'], ['push', 'sent', 'dev-inbox']])
    const inbox = (await (await t.app.request('/dev/inbox.json')).json()) as { items: Array<{ id: string; channel: string; kind: string; to: string; subject?: string; html?: string }> }
    const receipt = inbox.items.find((m) => m.id === rows[0]!.id)!
    expect(receipt).toMatchObject({ channel: 'email', kind: 'booking_confirmed', to: 'anna@example.com' })
    expect(receipt.subject).toMatch(/Бронирование подтверждено/)
    const page = await t.app.request('/dev/inbox')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
    const html = await page.text()
    expect(html).toContain('<iframe sandbox')
    expect(html).not.toMatch(/<script/i)
  })

  it('production refuses the dev inbox unless ALLOW_DEV_ADAPTERS; with a provider for every channel there is no inbox (404)', async () => {
    const prod = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), TICKET_SIGNING_KEY: `MC4CAQAwBQYDK2VwBCIEI${'A'.repeat(43)}`, DATABASE_URL: 'postgres://localhost/kamhub' }
    expect(() => notificationChannels(parseConfig(prod))).toThrow(/dev inbox .* refused in production/)
    expect(notificationChannels(parseConfig({ ...prod, ALLOW_DEV_ADAPTERS: 'true' })).devInbox).toBe(true)
    const configured = await startNotifyApp({ devInbox: false })
    try {
      expect((await configured.app.request('/dev/inbox')).status).toBe(404)
      expect((await configured.app.request('/dev/inbox.json')).status).toBe(404)
    } finally {
      await configured.close()
    }
  })
})
