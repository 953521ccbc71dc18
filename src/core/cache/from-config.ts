/**
 * Picks the cache adapter from config: Upstash when a Redis client is given (the runtime builds one when
 * UPSTASH_REDIS_REST_URL/TOKEN are set, from the SDK build that suits it), process memory otherwise.
 */
import type { Redis } from '@upstash/redis'
import type { Config } from '../config/schema.ts'
import type { Logger } from '../monitoring/logger.ts'
import type { MetricsRegistry } from '../monitoring/metrics.ts'
import type { Cache } from './index.ts'
import { MemoryCache } from './memory.ts'
import { UpstashCache } from './upstash.ts'

export function cacheFromConfig(config: Config, { redis, metrics, logger }: { redis?: Redis; metrics: MetricsRegistry; logger: Logger }): Cache {
  const onRefreshError = (err: unknown, key: string) => logger.warn({ err, key }, 'cache refresh failed; serving the stale value')
  if (!redis) return new MemoryCache({ maxEntries: config.CACHE_MAX_ENTRIES, metrics, onRefreshError })
  return new UpstashCache({
    redis,
    prefix: config.CACHE_KEY_PREFIX,
    timeoutMs: config.CACHE_TIMEOUT_MS,
    failureThreshold: config.CACHE_BREAKER_FAILURES,
    cooldownMs: config.CACHE_BREAKER_COOLDOWN_MS,
    maxEntries: config.CACHE_MAX_ENTRIES,
    l1TtlMs: config.CACHE_L1_TTL_MS,
    metrics,
    log: logger,
    onRefreshError,
  })
}
