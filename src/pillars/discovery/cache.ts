/**
 * Catalogue read caching and its event-driven invalidation.
 *
 * Keys are namespaced by generations kept in the cache itself:
 *   discovery:gen:tour:<tourId>          one per tour — its detail (per language) and departure lists hang under it;
 *   discovery:gen:search                 one for all searches — any tour, departure or booking change may alter them.
 * Invalidation writes a fresh generation, which makes exactly the affected entries unreachable at once (they
 * then age out). Generations rather than deletes because of the read/commit race: a reader that loaded the old
 * rows before the change committed stores them under the old generation, where no one looks any more — a plain
 * delete would be overwritten by that reader and serve stale data until the TTL. A missing generation (evicted
 * from an LRU) is re-created fresh, never reset to an old value, for the same reason.
 *
 * Every cached answer carries its ETag (a digest of the JSON), so `If-None-Match` costs no serialisation.
 */
import type { Deps } from '../../deps.ts'
import type { CodeSubscription } from '../../events/subscription.ts'
import { defineSubscription } from '../../events/subscription.ts'
import type { EventEnvelope } from '../../events/envelope.ts'
import { uuidv7 } from '../../events/envelope.ts'
import { CONTENT_LANGUAGES } from './schema.ts'
import { tourIdOfDeparture } from './repo.ts'
import { digest } from './cursor.ts'

export type CacheDeps = Pick<Deps, 'cache'>

/** Fresh seconds for catalogue reads; invalidation is by events, so this only bounds a missed event. */
export const READ_TTL_SECONDS = 300
export const READ_STALE_SECONDS = 30
/** Generations outlive every entry under them. */
const GENERATION_TTL_SECONDS = 7 * 86_400

export const cacheKeys = {
  tourGeneration: (tourId: string) => `discovery:gen:tour:${tourId}`,
  searchGeneration: () => 'discovery:gen:search',
  tourDetail: (tourId: string, generation: string, lang: string) => `discovery:tour:${tourId}:${generation}:detail:${lang}`,
  tourDepartures: (tourId: string, generation: string, rangeKey: string) => `discovery:tour:${tourId}:${generation}:departures:${rangeKey}`,
  search: (generation: string, fingerprint: string) => `discovery:search:${generation}:${fingerprint}`,
}

/**
 * A cached answer: its JSON text and ETag. Kept serialised so a cache hit is one JSON.parse of a string and the
 * bytes go out as they are — no object graph rebuilt and serialised again per request. `T` is the body's type.
 */
export interface Cached<T> {
  etag: string
  body: string
  /** Phantom: what `body` parses to. */
  readonly __type?: T
}

export interface ReadOptions {
  waitUntil?: (promise: Promise<unknown>) => void
}

async function generation(deps: CacheDeps, key: string): Promise<string> {
  return deps.cache.getOrLoad(key, async () => uuidv7(), { ttlSeconds: GENERATION_TTL_SECONDS })
}

export async function tourGeneration(deps: CacheDeps, tourId: string): Promise<string> {
  return generation(deps, cacheKeys.tourGeneration(tourId))
}

export async function searchGeneration(deps: CacheDeps): Promise<string> {
  return generation(deps, cacheKeys.searchGeneration())
}

/** A tour's current generation when the cache holds it at hand (see `Cache.peek`), else undefined. */
export function peekTourGeneration(deps: CacheDeps, tourId: string): string | undefined {
  return deps.cache.peek<string>(cacheKeys.tourGeneration(tourId))
}

/** Reads through the cache, keeping the answer's ETag with it. */
export async function readThrough<T>(deps: CacheDeps, key: string, load: () => Promise<T>, options: ReadOptions = {}): Promise<Cached<T>> {
  return deps.cache.getOrLoad<Cached<T>>(
    key,
    async () => {
      const body = JSON.stringify(await load())
      return { etag: `"${await digest(body)}"`, body }
    },
    { ttlSeconds: READ_TTL_SECONDS, staleSeconds: READ_STALE_SECONDS, waitUntil: options.waitUntil },
  )
}

/** Makes a tour's cached reads and every cached search unreachable. */
export async function invalidateTour(deps: CacheDeps, tourId: string | undefined): Promise<void> {
  const writes: Promise<unknown>[] = [deps.cache.set(cacheKeys.searchGeneration(), uuidv7(), { ttlSeconds: GENERATION_TTL_SECONDS })]
  if (tourId) {
    const old = await deps.cache.get<string>(cacheKeys.tourGeneration(tourId))
    writes.push(deps.cache.set(cacheKeys.tourGeneration(tourId), uuidv7(), { ttlSeconds: GENERATION_TTL_SECONDS }))
    // The detail keys under the old generation are known: free them now rather than when they expire.
    if (old) writes.push(deps.cache.delete(...CONTENT_LANGUAGES.map((l) => cacheKeys.tourDetail(tourId, old, l))))
  }
  await Promise.all(writes)
}

export const CATALOGUE_CACHE_SUBSCRIPTION = 'discovery.catalogue-cache'

/**
 * The code subscription that keeps catalogue caches honest: tour and departure events name their tour;
 * booking events name a departure, whose tour is looked up (a booking changes seats left). Idempotent — a
 * redelivered event only makes one more fresh generation.
 */
export function catalogueCacheSubscription(deps: Pick<Deps, 'cache' | 'db'>): CodeSubscription {
  return defineSubscription(CATALOGUE_CACHE_SUBSCRIPTION, ['tour.*', 'departure.*', 'booking.*'], async (event: EventEnvelope) => {
    await invalidateTour(deps, await affectedTour(deps, event))
  })
}

async function affectedTour(deps: Pick<Deps, 'db'>, event: EventEnvelope): Promise<string | undefined> {
  const data = (event.data ?? {}) as { tourId?: unknown; departureId?: unknown }
  if (typeof data.tourId === 'string') return data.tourId
  if (typeof data.departureId === 'string') return tourIdOfDeparture(deps.db.orm, data.departureId)
  return undefined
}
