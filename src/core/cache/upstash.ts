/**
 * The `Cache` port on Upstash Redis over REST (`@upstash/redis`): one cache shared by every process and Workers
 * isolate. The Redis client is passed in — Node/Deno build it from `@upstash/redis`, Workers from
 * `@upstash/redis/cloudflare` — ideally with `upstashCacheClientOptions` so a slow call is aborted, not retried.
 *
 * An entry is one Redis string `{"v": <value>, "freshUntil": <epoch ms>}` under `prefix + key`, written with
 * PX = fresh + stale lifetime, so Redis itself drops it when the stale window ends.
 *
 * The adapter is `UpstashRemote` (plain Redis I/O, throws on failure) inside `ResilientStore` (timeout, circuit
 * breaker, L1 and memory fallback) inside `ReadThroughCache` (single flight, stale-while-revalidate, metrics).
 * A failing Upstash never fails a request; `health()` reports it as degraded.
 */
import type { Redis } from '@upstash/redis'
import type { Cache } from './index.ts'
import { CircuitBreaker } from './circuit-breaker.ts'
import { MemoryStore } from './memory.ts'
import { cacheMetrics } from './metrics.ts'
import { ReadThroughCache, type ReadThroughOptions } from './read-through.ts'
import { ResilientStore, type CacheLog, type RemoteStore } from './resilient.ts'
import { deepFreeze, type Entry, type Lifetime, type Now } from './store.ts'
import type { MetricsRegistry } from '../monitoring/metrics.ts'

/** Keys per DEL: a REST body stays small even when an event invalidates many keys. */
const DELETE_BATCH = 500

export class UpstashRemote implements RemoteStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly now: Now,
  ) {}

  async read<T>(key: string): Promise<Entry<T> | undefined> {
    // The SDK parses JSON replies unless built with automaticDeserialization: false; both are handled.
    const raw = await this.redis.get<unknown>(this.prefix + key)
    const stored = typeof raw === 'string' ? safeParse(raw) : raw
    if (!isStoredEntry(stored)) return undefined // absent, or not ours: a miss, and the next write replaces it
    return { value: deepFreeze(stored.v) as T, freshUntil: stored.freshUntil }
  }

  async write(key: string, json: string, { freshUntil, expiresAt }: Lifetime): Promise<void> {
    const px = Math.max(1, Math.ceil(expiresAt - this.now()))
    // Built as text around the already-serialised value: no second JSON.stringify of a large value.
    await this.redis.set(this.prefix + key, `{"v":${json},"freshUntil":${freshUntil}}`, { px })
  }

  async delete(keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      await this.redis.del(...keys.slice(i, i + DELETE_BATCH).map((k) => this.prefix + k))
    }
  }

  async ping(): Promise<void> {
    await this.redis.ping()
  }
}

export interface UpstashCacheOptions {
  redis: Redis
  /** Prepended to every key (CACHE_KEY_PREFIX). */
  prefix?: string
  /** Longest wait for one Upstash call (CACHE_TIMEOUT_MS). */
  timeoutMs?: number
  /** Consecutive failures that open the circuit (CACHE_BREAKER_FAILURES). */
  failureThreshold?: number
  /** How long the open circuit serves from memory before probing Upstash again (CACHE_BREAKER_COOLDOWN_MS). */
  cooldownMs?: number
  /** L1 and fallback memory bound (CACHE_MAX_ENTRIES). */
  maxEntries?: number
  /** L1 lifetime of a copy of an Upstash entry (CACHE_L1_TTL_MS); 0 turns L1 off. */
  l1TtlMs?: number
  metrics?: MetricsRegistry
  log?: CacheLog
  onRefreshError?: ReadThroughOptions['onRefreshError']
  now?: Now
}

export class UpstashCache extends ReadThroughCache implements Cache {
  readonly breaker: CircuitBreaker
  private readonly resilient: ResilientStore

  constructor({
    redis,
    prefix = 'kamhub:cache:',
    timeoutMs = 100,
    failureThreshold = 5,
    cooldownMs = 10_000,
    maxEntries = 10_000,
    l1TtlMs = 1_000,
    metrics,
    log,
    onRefreshError,
    now = Date.now,
  }: UpstashCacheOptions) {
    const m = cacheMetrics(metrics, 'upstash')
    const local = new MemoryStore({ maxEntries, now })
    let store: ResilientStore | undefined
    const breaker = new CircuitBreaker({
      failureThreshold,
      cooldownMs,
      now,
      onStateChange: (to, from) => {
        m.circuit(to)
        store?.circuitChanged(to, from)
      },
    })
    store = new ResilientStore({
      backend: 'upstash',
      remote: new UpstashRemote(redis, prefix, now),
      local,
      breaker,
      timeoutMs,
      l1TtlMs,
      maxPendingDeletes: maxEntries,
      now,
      metrics: m,
      log,
    })
    super(store, { now, metrics: m, onRefreshError })
    this.breaker = breaker
    this.resilient = store
    m.circuit('closed')
    m.entries(() => local.size)
  }

  /** Keys whose delete is waiting for Upstash to answer again. */
  get pendingDeletes(): number {
    return this.resilient.pendingDeleteCount
  }
}

/**
 * Client options for a Redis used by the cache: no SDK retries (its default backs off for seconds, far past a
 * cache's budget) and each HTTP request aborted at the timeout, so a hung call does not linger behind the fallback.
 */
export function upstashCacheClientOptions(timeoutMs: number) {
  return {
    retry: { retries: 0 },
    signal: () => AbortSignal.timeout(timeoutMs),
    enableTelemetry: false,
  }
}

function isStoredEntry(x: unknown): x is { v: unknown; freshUntil: number } {
  return typeof x === 'object' && x !== null && 'v' in x && typeof (x as { freshUntil?: unknown }).freshUntil === 'number'
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
