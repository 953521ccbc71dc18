/**
 * Login and register throttling over the RateLimiter port. Register has one budget per client IP; login one per
 * (client IP, normalised email) pair, so guessing one account's password from one address is bounded without
 * letting a stranger lock a victim out from elsewhere. Over budget → 429 `rate_limited` with `Retry-After`.
 */
import { DomainError } from '../errors.ts'
import type { RateLimiter } from './rate-limit.ts'

/**
 * The caller's IP as the edge reported it. Cloudflare sets CF-Connecting-IP itself (a client cannot forge it
 * there), so it wins; otherwise the first X-Forwarded-For hop from the proxy in front of us; else 'unknown'.
 * Behind no proxy X-Forwarded-For is client-controlled: deploy behind one that overwrites it.
 */
export function clientIp(headers: Headers): string {
  const cf = headers.get('CF-Connecting-IP')?.trim()
  if (cf) return cf.slice(0, 64)
  const first = headers.get('X-Forwarded-For')?.split(',')[0]?.trim()
  return first ? first.slice(0, 64) : 'unknown'
}

export async function enforceRateLimit(limiter: RateLimiter, key: string): Promise<void> {
  const result = await limiter.limit(key)
  if (!result.success) {
    throw new DomainError('rate_limited', `Too many attempts; retry in ${result.retryAfterSeconds} s`, {
      retryAfterSeconds: result.retryAfterSeconds,
    })
  }
}

export function loginRateKey(ip: string, email: string): string {
  return `auth:login:${ip}:${email}`
}

export function registerRateKey(ip: string): string {
  return `auth:register:${ip}`
}
