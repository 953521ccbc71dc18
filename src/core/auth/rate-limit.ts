/**
 * The rate-limit port: a fixed number of attempts per key per window. The memory adapter serves one process;
 * with Upstash configured, `@upstash/ratelimit` shares the budget across processes and Workers isolates.
 */
export interface RateLimitResult {
  success: boolean
  limit: number
  remaining: number
  /** Seconds until the next attempt may succeed (for `Retry-After`). */
  retryAfterSeconds: number
}

export interface RateLimiter {
  limit(key: string): Promise<RateLimitResult>
}

export interface MemoryRateLimiterOptions {
  limit: number
  windowSeconds: number
  now?: () => number
  /** Upper bound on tracked keys, so a flood of distinct keys cannot grow memory without bound. */
  maxKeys?: number
}

/** A sliding-window log per key, kept in memory. */
export function memoryRateLimiter({ limit, windowSeconds, now = Date.now, maxKeys = 50_000 }: MemoryRateLimiterOptions): RateLimiter {
  const hits = new Map<string, number[]>()
  const windowMs = windowSeconds * 1000
  return {
    async limit(key) {
      const t = now()
      const recent = (hits.get(key) ?? []).filter((at) => at > t - windowMs)
      if (recent.length >= limit) {
        hits.set(key, recent)
        const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]! + windowMs - t) / 1000))
        return { success: false, limit, remaining: 0, retryAfterSeconds }
      }
      recent.push(t)
      hits.delete(key) // re-insert so Map order is least-recently-used first
      hits.set(key, recent)
      if (hits.size > maxKeys) hits.delete(hits.keys().next().value!)
      return { success: true, limit, remaining: limit - recent.length, retryAfterSeconds: 0 }
    },
  }
}
