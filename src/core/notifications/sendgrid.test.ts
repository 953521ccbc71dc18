import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeSendGrid, type FakeSendGrid } from '../../../tests/support/fake-sendgrid.ts'
import { DomainError } from '../errors.ts'
import { NotificationError, type EmailMessage, type EmailProvider } from './provider.ts'
import { emailAddress, sendGridProvider } from './sendgrid.ts'

let fake: FakeSendGrid
let sendgrid: EmailProvider
const nowSeconds = 1_782_900_000

const email = (overrides: Partial<EmailMessage> = {}): EmailMessage => ({
  to: 'Anna Petrova <anna@example.org>',
  from: 'KamHub <noreply@kamhub.example>',
  subject: 'Your Tolbachik trip tomorrow',
  html: '<p>Bring layers</p>',
  text: 'Bring layers',
  idempotencyKey: `key-${crypto.randomUUID()}`,
  notificationId: 'ntf_42',
  ...overrides,
})

async function failure(promise: Promise<unknown>): Promise<NotificationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(NotificationError)
  return error as NotificationError
}

async function unauthorized(promise: Promise<unknown>) {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(DomainError)
  expect((error as DomainError).code).toBe('unauthorized')
}

beforeAll(async () => {
  fake = await startFakeSendGrid()
  sendgrid = sendGridProvider({ apiKey: fake.apiKey, webhookPublicKey: fake.publicKey, baseUrl: fake.url, now: () => new Date(nowSeconds * 1000) })
})
afterAll(() => fake.close())

describe('sendGridProvider.send against a local SendGrid', () => {
  it('posts v3 mail/send with the bearer key, text before html, and our ids in custom_args; 202 → X-Message-Id', async () => {
    const message = email({ replyTo: 'support@kamhub.example', tags: { kind: 'reminder' } })
    const result = await sendgrid.send(message)
    const sent = fake.requests.at(-1)!
    expect(result).toEqual({ providerMessageId: expect.any(String), status: 'queued' })
    expect(sent.headers.authorization).toBe(`Bearer ${fake.apiKey}`)
    expect(JSON.parse(sent.rawBody)).toEqual({
      personalizations: [{ to: [{ email: 'anna@example.org', name: 'Anna Petrova' }], custom_args: { notification_id: 'ntf_42', idempotency_key: message.idempotencyKey } }],
      from: { email: 'noreply@kamhub.example', name: 'KamHub' },
      reply_to: { email: 'support@kamhub.example' },
      subject: message.subject,
      content: [
        { type: 'text/plain', value: 'Bring layers' },
        { type: 'text/html', value: '<p>Bring layers</p>' },
      ],
      categories: ['reminder'],
    })
  })

  it('classifies: 500 → outage, 429 → rate_limited with Retry-After, 400 → rejected naming the field, bad key → outage', async () => {
    fake.failNext(1, 503)
    expect((await failure(sendgrid.send(email()))).kind).toBe('outage')
    fake.failNext(1, 429, { 'retry-after': '30' })
    const limited = await failure(sendgrid.send(email()))
    expect([limited.kind, limited.retryAfterSeconds]).toEqual(['rate_limited', 30])
    const rejected = await failure(sendgrid.send(email({ to: 'nobody' })))
    expect(rejected.kind).toBe('rejected')
    expect(rejected.message).toContain('personalizations.0.to.0.email')
    const wrong = await failure(sendGridProvider({ apiKey: 'SG.wrong.secret-value', baseUrl: fake.url }).send(email()))
    expect(wrong.kind).toBe('outage')
    expect(wrong.message).not.toContain('secret-value')
  })

  it('parses display-name addresses', () => {
    expect(emailAddress('"Kam Hub" <a@b.c>')).toEqual({ email: 'a@b.c', name: 'Kam Hub' })
    expect(emailAddress('a@b.c')).toEqual({ email: 'a@b.c' })
  })
})

describe('sendGridProvider.verifyDeliveryWebhook (ECDSA P-256 over timestamp + body)', () => {
  it("SendGrid's official test vector verifies with WebCrypto (DER → r‖s), and fails without the trailing CRLF", async () => {
    const publicKey = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g=='
    const signature = 'MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM='
    const timestamp = '1600112502'
    const payload =
      JSON.stringify([
        {
          email: 'hello@world.com',
          event: 'dropped',
          reason: 'Bounced Address',
          sg_event_id: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
          sg_message_id: 'LRzXl_NHStOGhQ4kofSm_A.filterdrecv-p3mdw1-756b745b58-kmzbl-18-5F5FC76C-9.0',
          'smtp-id': '<LRzXl_NHStOGhQ4kofSm_A@ismtpd0039p1iad1.sendgrid.net>',
          timestamp: 1600112492,
        },
      ]) + '\r\n'
    const vector = sendGridProvider({ apiKey: 'SG.x', webhookPublicKey: publicKey, now: () => new Date(1600112502 * 1000 + 5_000) })
    const headers = new Headers({ 'X-Twilio-Email-Event-Webhook-Signature': signature, 'X-Twilio-Email-Event-Webhook-Timestamp': timestamp })
    const events = await vector.verifyDeliveryWebhook!({ rawBody: payload, headers, url: 'https://api.kamhub.example/webhooks/sendgrid' })
    expect(events).toEqual([
      {
        provider: 'sendgrid',
        eventId: 'ZHJvcC0xMDk5NDkxOS1MUnpYbF9OSFN0T0doUTRrb2ZTbV9BLTA',
        providerMessageId: 'LRzXl_NHStOGhQ4kofSm_A',
        status: 'failed',
        occurredAt: new Date(1600112492 * 1000),
        reason: 'Bounced Address',
      },
    ])
    await unauthorized(vector.verifyDeliveryWebhook!({ rawBody: payload.trimEnd(), headers, url: 'x' }))
    // The same vector an hour later is a replay.
    const later = sendGridProvider({ apiKey: 'SG.x', webhookPublicKey: publicKey, now: () => new Date((1600112502 + 3600) * 1000) })
    await unauthorized(later.verifyDeliveryWebhook!({ rawBody: payload, headers, url: 'x' }))
  })

  it('a batch signed now yields one event per delivery status with our notification id; opens are dropped', async () => {
    const body = JSON.stringify([
      { event: 'delivered', email: 'a@example.org', timestamp: nowSeconds - 10, sg_event_id: 'ev1', sg_message_id: 'MSG1.filter-x', notification_id: 'ntf_42' },
      { event: 'open', email: 'a@example.org', timestamp: nowSeconds - 5, sg_event_id: 'ev2', sg_message_id: 'MSG1.filter-x', notification_id: 'ntf_42' },
      { event: 'spamreport', email: 'a@example.org', timestamp: nowSeconds - 1, sg_event_id: 'ev3', sg_message_id: 'MSG1.filter-x' },
    ])
    const events = await sendgrid.verifyDeliveryWebhook!({ rawBody: body, headers: fake.signEvents(body, nowSeconds), url: 'x' })
    expect(events.map((e) => [e.eventId, e.status, e.providerMessageId, e.notificationId])).toEqual([
      ['ev1', 'delivered', 'MSG1', 'ntf_42'],
      ['ev3', 'complained', 'MSG1', undefined],
    ])
  })

  it('refuses a tampered body, a changed timestamp, a stale or future timestamp, and a missing signature', async () => {
    const body = JSON.stringify([{ event: 'bounce', sg_event_id: 'e', sg_message_id: 'm', timestamp: nowSeconds }])
    const headers = fake.signEvents(body, nowSeconds)
    await unauthorized(sendgrid.verifyDeliveryWebhook!({ rawBody: body.replace('bounce', 'delivered'), headers, url: 'x' }))
    const shifted = new Headers(headers)
    shifted.set('X-Twilio-Email-Event-Webhook-Timestamp', String(nowSeconds + 1))
    await unauthorized(sendgrid.verifyDeliveryWebhook!({ rawBody: body, headers: shifted, url: 'x' }))
    await unauthorized(sendgrid.verifyDeliveryWebhook!({ rawBody: body, headers: fake.signEvents(body, nowSeconds - 601), url: 'x' }))
    await unauthorized(sendgrid.verifyDeliveryWebhook!({ rawBody: body, headers: fake.signEvents(body, nowSeconds + 601), url: 'x' }))
    await unauthorized(sendgrid.verifyDeliveryWebhook!({ rawBody: body, headers: new Headers(), url: 'x' }))
    expect(await sendgrid.verifyDeliveryWebhook!({ rawBody: body, headers: fake.signEvents(body, nowSeconds - 599), url: 'x' })).toHaveLength(1)
  })
})
