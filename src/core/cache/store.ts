/**
 * What the cache adapters are assembled from: an entry store (memory, Upstash, or Upstash behind a circuit
 * breaker) holds JSON text with two deadlines, and `ReadThroughCache` (read-through.ts) turns any store into the
 * `Cache` port. Times are epoch milliseconds from one injectable clock, so tests drive expiry without sleeping.
 */
import type { CacheHealth, CacheSetOptions } from './index.ts'

export interface Entry<T = unknown> {
  value: T
  /** Until then the value is fresh; after it, stale (served while one caller refreshes) until the store drops it. */
  freshUntil: number
}

export interface Lookup<T = unknown> {
  entry?: Entry<T>
  /** The shared backend could not answer (failed, timed out, circuit open): `entry`, if any, came from memory. */
  failed?: boolean
}

export interface Lifetime {
  freshUntil: number
  /** When the store drops the entry: `freshUntil` plus the stale window. */
  expiresAt: number
}

type MaybePromise<T> = T | Promise<T>

export interface EntryStore {
  /** The `cache` label in metrics: 'memory' or 'upstash'. */
  readonly backend: string
  /** True when `read` always answers at once (never a promise): `peek` may ask it. */
  readonly synchronous?: boolean
  read<T>(key: string): MaybePromise<Lookup<T>>
  /** `json` is the value already serialised (JSON.stringify), so every store clones the same way. */
  write(key: string, json: string, lifetime: Lifetime): MaybePromise<void>
  delete(keys: string[]): MaybePromise<void>
  health(): MaybePromise<CacheHealth>
}

export type Now = () => number

/** A stored value as callers see it: parsed from its JSON and deeply frozen (see the Cache port). */
export function readOnly<T>(json: string): T {
  return deepFreeze(JSON.parse(json)) as T
}

/** `value` and everything it holds, frozen in place. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key in value) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

/** Absolute deadlines for an entry written now. Rejects TTLs that would silently cache nothing or forever. */
export function lifetimeOf({ ttlSeconds, staleSeconds = 0 }: CacheSetOptions, now: number): Lifetime {
  if (!(ttlSeconds > 0) || !Number.isFinite(ttlSeconds)) throw new RangeError(`cache ttlSeconds must be a positive number (got ${ttlSeconds})`)
  if (!(staleSeconds >= 0) || !Number.isFinite(staleSeconds)) throw new RangeError(`cache staleSeconds must be zero or more (got ${staleSeconds})`)
  const freshUntil = now + ttlSeconds * 1000
  return { freshUntil, expiresAt: freshUntil + staleSeconds * 1000 }
}
