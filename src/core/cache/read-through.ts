/**
 * Turns an entry store into the `Cache` port, with the read-path guarantees every adapter shares:
 *
 * - single flight: concurrent misses for one key (in this process or isolate) run the loader once and share its
 *   result, one frozen parse of its JSON;
 * - stale-while-revalidate: a stale entry is returned at once and one background refresh replaces it; while a
 *   refresh fails the stale value keeps being served, and once the stale window ends the entry is gone and the
 *   next read loads in the request;
 * - invalidation wins over a racing load: `delete` or `set` during a load or refresh stops that load from writing
 *   the value it read before the change (its callers still get it), and later readers start a new load;
 * - the cache never fails a read: a store that throws counts as a miss (`error` in metrics) and the loader runs.
 *   Loader errors do reach the caller when there is no stale value to serve.
 *
 * Misses never wait on a background refresh, only on another miss's load: on Workers a promise begun by a request
 * that has already answered may never settle for another request, and a refresh belongs to such a request.
 * A load or refresh older than `flightMaxAgeMs` is presumed hung (a stuck query, a cancelled request) and is no
 * longer joined: the next miss starts its own, so one hung loader cannot hold a key hostage.
 */
import type { Cache, CacheHealth, CacheSetOptions, GetOrLoadOptions } from './index.ts'
import { cacheMetrics, type CacheMetrics } from './metrics.ts'
import { lifetimeOf, readOnly, type EntryStore, type Lookup, type Now } from './store.ts'

export interface ReadThroughOptions {
  now?: Now
  metrics?: CacheMetrics
  /** A background refresh failed (the stale value stays in service). The key, never the value, is passed. */
  onRefreshError?: (error: unknown, key: string) => void
  /** Age past which an unfinished load is not joined any more (default 10 s). */
  flightMaxAgeMs?: number
}

const FAILED: Lookup<never> = Object.freeze({ failed: true })

interface Flight {
  /** The loaded value as JSON (undefined when the loader returned undefined). */
  promise: Promise<string | undefined>
  /** Its read-only parse, made once for all the flight's callers. */
  value?: unknown
  /** Set by an invalidation (or a newer load) while in flight: the result must not be written. */
  superseded: boolean
  startedAt: number
}

export class ReadThroughCache implements Cache {
  private readonly now: Now
  private readonly metrics: CacheMetrics
  private readonly onRefreshError: ReadThroughOptions['onRefreshError']
  private readonly flightMaxAgeMs: number
  private readonly loads = new Map<string, Flight>()
  private readonly refreshes = new Map<string, Flight>()

  constructor(
    private readonly store: EntryStore,
    { now = Date.now, metrics = cacheMetrics(undefined, store.backend), onRefreshError, flightMaxAgeMs = 10_000 }: ReadThroughOptions = {},
  ) {
    this.now = now
    this.flightMaxAgeMs = flightMaxAgeMs
    this.metrics = metrics
    this.onRefreshError = onRefreshError
  }

  async get<T>(key: string): Promise<T | undefined> {
    const lookup = this.read<T>(key)
    const { entry, failed } = lookup instanceof Promise ? await lookup : lookup
    const fresh = entry !== undefined && this.now() < entry.freshUntil
    this.metrics.result(fresh ? 'hit' : failed ? 'error' : 'miss')
    return fresh ? entry.value : undefined
  }

  async set<T>(key: string, value: T, options: CacheSetOptions): Promise<void> {
    const lifetime = lifetimeOf(options, this.now())
    const json = JSON.stringify(value)
    this.supersede(key)
    // undefined (or a function) has no JSON form: nothing to cache, and the old value must not outlive the set.
    if (json === undefined) return this.quietly(() => this.store.delete([key]))
    await this.quietly(() => this.store.write(key, json, lifetime))
  }

  async delete(...keys: string[]): Promise<void> {
    if (keys.length === 0) return
    for (const key of keys) this.supersede(key)
    await this.quietly(() => this.store.delete(keys))
  }

  async getOrLoad<T>(key: string, load: () => Promise<T>, options: GetOrLoadOptions): Promise<T> {
    lifetimeOf(options, 0) // a bad TTL is a bug: fail before any work rather than after the load
    const lookup = this.read<T>(key)
    const { entry, failed } = lookup instanceof Promise ? await lookup : lookup
    if (entry && this.now() < entry.freshUntil) {
      this.metrics.result('hit')
      return entry.value
    }
    if (entry) {
      this.metrics.result(failed ? 'error' : 'stale')
      this.refresh(key, load, options)
      return entry.value
    }
    this.metrics.result(failed ? 'error' : 'miss')
    const flight = this.current(this.loads, key) ?? this.fly(key, load, options, this.loads)
    const json = await flight.promise
    return (json === undefined ? undefined : (flight.value ??= readOnly(json))) as T
  }

  /**
   * A fresh hit from a store that answers at once (memory), counted as a hit; anything else is undefined and left
   * to `getOrLoad`, which counts it (stale, miss) and does the work. A remote store is never asked here: that would
   * be a round trip whose answer nobody waits for.
   */
  peek<T>(key: string): T | undefined {
    if (!this.store.synchronous) return undefined
    const lookup = this.read<T>(key)
    const entry = lookup instanceof Promise ? undefined : lookup.entry
    if (entry === undefined || this.now() >= entry.freshUntil) return undefined
    this.metrics.result('hit')
    return entry.value
  }

  async health(): Promise<CacheHealth> {
    try {
      return await this.store.health()
    } catch (error) {
      return { status: 'degraded', backend: this.store.backend, error: String((error as Error)?.message ?? error) }
    }
  }

  /**
   * The store's answer; a store that fails counts as a miss. A synchronous store (memory) is answered without a
   * promise: a cache hit is the whole of a catalogue read, and an extra promise and async frame per lookup were a
   * twentieth of what a hit allocates.
   */
  private read<T>(key: string): Lookup<T> | Promise<Lookup<T>> {
    try {
      const lookup = this.store.read<T>(key)
      return lookup instanceof Promise ? lookup.catch(() => FAILED) : lookup
    } catch {
      return FAILED
    }
  }

  /** One refresh per key at a time, and none while a load for the key is already producing a newer value. */
  private refresh<T>(key: string, load: () => Promise<T>, options: GetOrLoadOptions) {
    if (this.current(this.loads, key) || this.current(this.refreshes, key)) return
    const flight = this.fly(key, load, options, this.refreshes)
    const settled = flight.promise.then(
      () => undefined,
      (error: unknown) => this.onRefreshError?.(error, key),
    )
    options.waitUntil?.(settled)
  }

  private fly<T>(key: string, load: () => Promise<T>, options: CacheSetOptions, flights: Map<string, Flight>): Flight {
    const flight: Flight = { promise: Promise.resolve(undefined), superseded: false, startedAt: this.now() }
    flight.promise = (async () => {
      const json = JSON.stringify(await load())
      // The TTL counts from when the value was produced, not from when the load began.
      if (json !== undefined && !flight.superseded) await this.quietly(() => this.store.write(key, json, lifetimeOf(options, this.now())))
      return json
    })()
    flights.set(key, flight)
    const landed = () => {
      if (flights.get(key) === flight) flights.delete(key)
    }
    flight.promise.then(landed, landed)
    return flight
  }

  /** The flight for `key` if it is young enough to join; an older one is superseded and forgotten. */
  private current(flights: Map<string, Flight>, key: string): Flight | undefined {
    const flight = flights.get(key)
    if (!flight || this.now() - flight.startedAt < this.flightMaxAgeMs) return flight
    flight.superseded = true
    flights.delete(key)
    return undefined
  }

  private supersede(key: string) {
    for (const flights of [this.loads, this.refreshes]) {
      const flight = flights.get(key)
      if (!flight) continue
      flight.superseded = true
      flights.delete(key)
    }
  }

  /** Store failures are the store's to report (metrics, breaker); the caller's request goes on. */
  private async quietly(op: () => unknown): Promise<void> {
    try {
      await op()
    } catch {
      // deliberately ignored: see above
    }
  }
}
