import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeSmsRu, type FakeSmsRu } from '../../../tests/support/fake-smsru.ts'
import { DomainError } from '../errors.ts'
import { NotificationError, type SmsMessage, type SmsProvider } from './provider.ts'
import { smsRuProvider } from './smsru.ts'

let fake: FakeSmsRu
let smsru: SmsProvider
const sms = (overrides: Partial<SmsMessage> = {}): SmsMessage => ({ to: '+79141234567', body: 'Код: 4821', idempotencyKey: crypto.randomUUID(), ...overrides })

async function failure(promise: Promise<unknown>): Promise<NotificationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(NotificationError)
  return error as NotificationError
}

beforeAll(async () => {
  fake = await startFakeSmsRu()
  smsru = smsRuProvider({ apiId: fake.apiId, from: 'KamHub', callbackSecret: 'cb-secret-123', baseUrl: fake.url })
})
afterAll(() => fake.close())

describe('smsRuProvider.send against a local SMS.ru', () => {
  it('posts api_id, the number without +, the text (UTF-8) and json=1; the per-number sms_id is the message id', async () => {
    const result = await smsru.send(sms())
    expect(result).toEqual({ providerMessageId: expect.stringMatching(/^000000-\d{8}$/), status: 'queued' })
    const sent = fake.requests.at(-1)!
    expect(sent.path).toBe('/sms/send')
    expect(Object.fromEntries(new URLSearchParams(sent.rawBody))).toEqual({ api_id: fake.apiId, to: '79141234567', msg: 'Код: 4821', json: '1', from: 'KamHub' })
  })

  it('classifies: HTTP 500 → outage, no balance (201) → outage, repeat limit (231) → rate_limited, bad number (202) → rejected', async () => {
    fake.failNext(1, 500)
    expect((await failure(smsru.send(sms()))).kind).toBe('outage')
    fake.nextStatus = 201
    expect((await failure(smsru.send(sms()))).kind).toBe('outage')
    fake.nextStatus = 231
    expect((await failure(smsru.send(sms()))).kind).toBe('rate_limited')
    expect((await failure(smsru.send(sms({ to: '+7914' })))).kind).toBe('rejected')
  })

  it('a wrong api_id is an outage whose message does not carry the id', async () => {
    const error = await failure(smsRuProvider({ apiId: 'WRONG-API-ID-VALUE', baseUrl: fake.url }).send(sms()))
    expect(error.kind).toBe('outage')
    expect(error.message).not.toContain('WRONG-API-ID-VALUE')
  })
})

describe('smsRuProvider.verifyDeliveryWebhook', () => {
  const entries = ['sms_status\n000000-10000001\n103\n1782900000', 'sms_status\n000000-10000002\n104\n1782900060', 'sms_status\n000000-10000003\n101\n1782900061']
  const form = (hash?: string) => {
    const body = new URLSearchParams()
    entries.forEach((entry, i) => body.set(`data[${i}]`, entry))
    if (hash) body.set('hash', hash)
    return body.toString()
  }
  const goodHash = () => createHash('sha256').update(fake.apiId + entries.join('')).digest('hex')
  const url = 'https://api.kamhub.example/webhooks/smsru'

  it('a callback with the secret URL token yields delivered and failed events; in-progress statuses are dropped', async () => {
    const events = await smsru.verifyDeliveryWebhook!({ rawBody: form(), headers: new Headers(), url: `${url}?token=cb-secret-123` })
    expect(events).toEqual([
      { provider: 'smsru', eventId: '000000-10000001:103', providerMessageId: '000000-10000001', status: 'delivered', occurredAt: new Date(1782900000 * 1000) },
      { provider: 'smsru', eventId: '000000-10000002:104', providerMessageId: '000000-10000002', status: 'failed', occurredAt: new Date(1782900060 * 1000), reason: 'status 104' },
    ])
  })

  it('a callback with a matching hash and no token is accepted', async () => {
    expect(await smsru.verifyDeliveryWebhook!({ rawBody: form(goodHash()), headers: new Headers(), url })).toHaveLength(2)
  })

  it('refuses a wrong token without a hash, a hash over other entries, and a callback with neither', async () => {
    for (const request of [
      { rawBody: form(), url: `${url}?token=guess` },
      { rawBody: form(goodHash()).replace('103', '104'), url },
      { rawBody: form(), url },
    ]) {
      const error = await smsru.verifyDeliveryWebhook!({ ...request, headers: new Headers() }).then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(DomainError)
      expect((error as DomainError).code).toBe('unauthorized')
    }
  })
})
