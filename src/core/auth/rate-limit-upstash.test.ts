import { describe, expect, it } from 'vitest'
import { Redis } from '@upstash/redis'
import { rateLimiterOver, upstashRateLimiter, type RatelimitLike } from './rate-limit-upstash.ts'

// No Upstash server runs locally: these tests pin the mapping from @upstash/ratelimit's answer to the port's.
const answer = (r: Partial<Awaited<ReturnType<RatelimitLike['limit']>>>): RatelimitLike => ({
  limit: async () => ({ success: true, limit: 5, remaining: 4, reset: 0, pending: Promise.resolve(), ...r }),
})

describe('Upstash rate limiter', () => {
  it('maps an allowed attempt through', async () => {
    const limiter = rateLimiterOver(answer({ success: true, remaining: 3 }), { limit: 5 })
    expect(await limiter.limit('k')).toEqual({ success: true, limit: 5, remaining: 3, retryAfterSeconds: 0 })
  })

  it('turns the reset time of a refused attempt into whole seconds to wait (at least 1)', async () => {
    const now = () => 10_000
    expect(await rateLimiterOver(answer({ success: false, remaining: 0, reset: 12_300 }), { limit: 5, now }).limit('k')).toMatchObject({ success: false, retryAfterSeconds: 3 })
    expect(await rateLimiterOver(answer({ success: false, remaining: 0, reset: 9_000 }), { limit: 5, now }).limit('k')).toMatchObject({ success: false, retryAfterSeconds: 1 })
  })

  it('fails open and reports the error when Redis cannot be reached', async () => {
    const errors: unknown[] = []
    const limiter = upstashRateLimiter({
      // Port 9 (discard) on localhost: the connection is refused at once.
      redis: new Redis({ url: 'http://127.0.0.1:9', token: 'test', retry: false }),
      limit: 5,
      windowSeconds: 60,
      onError: (e) => errors.push(e),
    })
    expect(await limiter.limit('k')).toEqual({ success: true, limit: 5, remaining: 5, retryAfterSeconds: 0 })
    expect(errors).toHaveLength(1)
  })
})
