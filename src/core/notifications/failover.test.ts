import { describe, expect, it } from 'vitest'
import { DomainError } from '../errors.ts'
import { rateLimits, sendWithFailover, tokenBucket } from './failover.ts'
import { NotificationError, type NotificationErrorKind, type PushProvider, type SmsMessage, type SmsProvider } from './provider.ts'

const sms: SmsMessage = { to: '+79141234567', body: 'hi', idempotencyKey: 'k1' }

function stub(name: 'twilio' | 'smsru', outcome: NotificationErrorKind | 'ok', retryAfter?: number): SmsProvider & { calls: number } {
  const provider = {
    channel: 'sms' as const,
    name,
    calls: 0,
    async send() {
      provider.calls++
      if (outcome === 'ok') return { providerMessageId: `${name}-1`, status: 'queued' as const }
      throw new NotificationError(outcome, name, 'stub', retryAfter)
    },
  }
  return provider
}

async function failure(promise: Promise<unknown>) {
  return promise.then(() => undefined, (e: unknown) => e as Error)
}

describe('sendWithFailover', () => {
  it('A down → B sends, and the result names B and the skipped A', async () => {
    const skippedSeen: string[] = []
    const result = await sendWithFailover([stub('smsru', 'outage'), stub('twilio', 'ok')], sms, { onFailover: (p) => skippedSeen.push(p) })
    expect(result).toEqual({ provider: 'twilio', result: { providerMessageId: 'twilio-1', status: 'queued' }, skipped: ['smsru'] })
    expect(skippedSeen).toEqual(['smsru'])
  })

  it('A rate limited → B sends', async () => {
    expect((await sendWithFailover([stub('smsru', 'rate_limited'), stub('twilio', 'ok')], sms)).provider).toBe('twilio')
  })

  it('A rejects or says gone → no failover: B is never called and the error is A’s', async () => {
    for (const kind of ['rejected', 'gone'] as const) {
      const b = stub('twilio', 'ok')
      const error = await failure(sendWithFailover([stub('smsru', kind), b], sms))
      expect(error).toBeInstanceOf(NotificationError)
      expect((error as NotificationError).kind).toBe(kind)
      expect(b.calls).toBe(0)
    }
  })

  it('all down → outage; all throttled → rate_limited with the soonest Retry-After', async () => {
    expect(((await failure(sendWithFailover([stub('smsru', 'outage'), stub('twilio', 'rate_limited', 5)], sms))) as NotificationError).kind).toBe('outage')
    const limited = (await failure(sendWithFailover([stub('smsru', 'rate_limited', 30), stub('twilio', 'rate_limited', 5)], sms))) as NotificationError
    expect([limited.kind, limited.retryAfterSeconds]).toEqual(['rate_limited', 5])
  })

  it('a push goes only to providers for its device kind; none configured is unavailable', async () => {
    const calls: string[] = []
    const push = (name: 'fcm' | 'apns', kind: 'fcm' | 'apns'): PushProvider => ({
      channel: 'push',
      name,
      deviceKinds: [kind],
      send: async () => (calls.push(name), { providerMessageId: name, status: 'sent' }),
    })
    const message = { device: { kind: 'apns' as const, token: 't', topic: 'x' }, title: 't', body: 'b', urgency: 'normal' as const, ttlSeconds: 60 }
    expect((await sendWithFailover([push('fcm', 'fcm'), push('apns', 'apns')], message)).provider).toBe('apns')
    expect(calls).toEqual(['apns'])
    const none = await failure(sendWithFailover([push('fcm', 'fcm')], message))
    expect(none).toBeInstanceOf(DomainError)
    expect((none as DomainError).code).toBe('unavailable')
  })

  it('a provider over its local rate is skipped without being called', async () => {
    let clock = 0
    const a = stub('smsru', 'ok')
    const admit = rateLimits({ smsru: { capacity: 1, perSecond: 1 } }, () => clock)
    expect((await sendWithFailover([a, stub('twilio', 'ok')], sms, { admit })).provider).toBe('smsru')
    expect((await sendWithFailover([a, stub('twilio', 'ok')], sms, { admit })).provider).toBe('twilio')
    expect(a.calls).toBe(1)
    clock += 1000
    expect((await sendWithFailover([a, stub('twilio', 'ok')], sms, { admit })).provider).toBe('smsru')
  })
})

describe('tokenBucket', () => {
  it('allows a burst of capacity, then refills at the rate and says how long to wait', () => {
    let clock = 0
    const bucket = tokenBucket({ capacity: 3, perSecond: 2, now: () => clock })
    expect([bucket.take(), bucket.take(), bucket.take()].every((r) => r.ok)).toBe(true)
    expect(bucket.take()).toEqual({ ok: false, retryAfterMs: 500 })
    clock += 500
    expect(bucket.take()).toEqual({ ok: true })
    clock += 10_000
    expect([bucket.take(), bucket.take(), bucket.take()].every((r) => r.ok)).toBe(true) // never more than capacity
    expect(bucket.take().ok).toBe(false)
  })
})
