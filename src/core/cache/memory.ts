/**
 * The in-process cache: the whole cache when no Upstash is configured, and the L1/fallback inside the Upstash
 * adapter. One process (or Workers isolate) only: nothing is shared, invalidation is local.
 *
 * Guarantees: at most `maxEntries` entries, least recently used evicted first (a read counts as a use); an entry is
 * fresh until its TTL, then stale until its stale window ends, then gone; values are stored as JSON text, parsed on
 * the first read into one deeply frozen value that every later read shares.
 */
import type { Cache, CacheHealth } from './index.ts'
import { cacheMetrics, type CacheMetrics } from './metrics.ts'
import { ReadThroughCache, type ReadThroughOptions } from './read-through.ts'
import { readOnly, type EntryStore, type Lifetime, type Lookup, type Now } from './store.ts'
import type { MetricsRegistry } from '../monitoring/metrics.ts'
import { monotonicNow } from '../monotonic.ts'

interface Slot extends Lifetime {
  json: string
  /** The parsed, frozen value, made on first read. */
  value?: unknown
}

export interface MemoryStoreOptions {
  maxEntries?: number
  now?: Now
  /** Records operation durations under this store's backend label when given. */
  metrics?: CacheMetrics
}

export class MemoryStore implements EntryStore {
  readonly backend = 'memory'
  readonly synchronous = true
  readonly maxEntries: number
  private readonly now: Now
  private readonly metrics: CacheMetrics | undefined
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used entry first.
  private readonly slots = new Map<string, Slot>()

  constructor({ maxEntries = 10_000, now = Date.now, metrics }: MemoryStoreOptions = {}) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer (got ${maxEntries})`)
    this.maxEntries = maxEntries
    this.now = now
    this.metrics = metrics
  }

  get size(): number {
    return this.slots.size
  }

  read<T>(key: string): Lookup<T> {
    const startedAt = monotonicNow()
    const slot = this.slots.get(key)
    let lookup: Lookup<T> = {}
    if (slot && slot.expiresAt <= this.now()) {
      this.slots.delete(key)
    } else if (slot) {
      this.slots.delete(key)
      this.slots.set(key, slot)
      lookup = { entry: { value: (slot.value ??= readOnly(slot.json)) as T, freshUntil: slot.freshUntil } }
    }
    this.metrics?.duration('get', startedAt)
    return lookup
  }

  write(key: string, json: string, { freshUntil, expiresAt }: Lifetime): void {
    const startedAt = monotonicNow()
    this.slots.delete(key)
    if (expiresAt > this.now()) {
      this.slots.set(key, { json, freshUntil, expiresAt })
      this.evict()
    }
    this.metrics?.duration('set', startedAt)
  }

  delete(keys: string[]): void {
    const startedAt = monotonicNow()
    for (const key of keys) this.slots.delete(key)
    this.metrics?.duration('delete', startedAt)
  }

  clear(): void {
    this.slots.clear()
  }

  health(): CacheHealth {
    return { status: 'up', backend: this.backend }
  }

  /**
   * Over capacity: drop the least recently used. Expired entries are dropped when read and count towards the bound
   * until then (or until they age out of the LRU end), which keeps a write O(1) instead of a scan of the map.
   */
  private evict() {
    for (const key of this.slots.keys()) {
      if (this.slots.size <= this.maxEntries) return
      this.slots.delete(key)
    }
  }
}

export interface MemoryCacheOptions {
  /** LRU bound (CACHE_MAX_ENTRIES). */
  maxEntries?: number
  now?: Now
  metrics?: MetricsRegistry
  onRefreshError?: ReadThroughOptions['onRefreshError']
}

/** The `Cache` port in process memory. */
export class MemoryCache extends ReadThroughCache implements Cache {
  private readonly memory: MemoryStore

  constructor({ maxEntries, now = Date.now, metrics, onRefreshError }: MemoryCacheOptions = {}) {
    const m = cacheMetrics(metrics, 'memory')
    const memory = new MemoryStore({ maxEntries, now, metrics: m })
    super(memory, { now, metrics: m, onRefreshError })
    this.memory = memory
    m.entries(() => memory.size)
  }

  /** Entries held, expired ones not yet dropped included. */
  get size(): number {
    return this.memory.size
  }
}
