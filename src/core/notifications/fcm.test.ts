import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeFcm, type FakeFcm } from '../../../tests/support/fake-fcm.ts'
import { fcmProvider, parseServiceAccount } from './fcm.ts'
import { NotificationError, type PushMessage } from './provider.ts'

let fake: FakeFcm
let clock = new Date('2026-07-01T10:00:00Z').getTime()
const now = () => new Date(clock)

async function failure(promise: Promise<unknown>): Promise<NotificationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(NotificationError)
  return error as NotificationError
}

const message = (token: string, overrides: Partial<PushMessage> = {}): PushMessage => ({
  device: { kind: 'fcm', token },
  title: 'Weather alert',
  body: 'Mutnovsky trip moved to Friday',
  data: { bookingId: 'bk_7', kind: 'rescheduled' },
  urgency: 'high',
  ttlSeconds: 600,
  collapseKey: 'bk_7',
  ...overrides,
})

beforeAll(async () => {
  fake = await startFakeFcm()
  clock = Date.now() // the fake checks exp against real time
})
afterAll(() => fake.close())

describe('fcmProvider against a local token endpoint and FCM v1', () => {
  it('exchanges an RS256 service-account JWT the token endpoint verifies, then sends notification + string data + android/apns blocks', async () => {
    const fcm = fcmProvider({ serviceAccount: parseServiceAccount(fake.serviceAccountJson), baseUrl: fake.url, now })
    const result = await fcm.send(message('device-token-1'))
    expect(result).toEqual({ providerMessageId: `projects/${fake.projectId}/messages/1`, status: 'sent' })
    expect(fake.grants.at(-1)).toMatchObject({ header: { alg: 'RS256', kid: 'key-1' }, claims: { aud: fake.tokenUrl, scope: 'https://www.googleapis.com/auth/firebase.messaging' } })
    const sent = fake.requests.at(-1)!
    expect(sent.headers.authorization).toMatch(/^Bearer ya29\./)
    expect(JSON.parse(sent.rawBody)).toEqual({
      message: {
        token: 'device-token-1',
        notification: { title: 'Weather alert', body: 'Mutnovsky trip moved to Friday' },
        data: { bookingId: 'bk_7', kind: 'rescheduled' },
        android: { priority: 'HIGH', ttl: '600s', collapse_key: 'bk_7' },
        apns: { headers: { 'apns-priority': '10', 'apns-expiration': String(Math.floor(clock / 1000) + 600), 'apns-collapse-id': 'bk_7' }, payload: { aps: { sound: 'default' } } },
      },
    })
  })

  it('the access token is reused until five minutes before it expires, then exchanged again', async () => {
    const fcm = fcmProvider({ serviceAccount: parseServiceAccount(fake.serviceAccountJson), baseUrl: fake.url, now })
    const grants = fake.grants.length
    await Promise.all([fcm.send(message('a')), fcm.send(message('b'))])
    await fcm.send(message('c'))
    expect(fake.grants.length).toBe(grants + 1) // one exchange for three sends, two of them concurrent
    clock += (3599 - 300 - 1) * 1000
    await fcm.send(message('d'))
    expect(fake.grants.length).toBe(grants + 1)
    clock += 2_000
    await fcm.send(message('e'))
    expect(fake.grants.length).toBe(grants + 2)
    clock = Date.now()
  })

  it('a token revoked early (401 on send) is exchanged again and the send retried once', async () => {
    const fcm = fcmProvider({ serviceAccount: parseServiceAccount(fake.serviceAccountJson), baseUrl: fake.url, now })
    await fcm.send(message('a'))
    fake.revoke()
    expect((await fcm.send(message('b'))).status).toBe('sent')
  })

  it('classifies: UNREGISTERED → gone, INVALID_ARGUMENT → rejected, 500 → outage, 429 → rate_limited', async () => {
    const fcm = fcmProvider({ serviceAccount: parseServiceAccount(fake.serviceAccountJson), baseUrl: fake.url, now })
    await fcm.send(message('warm-up')) // get a token, so injected failures hit the send
    expect((await failure(fcm.send(message('dead-token')))).kind).toBe('gone')
    const bad = message('t', { data: { count: 3 } as unknown as Record<string, string> })
    expect((await failure(fcm.send(bad))).kind).toBe('rejected')
    fake.failNext(1, 500)
    expect((await failure(fcm.send(message('t')))).kind).toBe('outage')
    fake.failNext(1, 429, { 'retry-after': '10' })
    const limited = await failure(fcm.send(message('t')))
    expect([limited.kind, limited.retryAfterSeconds]).toEqual(['rate_limited', 10])
  })

  it('a key the token endpoint cannot verify is an outage (push as a whole is down), without the key in the message', async () => {
    const { generateKeyPairSync } = await import('node:crypto')
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const account = { ...parseServiceAccount(fake.serviceAccountJson), private_key: other.replace(/\n/g, '\\n') } // escaped newlines, as in an env var
    const error = await failure(fcmProvider({ serviceAccount: account, baseUrl: fake.url, now }).send(message('t')))
    expect(error.kind).toBe('outage')
    expect(error.message).toContain('invalid_grant')
    expect(error.message).not.toContain('PRIVATE KEY')
  })

  it('parseServiceAccount names the missing field', () => {
    expect(() => parseServiceAccount('{"project_id":"p","client_email":"e"}')).toThrow('lacks private_key')
    expect(() => parseServiceAccount('nope')).toThrow('is not JSON')
  })
})
