import { describe, expect, it } from 'vitest'
import { MemoryCache } from './memory.ts'
import { MetricsRegistry } from '../monitoring/metrics.ts'

/** A clock the test moves by hand: expiry is driven, never waited for. */
function manualClock(start = 1_700_000_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('MemoryCache', () => {
  it('evicts the least recently used entry past maxEntries, counting reads as uses', async () => {
    const cache = new MemoryCache({ maxEntries: 3 })
    for (const k of ['a', 'b', 'c']) await cache.set(k, k, { ttlSeconds: 60 })
    expect(await cache.get('a')).toBe('a') // a is now the most recently used; b the least
    await cache.set('d', 'd', { ttlSeconds: 60 })
    expect(cache.size).toBe(3)
    expect(await cache.get('b')).toBeUndefined()
    expect(await cache.get('a')).toBe('a')
    expect(await cache.get('c')).toBe('c')
    expect(await cache.get('d')).toBe('d')
  })

  it('moves a read entry only once it has left the most recent quarter, and never evicts it before older ones', async () => {
    const cache = new MemoryCache({ maxEntries: 8 }) // a quarter: 2 writes or moves
    const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
    for (const k of keys) await cache.set(k, k, { ttlSeconds: 60 })
    // g and h are the most recent quarter: reading them leaves the order as it is.
    expect(await cache.get('g')).toBe('g')
    expect(await cache.get('h')).toBe('h')
    // a is the oldest: reading it makes it the most recently used, so the next write evicts b, not a.
    expect(await cache.get('a')).toBe('a')
    await cache.set('i', 'i', { ttlSeconds: 60 })
    expect(await cache.get('b')).toBeUndefined()
    // Five more writes evict c to g in order; a, read later than any of them was written, is still there.
    for (const k of ['j', 'k', 'l', 'm', 'n']) await cache.set(k, k, { ttlSeconds: 60 })
    for (const k of ['c', 'd', 'e', 'f', 'g']) expect(await cache.get(k)).toBeUndefined()
    expect(await cache.get('a')).toBe('a')
    expect(cache.size).toBe(8)
  })

  it('leaves the order of the most recent quarter as written when one of them is read', async () => {
    const cache = new MemoryCache({ maxEntries: 8 })
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) await cache.set(k, k, { ttlSeconds: 60 })
    // g is among the two most recent: read, it stays before h (a move on every read would put it after h).
    expect(await cache.get('g')).toBe('g')
    for (const k of ['i', 'j', 'k', 'l', 'm', 'n', 'o']) await cache.set(k, k, { ttlSeconds: 60 })
    expect(await cache.get('g')).toBeUndefined()
    expect(await cache.get('h')).toBe('h')
  })

  it('overwriting a key does not count twice towards the bound', async () => {
    const cache = new MemoryCache({ maxEntries: 2 })
    await cache.set('a', 1, { ttlSeconds: 60 })
    await cache.set('a', 2, { ttlSeconds: 60 })
    await cache.set('b', 3, { ttlSeconds: 60 })
    expect(await cache.get('a')).toBe(2)
    expect(cache.size).toBe(2)
  })

  it('honours the TTL: fresh until it, then no longer returned by get, then dropped after the stale window', async () => {
    const clock = manualClock()
    const cache = new MemoryCache({ now: clock.now })
    await cache.set('k', { n: 1 }, { ttlSeconds: 10, staleSeconds: 5 })
    clock.advance(9_999)
    expect(await cache.get('k')).toEqual({ n: 1 })
    clock.advance(1)
    expect(await cache.get('k')).toBeUndefined() // stale: only getOrLoad serves it (while refreshing)
    expect(cache.size).toBe(1)
    clock.advance(5_000)
    expect(await cache.get('k')).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('hands out read-only values: mutating what was set does not reach the cache, changing what get returned throws', async () => {
    const cache = new MemoryCache()
    const tour = { title: 'Avachinsky', seats: [1, 2] }
    await cache.set('tour', tour, { ttlSeconds: 60 })
    tour.seats.push(3)
    const first = await cache.get<typeof tour>('tour')
    expect(() => (first!.title = 'changed')).toThrow(TypeError)
    expect(() => first!.seats.push(3)).toThrow(TypeError)
    expect(await cache.get('tour')).toEqual({ title: 'Avachinsky', seats: [1, 2] })
    // Readers share one parse of the entry: a hit costs no JSON.parse.
    expect(await cache.get('tour')).toBe(first)
  })

  it('stores JSON: null is a value, undefined is not, and a Date reads back as its ISO string', async () => {
    const cache = new MemoryCache()
    await cache.set('null', null, { ttlSeconds: 60 })
    await cache.set('undefined', undefined, { ttlSeconds: 60 })
    await cache.set('date', new Date('2026-07-01T08:00:00Z'), { ttlSeconds: 60 })
    expect(await cache.get('null')).toBeNull()
    expect(cache.size).toBe(2)
    expect(await cache.get('date')).toBe('2026-07-01T08:00:00.000Z')
  })

  it('deletes several keys at once', async () => {
    const cache = new MemoryCache()
    for (const k of ['a', 'b', 'c']) await cache.set(k, k, { ttlSeconds: 60 })
    await cache.delete('a', 'b')
    expect([await cache.get('a'), await cache.get('b'), await cache.get('c')]).toEqual([undefined, undefined, 'c'])
  })

  it('rejects a TTL that would cache nothing or forever', async () => {
    const cache = new MemoryCache()
    await expect(cache.set('k', 1, { ttlSeconds: 0 })).rejects.toThrow(RangeError)
    await expect(cache.set('k', 1, { ttlSeconds: Infinity })).rejects.toThrow(RangeError)
    await expect(cache.getOrLoad('k', async () => 1, { ttlSeconds: 10, staleSeconds: -1 })).rejects.toThrow(RangeError)
    expect(() => new MemoryCache({ maxEntries: 0 })).toThrow(RangeError)
  })

  it('is always up', async () => {
    expect(await new MemoryCache().health()).toEqual({ status: 'up', backend: 'memory' })
  })

  it('counts hits and misses and times writes (not reads) under cache="memory"', async () => {
    const metrics = new MetricsRegistry()
    const cache = new MemoryCache({ metrics })
    await cache.getOrLoad('k', async () => 1, { ttlSeconds: 60 })
    await cache.getOrLoad('k', async () => 1, { ttlSeconds: 60 })
    await cache.get('other')
    const requests = metrics.counter('cache_requests_total', '')
    expect(requests.get({ cache: 'memory', result: 'miss' })).toBe(2)
    expect(requests.get({ cache: 'memory', result: 'hit' })).toBe(1)
    const durations = metrics.histogram('cache_operation_duration_seconds', '')
    expect(durations.count({ cache: 'memory', op: 'set' })).toBe(1)
    // A memory read is a Map lookup, far below the first bucket: its count is cache_requests_total's.
    expect(durations.count({ cache: 'memory', op: 'get' })).toBe(0)
    expect(metrics.render()).toContain('cache_memory_entries{cache="memory"} 1')
  })
})
