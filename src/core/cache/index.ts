/**
 * The cache port. Values are JSON; every entry has a TTL. Adapters: in-memory LRU (the default, and the fallback
 * when Redis fails) and Upstash Redis over REST (shared by all processes and Workers isolates).
 *
 * `getOrLoad` is what read paths use: single flight (concurrent misses for one key run the loader once),
 * stale-while-revalidate (an entry past its fresh time but within its stale window is served at once and
 * refreshed in the background), and it never fails because the cache did — a broken cache means a load.
 *
 * Values are JSON on the way in (a value reads back the same from every adapter: a Date becomes a string) and
 * read-only on the way out: what `get`/`getOrLoad` return is deeply frozen, so a caller cannot change what the cache
 * (or a concurrent caller) holds — a write to it throws in strict code — and readers of one entry share one parse
 * instead of each re-parsing the JSON (for a cached catalogue answer that parse was most of a hit's cost).
 * `undefined` is not a cacheable value (it reads as a miss); `null` is.
 */
export interface CacheSetOptions {
  /** Seconds the value is fresh. */
  ttlSeconds: number
  /** Extra seconds a stale value may still be served while one caller refreshes it. */
  staleSeconds?: number
}

export interface GetOrLoadOptions extends CacheSetOptions {
  /**
   * Keeps the background refresh of a stale entry alive after the response is sent. On Workers pass
   * `c.executionCtx.waitUntil.bind(c.executionCtx)`; Node and Deno need nothing.
   */
  waitUntil?: (promise: Promise<unknown>) => void
}

export type CacheHealth = { status: 'up' | 'degraded'; backend: string; error?: string }

export interface Cache {
  /** The fresh value, or undefined (absent, expired, stale, or the cache is unreachable). */
  get<T>(key: string): Promise<T | undefined>
  set<T>(key: string, value: T, options: CacheSetOptions): Promise<void>
  delete(...keys: string[]): Promise<void>
  getOrLoad<T>(key: string, load: () => Promise<T>, options: GetOrLoadOptions): Promise<T>
  /**
   * The fresh value when it is at hand without waiting (held in this process), else undefined: absent, stale, or
   * behind a network round trip — then `getOrLoad` is the way. Lets a hit be answered synchronously.
   */
  peek<T>(key: string): T | undefined
  /** For readiness: 'up', or 'degraded' when the shared backend is failing and memory is serving. */
  health(): Promise<CacheHealth>
}
