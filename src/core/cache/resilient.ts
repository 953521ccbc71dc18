/**
 * A shared cache backend (Upstash) made safe to depend on: every call is bounded by a timeout and goes through a
 * circuit breaker, and process memory serves when the backend cannot. Nothing here throws: a failed call reports
 * `failed` (reads) or is absorbed (writes, deletes) and the request goes on.
 *
 * Memory plays two parts:
 * - L1: while the backend answers, values read or written are also kept in memory for at most `l1TtlMs`, so a hot
 *   key costs a REST round trip once per L1 TTL instead of once per request. Other instances' deletes reach this
 *   one's L1 only when the copy expires: `l1TtlMs` bounds how stale a read can be after a cross-instance
 *   invalidation (0 turns L1 off). This instance's deletes drop its own copies at once.
 * - Fallback: while the backend fails, writes land in memory with their full fresh and stale lifetime and reads
 *   are served from there (or the loader runs). At the first backend success after that, memory is cleared: values
 *   written during the outage were never seen by other instances' invalidations.
 *
 * Invalidations are not lost to an outage: a delete that cannot reach the backend is remembered (up to
 * `maxPendingDeletes` keys) and retried before the next backend call; until it lands, the backend's copy of that
 * key is not trusted.
 *
 * No request ever waits on a promise another request started (a retried delete in flight is not joined): on
 * Workers such a promise may never settle once its own request has ended.
 */
import type { CacheHealth } from './index.ts'
import { CircuitBreaker } from './circuit-breaker.ts'
import { MemoryStore } from './memory.ts'
import type { CacheMetrics, CacheOp } from './metrics.ts'
import type { Entry, EntryStore, Lifetime, Lookup, Now } from './store.ts'
import { monotonicNow } from '../monotonic.ts'

/** The backend: throws when it cannot answer. */
export interface RemoteStore {
  read<T>(key: string): Promise<Entry<T> | undefined>
  write(key: string, json: string, lifetime: Lifetime): Promise<void>
  delete(keys: string[]): Promise<void>
  ping(): Promise<void>
}

export interface CacheLog {
  warn(details: object, message: string): void
  info(details: object, message: string): void
}

export interface ResilientStoreOptions {
  backend: string
  remote: RemoteStore
  local: MemoryStore
  breaker: CircuitBreaker
  /** Longest wait for one backend call; past it the call counts as failed. */
  timeoutMs: number
  l1TtlMs: number
  maxPendingDeletes: number
  now: Now
  metrics: CacheMetrics
  log?: CacheLog
}

type Outcome<R> = { ok: true; value: R } | { ok: false }

export class ResilientStore implements EntryStore {
  readonly backend: string
  private readonly o: ResilientStoreOptions
  /** Key → the number of the delete that wants it gone: a flush that began before a newer delete keeps the key. */
  private readonly pendingDeletes = new Map<string, number>()
  /** Counts deletes: a read whose backend call overlapped one does not keep an L1 copy of what it read. */
  private deletes = 0
  /** The flush in progress, if any; stamped so that one abandoned mid-call cannot block later flushes. */
  private flushing: { since: number } | undefined
  /** Memory holds fallback writes the backend never got: cleared at the next backend success. */
  private holdsFallback = false
  private lastError = ''
  private warnedPendingOverflow = false

  constructor(options: ResilientStoreOptions) {
    this.o = options
    this.backend = options.backend
  }

  /** Called by the breaker's owner on every state change (see UpstashCache). */
  circuitChanged(to: string, from: string) {
    if (to === 'open') this.o.log?.warn({ cache: this.backend, error: this.lastError, failures: this.o.breaker.consecutiveFailures, cooldownMs: this.o.breaker.cooldownMs }, 'cache backend failing: circuit open, serving from memory')
    if (to === 'closed') this.o.log?.info({ cache: this.backend, from }, 'cache backend answering again: circuit closed')
  }

  async read<T>(key: string): Promise<Lookup<T>> {
    const local = this.o.local.read<T>(key)
    if (local.entry && this.o.now() < local.entry.freshUntil) {
      this.o.metrics.l1Hit()
      return local
    }
    await this.flushPendingDeletes()
    // The backend still holds what this instance meant to delete: its copy must not come back.
    if (this.pendingDeletes.has(key)) return { entry: local.entry, failed: true }
    const deletesBefore = this.deletes
    const outcome = await this.call('get', () => this.o.remote.read<T>(key))
    if (!outcome.ok) return { entry: local.entry, failed: true }
    const entry = outcome.value
    if (entry && this.deletes === deletesBefore) this.keepCopy(key, JSON.stringify(entry.value), entry.freshUntil)
    else this.o.local.delete([key])
    return { entry }
  }

  async write(key: string, json: string, lifetime: Lifetime): Promise<void> {
    await this.flushPendingDeletes()
    const outcome = await this.call('set', () => this.o.remote.write(key, json, lifetime))
    if (outcome.ok) {
      // The backend now holds the new value: the delete that was waiting for this key is moot.
      this.pendingDeletes.delete(key)
      this.keepCopy(key, json, lifetime.freshUntil)
    } else {
      this.o.local.write(key, json, lifetime)
      this.holdsFallback = true
    }
  }

  async delete(keys: string[]): Promise<void> {
    this.deletes++
    this.o.local.delete(keys)
    for (const key of keys) this.remember(key)
    await this.flushPendingDeletes()
  }

  async health(): Promise<CacheHealth> {
    await this.flushPendingDeletes()
    const outcome = await this.call('ping', () => this.o.remote.ping())
    if (outcome.ok) return { status: 'up', backend: this.backend }
    const why = this.o.breaker.state === 'closed' ? this.lastError : `circuit ${this.o.breaker.state.replace('_', '-')}, serving from memory; last error: ${this.lastError}`
    return { status: 'degraded', backend: this.backend, error: why }
  }

  /** Keys whose delete has not reached the backend yet. */
  get pendingDeleteCount(): number {
    return this.pendingDeletes.size
  }

  /** L1 copy of a value the backend holds: at most `l1TtlMs`, never past its own fresh time, never stale. */
  private keepCopy(key: string, json: string, freshUntil: number) {
    const until = Math.min(freshUntil, this.o.now() + this.o.l1TtlMs)
    if (this.o.l1TtlMs > 0 && until > this.o.now()) this.o.local.write(key, json, { freshUntil: until, expiresAt: until })
    else this.o.local.delete([key])
  }

  private remember(key: string) {
    if (this.pendingDeletes.size < this.o.maxPendingDeletes || this.pendingDeletes.has(key)) {
      this.pendingDeletes.set(key, this.deletes)
    } else if (!this.warnedPendingOverflow) {
      this.warnedPendingOverflow = true
      this.o.log?.warn({ cache: this.backend, max: this.o.maxPendingDeletes }, 'too many invalidations waiting for the cache backend: some keys may be served stale until their TTL')
    }
  }

  /**
   * DELs everything waiting, again while keys arrive during the call, until none are left or a call fails or is
   * refused (the keys stay). While one caller flushes, others go on without waiting: keys still pending are not
   * trusted from the backend, so they read as this instance's memory or a load.
   */
  private async flushPendingDeletes(): Promise<void> {
    // A flush older than two timeouts was abandoned (its request was cancelled on Workers): start another.
    if (this.flushing && this.o.now() - this.flushing.since < 2 * this.o.timeoutMs) return
    const flush = { since: this.o.now() }
    this.flushing = flush
    try {
      while (this.pendingDeletes.size > 0) {
        const batch = [...this.pendingDeletes]
        const outcome = await this.call('delete', () => this.o.remote.delete(batch.map(([key]) => key)))
        if (!outcome.ok) return
        for (const [key, number] of batch) {
          if (this.pendingDeletes.get(key) === number) this.pendingDeletes.delete(key)
        }
        this.warnedPendingOverflow = false
      }
    } finally {
      if (this.flushing === flush) this.flushing = undefined
    }
  }

  private async call<R>(op: CacheOp, fn: () => Promise<R>): Promise<Outcome<R>> {
    if (!this.o.breaker.tryAcquire()) return { ok: false }
    const startedAt = monotonicNow()
    try {
      const value = await withTimeout(fn(), this.o.timeoutMs)
      this.o.breaker.success()
      if (this.holdsFallback) {
        this.holdsFallback = false
        this.o.local.clear()
      }
      return { ok: true, value }
    } catch (error) {
      this.lastError = describe(error)
      this.o.metrics.backendError(op)
      this.o.breaker.failure()
      return { ok: false }
    } finally {
      this.o.metrics.duration(op, startedAt)
    }
  }
}

function withTimeout<R>(promise: Promise<R>, ms: number): Promise<R> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  // The losing promise may still reject later: handled here so it is not an unhandled rejection.
  promise.catch(() => {})
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** The message without the command the Upstash SDK appends to it (keys and values have no place in logs). */
function describe(error: unknown): string {
  const message = String((error as Error)?.message ?? error)
  return message.replace(/,? ?command was: [\s\S]*$/, '').slice(0, 200)
}
