import { describe, expect, it } from 'vitest'
import { MemoryCache } from './memory.ts'
import { ReadThroughCache } from './read-through.ts'
import type { EntryStore } from './store.ts'
import { cacheMetrics } from './metrics.ts'
import { MetricsRegistry } from '../monitoring/metrics.ts'

function manualClock(start = 1_700_000_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

/** A loader the test completes by hand, counting its calls. */
function gate<T>() {
  let calls = 0
  const pending: Array<{ resolve: (v: T) => void; reject: (e: unknown) => void }> = []
  return {
    get calls() {
      return calls
    },
    load: () => {
      calls++
      return new Promise<T>((resolve, reject) => pending.push({ resolve, reject }))
    },
    resolve: (v: T) => pending.shift()!.resolve(v),
    reject: (e: unknown) => pending.shift()!.reject(e),
  }
}

/** Collects what getOrLoad hands to waitUntil, so a test can await the background refresh instead of sleeping. */
function background() {
  const promises: Promise<unknown>[] = []
  return { waitUntil: (p: Promise<unknown>) => void promises.push(p), settle: () => Promise.all(promises.splice(0)) }
}

/**
 * Runs every queued microtask: the memory store never waits on I/O, so once the event loop reaches the check phase
 * every caller has gone as far as it can (into the loader, or waiting on another caller's load). Not a sleep.
 */
const drain = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A cache holding 'old' under 'k', one second past its 10 s TTL (inside its 60 s stale window). */
async function staleEntry() {
  const clock = manualClock()
  const cache = new MemoryCache({ now: clock.now })
  const bg = background()
  const options = { ttlSeconds: 10, staleSeconds: 60, waitUntil: bg.waitUntil }
  await cache.set('k', 'old', options)
  clock.advance(11_000)
  return { cache, bg, options, loader: gate<string>() }
}

describe('getOrLoad', () => {
  it('single flight: 10 concurrent misses run the loader once, and share one read-only value', async () => {
    const cache = new MemoryCache()
    const loader = gate<{ seats: number }>()
    const calls = Array.from({ length: 10 }, () => cache.getOrLoad('tour:1', loader.load, { ttlSeconds: 60 }))
    await drain()
    expect(loader.calls).toBe(1)
    loader.resolve({ seats: 8 })
    const values = await Promise.all(calls)
    expect(values.every((v) => v.seats === 8)).toBe(true)
    expect(() => (values[0]!.seats = 0)).toThrow(TypeError)
    expect(values[1]).toBe(values[0])
    expect(await cache.get('tour:1')).toEqual({ seats: 8 })
  })

  it('a failing load fails every waiting caller, caches nothing, and the next call loads again', async () => {
    const cache = new MemoryCache()
    const loader = gate<number>()
    const calls = [1, 2, 3].map(() => cache.getOrLoad('k', loader.load, { ttlSeconds: 60 }))
    await drain()
    loader.reject(new Error('database down'))
    for (const c of calls) await expect(c).rejects.toThrow('database down')
    const again = cache.getOrLoad('k', loader.load, { ttlSeconds: 60 })
    await drain()
    expect(loader.calls).toBe(2)
    loader.resolve(7)
    expect(await again).toBe(7)
  })

  it('serves a fresh entry without loading', async () => {
    const cache = new MemoryCache()
    await cache.set('k', 'cached', { ttlSeconds: 60 })
    expect(await cache.getOrLoad('k', async () => 'loaded', { ttlSeconds: 60 })).toBe('cached')
  })

  it('stale-while-revalidate: a stale entry is served at once and refreshed once in the background', async () => {
    const { cache, bg, options, loader } = await staleEntry()
    const served = await Promise.all([1, 2, 3, 4, 5].map(() => cache.getOrLoad('k', loader.load, options)))
    expect(served).toEqual(['old', 'old', 'old', 'old', 'old'])
    expect(loader.calls).toBe(1)
    loader.resolve('new')
    await bg.settle()
    expect(await cache.getOrLoad('k', loader.load, options)).toBe('new')
    expect(loader.calls).toBe(1)
  })

  it('a failing refresh keeps the stale value in service until its window ends, then the request loads', async () => {
    const clock = manualClock()
    const errors: Array<[unknown, string]> = []
    const cache = new MemoryCache({ now: clock.now, onRefreshError: (e, key) => errors.push([e, key]) })
    const bg = background()
    const options = { ttlSeconds: 10, staleSeconds: 30, waitUntil: bg.waitUntil }
    await cache.set('k', 'old', options)
    clock.advance(15_000)
    const failing = async (): Promise<string> => {
      throw new Error('database down')
    }
    expect(await cache.getOrLoad('k', failing, options)).toBe('old')
    await bg.settle()
    expect(errors).toHaveLength(1)
    expect(errors[0]![1]).toBe('k')
    clock.advance(10_000) // 25 s: still inside the stale window
    expect(await cache.getOrLoad('k', failing, options)).toBe('old')
    await bg.settle()
    clock.advance(15_000) // 40 s: the window has ended; the entry is gone
    await expect(cache.getOrLoad('k', failing, options)).rejects.toThrow('database down')
    expect(await cache.getOrLoad('k', async () => 'fresh', options)).toBe('fresh')
  })

  it('a delete during a load keeps that load from caching what it read before the change', async () => {
    const cache = new MemoryCache()
    const loader = gate<number>()
    const before = cache.getOrLoad('seats', loader.load, { ttlSeconds: 60 })
    await drain()
    await cache.delete('seats') // e.g. booking.confirmed arrived while the read was in flight
    loader.resolve(5)
    expect(await before).toBe(5) // its caller still gets an answer
    expect(await cache.get('seats')).toBeUndefined()
    // A reader after the delete does not join the superseded load: it loads the new value.
    expect(await cache.getOrLoad('seats', async () => 4, { ttlSeconds: 60 })).toBe(4)
  })

  it('a delete during a background refresh keeps the refresh from writing', async () => {
    const { cache, bg, options, loader } = await staleEntry()
    expect(await cache.getOrLoad('k', loader.load, options)).toBe('old')
    await cache.delete('k')
    loader.resolve('read before the change')
    await bg.settle()
    expect(await cache.get('k')).toBeUndefined()
  })

  it('a loader returning undefined is answered but not cached', async () => {
    const cache = new MemoryCache()
    let calls = 0
    const load = async () => {
      calls++
      return undefined
    }
    expect(await cache.getOrLoad('k', load, { ttlSeconds: 60 })).toBeUndefined()
    expect(await cache.getOrLoad('k', load, { ttlSeconds: 60 })).toBeUndefined()
    expect(calls).toBe(2)
  })

  it('a load hung past flightMaxAgeMs is not joined: the next miss loads on its own and its value is kept', async () => {
    const clock = manualClock()
    const cache = new MemoryCache({ now: clock.now })
    const hung = gate<string>()
    void cache.getOrLoad('k', hung.load, { ttlSeconds: 60 }).catch(() => {})
    await drain()
    clock.advance(10_000)
    expect(await cache.getOrLoad('k', async () => 'new', { ttlSeconds: 60 })).toBe('new')
    hung.resolve('old, and late') // the hung load finally lands: it must not overwrite the newer value
    await drain()
    expect(await cache.get('k')).toBe('new')
  })
})

describe('peek', () => {
  it('answers a fresh entry at once, without a promise, and counts it as a hit', async () => {
    const metrics = new MetricsRegistry()
    const cache = new MemoryCache({ metrics })
    await cache.set('k', { name: 'Avachinsky' }, { ttlSeconds: 60 })
    const value = cache.peek<{ name: string }>('k')
    expect(value).toEqual({ name: 'Avachinsky' })
    expect(Object.isFrozen(value)).toBe(true)
    expect(metrics.render()).toMatch(/cache_requests_total\{cache="memory",result="hit"\} 1\b/)
  })

  it('leaves a stale or absent entry to getOrLoad, which counts it and refreshes it', async () => {
    const { cache, bg, options, loader } = await staleEntry()
    expect(cache.peek('k')).toBeUndefined()
    expect(cache.peek('absent')).toBeUndefined()
    expect(await cache.getOrLoad('k', loader.load, options)).toBe('old')
    loader.resolve('new')
    await bg.settle()
    expect(cache.peek('k')).toBe('new')
  })

  it('never asks a store that answers over the network (its answer would wait for no one)', () => {
    let reads = 0
    const remote: EntryStore = {
      backend: 'upstash',
      read: async <T>() => (reads++, { entry: { value: 'v' as T, freshUntil: Number.MAX_SAFE_INTEGER } }),
      write: async () => {},
      delete: async () => {},
      health: async () => ({ status: 'up', backend: 'upstash' }),
    }
    const cache = new ReadThroughCache(remote, { metrics: cacheMetrics(undefined, 'upstash') })
    expect(cache.peek('k')).toBeUndefined()
    expect(reads).toBe(0)
  })
})
