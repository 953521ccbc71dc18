import { describe, expect, it } from 'vitest'
import { Redis } from '@upstash/redis'
import { cacheFromConfig } from './from-config.ts'
import { MemoryCache } from './memory.ts'
import { UpstashCache } from './upstash.ts'
import { parseConfig } from '../config/schema.ts'
import { createLogger } from '../monitoring/logger.ts'
import { MetricsRegistry } from '../monitoring/metrics.ts'

const build = (config: ReturnType<typeof parseConfig>, redis?: Redis) =>
  cacheFromConfig(config, { redis, metrics: new MetricsRegistry(), logger: createLogger({ level: 'silent' }) })

describe('cache configuration', () => {
  it('defaults: 10 000 entries, 100 ms per Upstash call, kamhub:cache: prefix, open after 5 failures for 10 s, 1 s L1', () => {
    const config = parseConfig({})
    expect(config).toMatchObject({
      CACHE_MAX_ENTRIES: 10_000,
      CACHE_TIMEOUT_MS: 100,
      CACHE_KEY_PREFIX: 'kamhub:cache:',
      CACHE_BREAKER_FAILURES: 5,
      CACHE_BREAKER_COOLDOWN_MS: 10_000,
      CACHE_L1_TTL_MS: 1_000,
    })
  })

  it('an invalid value stops start-up naming the variable', () => {
    expect(() => parseConfig({ CACHE_TIMEOUT_MS: 'fast' })).toThrow(/CACHE_TIMEOUT_MS/)
    expect(() => parseConfig({ CACHE_MAX_ENTRIES: '0' })).toThrow(/CACHE_MAX_ENTRIES/)
  })

  it('memory without Upstash, Upstash with a client (the runtime builds one when URL and token are set)', () => {
    expect(build(parseConfig({}))).toBeInstanceOf(MemoryCache)
    const config = parseConfig({ UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:9', UPSTASH_REDIS_REST_TOKEN: 't', CACHE_BREAKER_FAILURES: '2' })
    const cache = build(config, new Redis({ url: config.UPSTASH_REDIS_REST_URL!, token: config.UPSTASH_REDIS_REST_TOKEN! }))
    expect(cache).toBeInstanceOf(UpstashCache)
    expect((cache as UpstashCache).breaker.failureThreshold).toBe(2)
  })
})
