import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeApns, type FakeApns } from '../../../tests/support/fake-apns.ts'
import { apnsProvider } from './apns.node.ts'
import { NotificationError, type PushMessage } from './provider.ts'

let fake: FakeApns
let clock = new Date('2026-07-01T10:00:00Z').getTime()
let apns: ReturnType<typeof apnsProvider>

const message = (token: string, overrides: Partial<PushMessage> = {}): PushMessage => ({
  device: { kind: 'apns', token, topic: 'ru.kamhub.app' },
  title: 'Your guide is waiting',
  body: 'Meet at the Elizovo airport exit B',
  data: { bookingId: 'bk_9' },
  urgency: 'high',
  ttlSeconds: 3600,
  collapseKey: 'bk_9-meet',
  ...overrides,
})

async function failure(promise: Promise<unknown>): Promise<NotificationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(NotificationError)
  return error as NotificationError
}

beforeAll(async () => {
  fake = await startFakeApns()
  apns = apnsProvider({ keyId: fake.keyId, teamId: fake.teamId, privateKey: fake.privateKeyPem, baseUrl: fake.url, now: () => new Date(clock) })
})
afterAll(async () => {
  await apns.close()
  await fake.close()
})

describe('apnsProvider over HTTP/2 against a local APNs', () => {
  it('posts /3/device/<token> with a verified ES256 JWT, topic, push type, priority, expiration, collapse id and the aps alert', async () => {
    const result = await apns.send(message('device-1'))
    expect(result).toEqual({ providerMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'sent' })
    const sent = fake.requests.at(-1)!
    expect(sent.token).toBe('device-1')
    expect(sent.headers).toMatchObject({
      'apns-topic': 'ru.kamhub.app',
      'apns-push-type': 'alert',
      'apns-priority': '10',
      'apns-expiration': String(Math.floor(clock / 1000) + 3600),
      'apns-collapse-id': 'bk_9-meet',
    })
    expect(sent.body).toEqual({ bookingId: 'bk_9', aps: { alert: { title: 'Your guide is waiting', body: 'Meet at the Elizovo airport exit B' }, sound: 'default' } })
  })

  it('one JWT serves every send for 50 minutes over one session, then a new one is signed', async () => {
    await apns.send(message('device-1'))
    const first = fake.requests.at(-1)!.jwt
    clock += 49 * 60_000
    await apns.send(message('device-2', { urgency: 'low' }))
    expect(fake.requests.at(-1)!.jwt).toBe(first)
    expect(fake.requests.at(-1)!.headers['apns-priority']).toBe('5')
    clock += 2 * 60_000
    await apns.send(message('device-3'))
    expect(fake.requests.at(-1)!.jwt).not.toBe(first)
    expect(fake.sessions()).toBe(1)
  })

  it('ExpiredProviderToken makes a new JWT and resends once', async () => {
    await apns.send(message('device-1'))
    fake.expireTokens()
    const before = fake.requests.length
    expect((await apns.send(message('device-4'))).status).toBe('sent')
    expect(fake.requests.length).toBe(before + 2)
    expect(fake.requests.at(-1)!.jwt).not.toBe(fake.requests.at(-2)!.jwt)
  })

  it('classifies: 410 Unregistered → gone, BadDeviceToken → rejected, 500 → outage, 429 → rate_limited', async () => {
    expect((await failure(apns.send(message('dead-device')))).kind).toBe('gone')
    expect((await failure(apns.send(message('bad-device')))).kind).toBe('rejected')
    fake.failNext(500, 'InternalServerError')
    expect((await failure(apns.send(message('device-1')))).kind).toBe('outage')
    fake.failNext(429, 'TooManyRequests')
    expect((await failure(apns.send(message('device-1')))).kind).toBe('rate_limited')
  })

  it('a key APNs cannot verify is an outage; an unreachable APNs is an outage', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const wrong = apnsProvider({ keyId: fake.keyId, teamId: fake.teamId, privateKey: other, baseUrl: fake.url })
    const error = await failure(wrong.send(message('device-1')))
    expect([error.kind, error.message]).toEqual(['outage', 'apns: answered 403 InvalidProviderToken'])
    await wrong.close()
    const down = apnsProvider({ keyId: fake.keyId, teamId: fake.teamId, privateKey: fake.privateKeyPem, baseUrl: 'http://127.0.0.1:1' })
    expect((await failure(down.send(message('device-1')))).kind).toBe('outage')
    await down.close()
  })
})
