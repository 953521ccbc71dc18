import webpush from 'web-push'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakePushService, type FakePushService } from '../../../tests/support/fake-push-service.ts'
import { NotificationError, type PushMessage, type PushProvider } from './provider.ts'
import { validateVapidKeys, webPushProvider } from './webpush.ts'

let service: FakePushService
let push: PushProvider
const vapid = webpush.generateVAPIDKeys()

async function failure(promise: Promise<unknown>): Promise<NotificationError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(NotificationError)
  return error as NotificationError
}

function message(device: PushMessage['device'], overrides: Partial<PushMessage> = {}): PushMessage {
  return { device, title: 'Bears spotted at Kurile Lake', body: 'Your tour leaves in 1 h', data: { bookingId: 'bk_1' }, urgency: 'high', ttlSeconds: 3600, ...overrides }
}

beforeAll(async () => {
  service = await startFakePushService()
  push = webPushProvider({ publicKey: vapid.publicKey, privateKey: vapid.privateKey, subject: 'mailto:ops@kamhub.example' })
})
afterAll(() => service.close())

describe('webPushProvider against a local push service that decrypts', () => {
  it('the browser decrypts exactly our payload; VAPID JWT is ES256 for the endpoint origin; TTL/Urgency/Topic are set', async () => {
    const subscription = service.subscribe()
    const result = await push.send(message({ kind: 'webpush', endpoint: subscription.endpoint, keys: subscription.keys }, { collapseKey: 'booking:bk_1:reminder' }))
    expect(result).toEqual({ providerMessageId: expect.stringContaining('/message/'), status: 'sent' })
    const [received] = service.received.filter((r) => r.subscriptionId === subscription.id)
    expect(JSON.parse(received!.plaintext)).toEqual({ title: 'Bears spotted at Kurile Lake', body: 'Your tour leaves in 1 h', data: { bookingId: 'bk_1' } })
    expect(received!.jwtClaims).toMatchObject({ aud: service.url, sub: 'mailto:ops@kamhub.example' })
    expect(received!.headers.authorization).toContain(`k=${vapid.publicKey}`)
    expect(received!.headers).toMatchObject({ ttl: '3600', urgency: 'high', 'content-encoding': 'aes128gcm' })
    expect(received!.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/)
  })

  it('an unsubscribed browser (410) and an unknown endpoint (404) are gone: the caller deletes the subscription', async () => {
    const subscription = service.subscribe()
    service.unsubscribe(subscription.id)
    expect((await failure(push.send(message({ kind: 'webpush', endpoint: subscription.endpoint, keys: subscription.keys }))) ).kind).toBe('gone')
    const other = service.subscribe()
    service.failNext(1, 404)
    expect((await failure(push.send(message({ kind: 'webpush', endpoint: other.endpoint, keys: other.keys })))).kind).toBe('gone')
  })

  it('classifies: 500 → outage, 429 → rate_limited with Retry-After, 413 → rejected, VAPID refused → rejected, bad keys → rejected', async () => {
    const subscription = service.subscribe()
    const device = { kind: 'webpush' as const, endpoint: subscription.endpoint, keys: subscription.keys }
    service.failNext(1, 500)
    expect((await failure(push.send(message(device)))).kind).toBe('outage')
    service.failNext(1, 429, { 'retry-after': '120' })
    const limited = await failure(push.send(message(device)))
    expect([limited.kind, limited.retryAfterSeconds]).toEqual(['rate_limited', 120])
    service.failNext(1, 413)
    expect((await failure(push.send(message(device)))).kind).toBe('rejected')
    const otherKeys = webpush.generateVAPIDKeys()
    // Signed with one key, presented with another: the service refuses the JWT.
    const mismatched = webPushProvider({ publicKey: otherKeys.publicKey, privateKey: vapid.privateKey, subject: 'mailto:ops@kamhub.example' })
    expect((await failure(mismatched.send(message(device)))).kind).toBe('rejected')
    expect((await failure(push.send(message({ ...device, keys: { p256dh: 'short', auth: 'x' } })))).kind).toBe('rejected')
  })

  it('an unreachable push service is an outage', async () => {
    const subscription = service.subscribe()
    expect((await failure(push.send(message({ kind: 'webpush', endpoint: 'http://127.0.0.1:1/push/x', keys: subscription.keys })))).kind).toBe('outage')
  })

  it('validateVapidKeys accepts a real pair and names the problem of a broken one', () => {
    expect(validateVapidKeys(vapid.publicKey, vapid.privateKey, 'mailto:a@b.c')).toBeUndefined()
    expect(validateVapidKeys(vapid.publicKey, 'too-short', 'mailto:a@b.c')).toEqual(expect.any(String))
  })
})
