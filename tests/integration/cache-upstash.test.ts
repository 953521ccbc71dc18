/**
 * The Upstash cache adapter end to end: the real `@upstash/redis` SDK, over the REST bridge, on the machine's
 * redis-server. Every key lives under a prefix made for this run and is deleted at the end (the Redis is shared:
 * nothing is flushed). Time that matters to the cache (freshness, L1, the breaker's cool-down) comes from a clock
 * the test moves; Redis' own TTL is checked with PTTL rather than waited out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { Redis } from '@upstash/redis'
import { UpstashCache, upstashCacheClientOptions, type UpstashCacheOptions } from '../../src/core/cache/upstash.ts'
import { cacheFromConfig } from '../../src/core/cache/from-config.ts'
import { parseConfig } from '../../src/core/config/schema.ts'
import { createLogger } from '../../src/core/monitoring/logger.ts'
import { MetricsRegistry } from '../../src/core/monitoring/metrics.ts'
import { deleteKeysWithPrefix, startUpstashBridge, type UpstashBridge } from '../support/upstash-bridge.ts'

const runPrefix = `kamhub-test:${randomBytes(6).toString('hex')}:`
let bridge: UpstashBridge
let testNo = 0

beforeAll(async () => {
  bridge = await startUpstashBridge()
})
afterAll(async () => {
  await deleteKeysWithPrefix(bridge.redis, runPrefix)
  await bridge.close()
})

function manualClock() {
  let t = Date.now()
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

/**
 * Every cache's timeout here, generous on purpose: none of these tests is about the timeout, and a round trip SDK →
 * bridge → Redis (a first TCP connect included) on a loaded machine can outlast the 100 ms default — the cache would
 * then fall back to memory and a test fail (or pass) by chance.
 */
const TIMEOUT_MS = 2_000

/** The real SDK against the bridge, with the options production gives it for a cache timeout of `timeoutMs`. */
const bridgeClient = (timeoutMs: number) => new Redis({ url: bridge.url, token: bridge.token, ...upstashCacheClientOptions(timeoutMs) })

/** A client with the cache's options and the matching cache timeout, for an UpstashCache built by hand. */
const clientAndTimeout = () => ({ redis: bridgeClient(TIMEOUT_MS), timeoutMs: TIMEOUT_MS })

/** A cache on its own key prefix (tests never see each other's keys), with L1 off unless the test turns it on. */
function upstashCache(options: Partial<UpstashCacheOptions> & { timeoutMs?: number } = {}) {
  const prefix = `${runPrefix}${++testNo}:`
  const timeoutMs = options.timeoutMs ?? TIMEOUT_MS
  const redis = options.redis ?? bridgeClient(timeoutMs)
  const cache = new UpstashCache({ l1TtlMs: 0, ...options, redis, prefix, timeoutMs })
  return { cache, prefix }
}

function background() {
  const promises: Promise<unknown>[] = []
  return { waitUntil: (p: Promise<unknown>) => void promises.push(p), settle: () => Promise.all(promises.splice(0)) }
}

describe('UpstashCache through the real SDK and Redis', () => {
  it('round trip: set, get, delete, with the entry stored as {v, freshUntil} under the prefix', async () => {
    const clock = manualClock()
    const { cache, prefix } = upstashCache({ now: clock.now })
    const tour = { id: 't1', title: { ru: 'Восхождение на Авачинский', zh: '阿瓦恰火山' }, price: { amount: 1_250_000, currency: 'RUB' }, tags: ['volcano', null] }
    await cache.set('tour:t1', tour, { ttlSeconds: 60 })
    expect(await cache.get('tour:t1')).toEqual(tour)
    expect(JSON.parse((await bridge.redis.get(prefix + 'tour:t1'))!)).toEqual({ v: tour, freshUntil: clock.now() + 60_000 })
    await cache.delete('tour:t1')
    expect(await bridge.redis.exists(prefix + 'tour:t1')).toBe(0)
    expect(await cache.get('tour:t1')).toBeUndefined()
  })

  it('Redis honours the TTL: PX is the fresh time plus the stale window', async () => {
    const { cache, prefix } = upstashCache()
    await cache.set('k', 1, { ttlSeconds: 30, staleSeconds: 90 })
    const pttl = await bridge.redis.pttl(prefix + 'k')
    expect(pttl).toBeGreaterThan(110_000)
    expect(pttl).toBeLessThanOrEqual(120_000)
  })

  it('values are read-only, from Redis and from L1: changing what get returned throws and the next read is unchanged', async () => {
    const writer = upstashCache()
    await writer.cache.set('k', { seats: [1, 2] }, { ttlSeconds: 60 })
    // A second instance on the same prefix: its first read comes from Redis, its second from its L1 copy.
    const reader = new UpstashCache({ ...clientAndTimeout(), prefix: writer.prefix, l1TtlMs: 60_000 })
    const fromRedis = await reader.get<{ seats: number[] }>('k')
    expect(fromRedis).toEqual({ seats: [1, 2] }) // a miss (undefined) would throw a TypeError below too
    expect(() => fromRedis!.seats.push(3)).toThrow(TypeError)
    const fromMemory = await reader.get<{ seats: number[] }>('k')
    expect(() => fromMemory!.seats.push(3)).toThrow(TypeError)
    expect(await reader.get('k')).toEqual({ seats: [1, 2] })
    expect(await writer.cache.get('k')).toEqual({ seats: [1, 2] })
  })

  it('single flight through Upstash: 10 concurrent misses run the loader once, and Redis holds the result', async () => {
    const metrics = new MetricsRegistry()
    const { cache, prefix } = upstashCache({ metrics })
    const misses = () => metrics.counter('cache_requests_total', '').get({ cache: 'upstash', result: 'miss' })
    let calls = 0
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const load = async () => {
      calls++
      await gate
      return { seats: 8 }
    }
    const results = Array.from({ length: 10 }, () => cache.getOrLoad('departure:d1', load, { ttlSeconds: 60 }))
    // A miss is counted in the same synchronous step that joins (or starts) the load: at 10, all are waiting.
    while (misses() < 10) await new Promise((resolve) => setImmediate(resolve))
    release()
    expect(await Promise.all(results)).toEqual(Array.from({ length: 10 }, () => ({ seats: 8 })))
    expect(calls).toBe(1)
    expect(JSON.parse((await bridge.redis.get(prefix + 'departure:d1'))!).v).toEqual({ seats: 8 })
  })

  it('stale-while-revalidate: the stale value is served while one refresh writes the new one to Redis', async () => {
    const clock = manualClock()
    const { cache, prefix } = upstashCache({ now: clock.now })
    const bg = background()
    const options = { ttlSeconds: 10, staleSeconds: 60, waitUntil: bg.waitUntil }
    await cache.set('k', 'old', options)
    clock.advance(11_000)
    let calls = 0
    const load = async () => `new ${++calls}`
    expect(await Promise.all([1, 2, 3].map(() => cache.getOrLoad('k', load, options)))).toEqual(['old', 'old', 'old'])
    await bg.settle()
    expect(calls).toBe(1)
    expect(JSON.parse((await bridge.redis.get(prefix + 'k'))!).v).toBe('new 1')
    expect(await cache.getOrLoad('k', load, options)).toBe('new 1')
  })

  it('two instances share entries and deletes; with L1 on, another instance sees a delete within l1TtlMs', async () => {
    const clock = manualClock()
    const a = upstashCache({ now: clock.now, l1TtlMs: 1_000 })
    // b uses the same prefix as a: two processes of one deployment.
    const b = new UpstashCache({ ...clientAndTimeout(), prefix: a.prefix, now: clock.now, l1TtlMs: 1_000 })
    await a.cache.set('tour:t2', 'v1', { ttlSeconds: 60 })
    expect(await b.get('tour:t2')).toBe('v1')
    await a.cache.delete('tour:t2')
    expect(await a.cache.get('tour:t2')).toBeUndefined() // the deleting instance: at once
    expect(await b.get('tour:t2')).toBe('v1') // the other: its L1 copy, for at most l1TtlMs
    clock.advance(1_000)
    expect(await b.get('tour:t2')).toBeUndefined()
  })

  it('cacheFromConfig picks Upstash when the REST URL and token are set, with the configured prefix', async () => {
    // CACHE_TIMEOUT_MS as in upstashCache(): the default 100 ms would let a slow machine turn this into a fallback.
    const config = parseConfig({
      NODE_ENV: 'test',
      UPSTASH_REDIS_REST_URL: bridge.url,
      UPSTASH_REDIS_REST_TOKEN: bridge.token,
      CACHE_KEY_PREFIX: `${runPrefix}cfg:`,
      CACHE_TIMEOUT_MS: String(TIMEOUT_MS),
    })
    const redis = bridgeClient(config.CACHE_TIMEOUT_MS)
    const cache = cacheFromConfig(config, { redis, metrics: new MetricsRegistry(), logger: createLogger({ level: 'silent' }) })
    expect(cache).toBeInstanceOf(UpstashCache)
    await cache.set('k', 'v', { ttlSeconds: 5 })
    expect(await bridge.redis.exists(`${runPrefix}cfg:k`)).toBe(1)
    expect(await cache.health()).toEqual({ status: 'up', backend: 'upstash' })
  })

  it('a wrong token is a failing backend, reported without the command (keys, values) in the error', async () => {
    const { cache } = upstashCache({ redis: new Redis({ url: bridge.url, token: 'wrong', retry: { retries: 0 } }) })
    expect(await cache.getOrLoad('secret-key', async () => 'loaded', { ttlSeconds: 5 })).toBe('loaded')
    const health = await cache.health()
    expect(health.status).toBe('degraded')
    expect(health.error).toContain('Unauthorized')
    expect(health.error).not.toContain('secret-key')
  })
})
