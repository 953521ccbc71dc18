import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeTwilio, type FakeTwilio } from '../../../tests/support/fake-twilio.ts'
import { DomainError } from '../errors.ts'
import { NotificationError, type SmsMessage, type SmsProvider } from './provider.ts'
import { twilioProvider, twilioSignature } from './twilio.ts'

let fake: FakeTwilio
let twilio: SmsProvider
const now = new Date('2026-07-01T10:00:00Z')

const sms = (overrides: Partial<SmsMessage> = {}): SmsMessage => ({
  to: '+79141234567',
  body: 'KamHub: your helicopter to the Valley of Geysers leaves at 08:00',
  idempotencyKey: crypto.randomUUID(),
  statusCallbackUrl: 'https://api.kamhub.example/webhooks/twilio',
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
  fake = await startFakeTwilio()
  twilio = twilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, from: '+15005550006', baseUrl: fake.url, now: () => now })
})
afterAll(() => fake.close())

describe('twilioProvider.send against a local Twilio', () => {
  it('posts a form to Messages.json with Basic auth, To/From/Body and the StatusCallback; 201 → sid, queued', async () => {
    const result = await twilio.send(sms())
    expect(result).toEqual({ providerMessageId: expect.stringMatching(/^SM/), status: 'queued' })
    const sent = fake.requests.at(-1)!
    expect(sent.path).toBe(`/2010-04-01/Accounts/${fake.accountSid}/Messages.json`)
    expect(sent.headers.authorization).toBe('Basic ' + btoa(`${fake.accountSid}:${fake.authToken}`))
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(Object.fromEntries(new URLSearchParams(sent.rawBody))).toEqual({
      To: '+79141234567',
      From: '+15005550006',
      Body: sms().body,
      StatusCallback: 'https://api.kamhub.example/webhooks/twilio',
    })
  })

  it('a Messaging Service SID is sent as MessagingServiceSid instead of From', async () => {
    const service = twilioProvider({ accountSid: fake.accountSid, authToken: fake.authToken, from: 'MG' + 'b'.repeat(32), baseUrl: fake.url })
    await service.send(sms())
    const form = new URLSearchParams(fake.requests.at(-1)!.rawBody)
    expect([form.get('MessagingServiceSid'), form.get('From')]).toEqual(['MG' + 'b'.repeat(32), null])
  })

  it('classifies: 500 → outage, 429 → rate_limited, invalid number (400/21211) → rejected without the number, bad token → outage', async () => {
    fake.failNext(1, 500)
    expect((await failure(twilio.send(sms()))).kind).toBe('outage')
    fake.failNext(1, 429, { 'retry-after': '2' })
    expect((await failure(twilio.send(sms()))).kind).toBe('rate_limited')
    const rejected = await failure(twilio.send(sms({ to: '89141234567' })))
    expect(rejected.kind).toBe('rejected')
    expect(rejected.message).toContain('21211')
    expect(rejected.message).not.toContain('89141234567')
    const wrong = await failure(twilioProvider({ accountSid: fake.accountSid, authToken: 'wrong-token-value', from: '+1', baseUrl: fake.url }).send(sms()))
    expect(wrong.kind).toBe('outage')
    expect(wrong.message).not.toContain('wrong-token-value')
  })
})

describe('twilioProvider.verifyDeliveryWebhook (X-Twilio-Signature)', () => {
  it("Twilio's official vector: token 12345 over the example URL and params gives RSOYDt4T1cUTdK1PDd93/VVr8B8=", async () => {
    const params = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' }
    expect(await twilioSignature('12345', 'https://mycompany.com/myapp.php?foo=1&bar=2', params)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=')
    const vector = twilioProvider({ accountSid: 'AC1', authToken: '12345', from: '+1' })
    const request = {
      rawBody: new URLSearchParams(params).toString(),
      headers: new Headers({ 'x-twilio-signature': 'RSOYDt4T1cUTdK1PDd93/VVr8B8=' }),
      url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
    }
    expect(await vector.verifyDeliveryWebhook!(request)).toEqual([]) // authentic, but a call, not a message status
    await unauthorized(vector.verifyDeliveryWebhook!({ ...request, url: 'https://mycompany.com/myapp.php?foo=1&bar=3' }))
  })

  const url = 'https://api.kamhub.example/webhooks/twilio'
  const callback = { MessageSid: 'SM0123', MessageStatus: 'undelivered', ErrorCode: '30005', AccountSid: 'AC1', To: '+79141234567', From: '+15005550006', ApiVersion: '2010-04-01' }

  it('a signed status callback normalises to failed with the error code, keyed by the idempotency token', async () => {
    const headers = new Headers({ 'x-twilio-signature': fake.signCallback(url, callback), 'i-twilio-idempotency-token': 'tok-1' })
    const events = await twilio.verifyDeliveryWebhook!({ rawBody: new URLSearchParams(callback).toString(), headers, url })
    expect(events).toEqual([{ provider: 'twilio', eventId: 'tok-1', providerMessageId: 'SM0123', status: 'failed', occurredAt: now, reason: 'error 30005' }])
  })

  it('a callback signed over the URL with :443 still verifies; the values are checked decoded', async () => {
    const headers = new Headers({ 'x-twilio-signature': fake.signCallback('https://api.kamhub.example:443/webhooks/twilio', { ...callback, MessageStatus: 'delivered' }) })
    const [event] = await twilio.verifyDeliveryWebhook!({ rawBody: new URLSearchParams({ ...callback, MessageStatus: 'delivered' }).toString(), headers, url })
    expect(event).toMatchObject({ status: 'delivered', eventId: 'SM0123:delivered' })
  })

  it('refuses a changed status, another token, another URL and a missing signature', async () => {
    const signature = fake.signCallback(url, callback)
    const body = new URLSearchParams(callback).toString()
    await unauthorized(twilio.verifyDeliveryWebhook!({ rawBody: body.replace('undelivered', 'delivered'), headers: new Headers({ 'x-twilio-signature': signature }), url }))
    const other = twilioProvider({ accountSid: 'AC1', authToken: 'another-token', from: '+1' })
    await unauthorized(other.verifyDeliveryWebhook!({ rawBody: body, headers: new Headers({ 'x-twilio-signature': signature }), url }))
    await unauthorized(twilio.verifyDeliveryWebhook!({ rawBody: body, headers: new Headers({ 'x-twilio-signature': signature }), url: url + '?x=1' }))
    await unauthorized(twilio.verifyDeliveryWebhook!({ rawBody: body, headers: new Headers(), url }))
  })
})
