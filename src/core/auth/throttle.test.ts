import { describe, expect, it } from 'vitest'
import { clientIp, enforceRateLimit } from './throttle.ts'
import { memoryRateLimiter } from './rate-limit.ts'
import { DomainError } from '../errors.ts'

describe('client IP', () => {
  it('prefers CF-Connecting-IP, then the first X-Forwarded-For hop, else "unknown"', () => {
    expect(clientIp(new Headers({ 'CF-Connecting-IP': '203.0.113.9', 'X-Forwarded-For': '198.51.100.1' }))).toBe('203.0.113.9')
    expect(clientIp(new Headers({ 'X-Forwarded-For': ' 198.51.100.1 , 10.0.0.1' }))).toBe('198.51.100.1')
    expect(clientIp(new Headers())).toBe('unknown')
    expect(clientIp(new Headers({ 'X-Forwarded-For': ',' }))).toBe('unknown')
  })
})

describe('enforceRateLimit', () => {
  it('lets attempts through up to the limit, then throws rate_limited with a Retry-After', async () => {
    let t = 1_000_000
    const limiter = memoryRateLimiter({ limit: 2, windowSeconds: 60, now: () => t })
    await enforceRateLimit(limiter, 'k')
    await enforceRateLimit(limiter, 'k')
    const error = await enforceRateLimit(limiter, 'k').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DomainError)
    expect(error).toMatchObject({ code: 'rate_limited', extra: { retryAfterSeconds: 60 } })
    await enforceRateLimit(limiter, 'other-key')
    t += 60_001
    await enforceRateLimit(limiter, 'k')
  })
})
