/**
 * The in-process cache: the whole cache when no Upstash is configured, and the L1/fallback inside the Upstash
 * adapter. One process (or Workers isolate) only: nothing is shared, invalidation is local.
 *
 * Guarantees: at most `maxEntries` entries, least recently used evicted first (a read counts as a use; reads of an
 * entry already among the most recent quarter leave the order as it is, so within that quarter the order is by
 * write or earlier move — an entry there is never the next to be evicted); an entry is
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
  /** The parsed, frozen value and its lifetime as readers get them, made on the first read. */
  hit?: Lookup
  /** Its place in the recency order: the store's use count when it was last written or moved to the end. */
  used: number
}

const MISS: Lookup<never> = Object.freeze({})

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
  /** Writes and moves to the end so far: the slot whose `used` equals it is the most recently used. */
  private uses = 0
  private readonly promoteAfter: number

  constructor({ maxEntries = 10_000, now = Date.now, metrics }: MemoryStoreOptions = {}) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError(`maxEntries must be a positive integer (got ${maxEntries})`)
    this.maxEntries = maxEntries
    this.promoteAfter = maxEntries >> 2
    this.now = now
    this.metrics = metrics
  }

  get size(): number {
    return this.slots.size
  }

  read<T>(key: string): Lookup<T> {
    const slot = this.slots.get(key)
    if (slot === undefined) return MISS
    if (slot.expiresAt <= this.now()) {
      this.slots.delete(key)
      return MISS
    }
    // Moved to the recent end of the order unless it is already within its most recent quarter: a hot key read on
    // every request is then moved once per quarter of maxEntries writes rather than on every read (a Map delete and
    // insert each time). Such an entry is still never the next to go: a quarter of maxEntries sit at most after it.
    if (this.uses - slot.used >= this.promoteAfter) {
      this.slots.delete(key)
      this.slots.set(key, slot)
      slot.used = ++this.uses
    }
    // One frozen lookup per slot, shared by every read of it: a hit allocates nothing.
    return (slot.hit ??= Object.freeze({ entry: Object.freeze({ value: readOnly(slot.json), freshUntil: slot.freshUntil }) })) as Lookup<T>
  }

  write(key: string, json: string, { freshUntil, expiresAt }: Lifetime): void {
    const startedAt = monotonicNow()
    this.slots.delete(key)
    if (expiresAt > this.now()) {
      this.slots.set(key, { json, freshUntil, expiresAt, used: ++this.uses })
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
