/**
 * The RateLimiter port on Upstash Redis (`@upstash/ratelimit`, sliding window), so every process and Workers
 * isolate shares one budget per key. The Redis client is passed in: Node/Deno build it from `@upstash/redis`,
 * Workers from `@upstash/redis/cloudflare`.
 *
 * Fails open: when Redis is unreachable or slow (past `timeoutMs`) the attempt is allowed and `onError` hears
 * about it — an outage of the limiter must not lock every user out of login.
 */
import { Ratelimit } from '@upstash/ratelimit'
import type { Redis } from '@upstash/redis'
import type { RateLimiter, RateLimitResult } from './rate-limit.ts'

export interface UpstashRateLimiterOptions {
  redis: Redis
  limit: number
  windowSeconds: number
  prefix?: string
  timeoutMs?: number
  onError?: (error: unknown) => void
  now?: () => number
}

/** The part of `Ratelimit` this adapter uses (a seam for unit tests). */
export interface RatelimitLike {
  limit(identifier: string): Promise<{ success: boolean; limit: number; remaining: number; reset: number; pending: Promise<unknown> }>
}

export function upstashRateLimiter({ redis, limit, windowSeconds, prefix = 'kamhub:ratelimit', timeoutMs = 1000, onError, now }: UpstashRateLimiterOptions): RateLimiter {
  const ratelimit = new Ratelimit({
    redis,
    limiter: Ratelimit.slidingWindow(limit, `${windowSeconds} s`),
    prefix,
    timeout: timeoutMs,
    analytics: false,
  })
  return rateLimiterOver(ratelimit, { limit, onError, now })
}

export function rateLimiterOver(
  ratelimit: RatelimitLike,
  { limit, onError, now = Date.now }: { limit: number; onError?: (error: unknown) => void; now?: () => number },
): RateLimiter {
  return {
    async limit(key): Promise<RateLimitResult> {
      try {
        const r = await ratelimit.limit(key)
        await r.pending // resolved already without analytics or multi-region; awaited so nothing dangles
        const retryAfterSeconds = r.success ? 0 : Math.max(1, Math.ceil((r.reset - now()) / 1000))
        return { success: r.success, limit: r.limit, remaining: r.remaining, retryAfterSeconds }
      } catch (error) {
        onError?.(error)
        return { success: true, limit, remaining: limit, retryAfterSeconds: 0 }
      }
    },
  }
}
