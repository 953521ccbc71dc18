import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeResend, type FakeResend } from '../../../tests/support/fake-resend.ts'
import { DomainError } from '../errors.ts'
import { NotificationError, type EmailMessage, type EmailProvider } from './provider.ts'
import { resendProvider } from './resend.ts'

let fake: FakeResend
let resend: EmailProvider
const secret = 'whsec_' + Buffer.from('kamhub-resend-webhook-test-secret').toString('base64')
const now = new Date('2026-07-01T10:00:00Z')

function email(overrides: Partial<EmailMessage> = {}): EmailMessage {
  return {
    to: 'traveller@example.org',
    from: 'KamHub <noreply@kamhub.example>',
    replyTo: 'support@kamhub.example',
    subject: 'Your Avachinsky climb is confirmed',
    html: '<p>See you at 6:00</p>',
    text: 'See you at 6:00',
    headers: { 'X-Entity-Ref-ID': 'bk_1' },
    tags: { kind: 'booking_confirmed' },
    idempotencyKey: `ntf-${crypto.randomUUID()}`,
    ...overrides,
  }
}

async function failure(promise: Promise<unknown>): Promise<NotificationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(NotificationError)
  return error as NotificationError
}

beforeAll(async () => {
  fake = await startFakeResend()
  resend = resendProvider({ apiKey: fake.apiKey, webhookSecret: secret, baseUrl: fake.url, now: () => now })
})
afterAll(() => fake.close())

describe('resendProvider.send against a local Resend', () => {
  it('posts /emails with the bearer key, the message fields and the caller key as Idempotency-Key', async () => {
    const message = email()
    const result = await resend.send(message)
    expect(result).toEqual({ providerMessageId: expect.any(String), status: 'queued' })
    const sent = fake.requests.at(-1)!
    expect(sent.headers.authorization).toBe(`Bearer ${fake.apiKey}`)
    expect(sent.headers['idempotency-key']).toBe(message.idempotencyKey)
    expect(JSON.parse(sent.rawBody)).toMatchObject({
      from: message.from,
      to: ['traveller@example.org'],
      reply_to: 'support@kamhub.example',
      subject: message.subject,
      html: message.html,
      text: message.text,
      headers: { 'X-Entity-Ref-ID': 'bk_1' },
      tags: [{ name: 'kind', value: 'booking_confirmed' }],
    })
  })

  it('a retried send of the same notification reuses its key, so Resend keeps one email', async () => {
    const message = email()
    const before = fake.emails.size
    const first = await resend.send(message)
    const again = await resend.send(message)
    expect(again.providerMessageId).toBe(first.providerMessageId)
    expect(fake.emails.size).toBe(before + 1)
  })

  it('classifies: 500 → outage, 429 → rate_limited, a bodyless 502 → outage, 422 → rejected, bad key → outage without the key', async () => {
    fake.failNextWith(500, 'internal_server_error')
    expect((await failure(resend.send(email()))).kind).toBe('outage')
    fake.failNextWith(429, 'rate_limit_exceeded')
    expect((await failure(resend.send(email()))).kind).toBe('rate_limited')
    fake.failNext(1, 502) // a proxy's answer without Resend's body: the status is unknown, so it is an outage
    expect((await failure(resend.send(email()))).kind).toBe('outage')
    expect((await failure(resend.send(email({ to: 'not-an-address' })))).kind).toBe('rejected')
    const wrong = resendProvider({ apiKey: 're_wrong_secret_key', baseUrl: fake.url })
    const error = await failure(wrong.send(email()))
    expect(error.kind).toBe('outage')
    expect(error.message).not.toContain('re_wrong_secret_key')
  })

  it('an unreachable Resend is an outage', async () => {
    const down = resendProvider({ apiKey: 're_x', baseUrl: 'http://127.0.0.1:1' })
    expect((await failure(down.send(email()))).kind).toBe('outage')
  })
})

describe('resendProvider.verifyDeliveryWebhook (Svix signatures)', () => {
  const body = JSON.stringify({
    type: 'email.bounced',
    created_at: '2026-07-01T09:59:58.000Z',
    data: { email_id: 'em_123', to: ['x@example.org'], bounce: { message: 'mailbox does not exist' } },
  })
  const signed = (payload: string, at: Date, id = 'msg_abc', key = secret) => {
    const signature = new Webhook(key.slice('whsec_'.length)).sign(id, at, payload)
    return { rawBody: payload, url: 'https://api.kamhub.example/webhooks/resend', headers: new Headers({ 'svix-id': id, 'svix-timestamp': String(Math.floor(at.getTime() / 1000)), 'svix-signature': signature }) }
  }
  const rejection = async (promise: Promise<unknown>) => {
    const error = await promise.then(() => undefined, (e: unknown) => e)
    expect(error).toBeInstanceOf(DomainError)
    expect((error as DomainError).code).toBe('unauthorized')
  }

  it('a signature made by the Standard Webhooks library verifies and normalises to a bounce keyed by svix-id', async () => {
    const events = await resend.verifyDeliveryWebhook!(signed(body, new Date(now.getTime() - 2_000)))
    expect(events).toEqual([
      { provider: 'resend', eventId: 'msg_abc', providerMessageId: 'em_123', status: 'bounced', occurredAt: new Date('2026-07-01T09:59:58.000Z'), reason: 'mailbox does not exist' },
    ])
  })

  it('a second v1 signature in the list (secret rotation) is accepted', async () => {
    const request = signed(body, now)
    request.headers.set('svix-signature', `v1,${Buffer.alloc(32).toString('base64')} ${request.headers.get('svix-signature')}`)
    expect(await resend.verifyDeliveryWebhook!(request)).toHaveLength(1)
  })

  it('refuses a tampered body, another secret, a missing header, and timestamps more than 300 s old or ahead', async () => {
    const good = signed(body, now)
    await rejection(resend.verifyDeliveryWebhook!({ ...good, rawBody: body.replace('bounced', 'delivered') }))
    await rejection(resend.verifyDeliveryWebhook!(signed(body, now, 'msg_abc', 'whsec_' + Buffer.from('another').toString('base64'))))
    const missing = signed(body, now)
    missing.headers.delete('svix-signature')
    await rejection(resend.verifyDeliveryWebhook!(missing))
    await rejection(resend.verifyDeliveryWebhook!(signed(body, new Date(now.getTime() - 301_000))))
    await rejection(resend.verifyDeliveryWebhook!(signed(body, new Date(now.getTime() + 301_000))))
    expect(await resend.verifyDeliveryWebhook!(signed(body, new Date(now.getTime() - 299_000)))).toHaveLength(1)
  })

  it('opens and clicks are authenticated but produce no delivery event', async () => {
    const opened = JSON.stringify({ type: 'email.opened', created_at: now.toISOString(), data: { email_id: 'em_1' } })
    expect(await resend.verifyDeliveryWebhook!(signed(opened, now))).toEqual([])
  })
})
