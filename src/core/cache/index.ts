/**
 * The cache port. Values are JSON; every entry has a TTL. Adapters: in-memory LRU (the default, and the fallback
 * when Redis fails) and Upstash Redis over REST (shared by all processes and Workers isolates).
 *
 * `getOrLoad` is what read paths use: single flight (concurrent misses for one key run the loader once),
 * stale-while-revalidate (an entry past its fresh time but within its stale window is served at once and
 * refreshed in the background), and it never fails because the cache did — a broken cache means a load.
 */
export interface CacheSetOptions {
  /** Seconds the value is fresh. */
  ttlSeconds: number
  /** Extra seconds a stale value may still be served while one caller refreshes it. */
  staleSeconds?: number
}

export interface Cache {
  get<T>(key: string): Promise<T | undefined>
  set<T>(key: string, value: T, options: CacheSetOptions): Promise<void>
  delete(...keys: string[]): Promise<void>
  getOrLoad<T>(key: string, load: () => Promise<T>, options: CacheSetOptions): Promise<T>
  /** For readiness: 'up', or 'degraded' when the shared backend is failing and memory is serving. */
  health(): Promise<{ status: 'up' | 'degraded'; backend: string; error?: string }>
}
