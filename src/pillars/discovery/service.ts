/**
 * The discovery pillar: operators manage their tours and departures, everyone reads the published catalogue.
 *
 * Writes: one transaction per change — lock the tour (or departure) row, check who may change it (admins: any;
 * operators: their own; the routes keep travellers out), write, publish the event — then wake delivery.
 * Reads: public reads go through the cache (see cache.ts); managers' reads do not, so an operator always sees
 * what they just saved.
 */
import type { Deps } from '../../deps.ts'
import type { AuthUser } from '../../core/auth/principal.ts'
import { findUserById } from '../../core/auth/repo.ts'
import { jwtSecret } from '../../core/config/schema.ts'
import { DomainError } from '../../core/errors.ts'
import { uuidv7 } from '../../events/envelope.ts'
import * as repo from './repo.ts'
import { cacheKeys, invalidateTour, peekTourGeneration, readThrough, searchGeneration, tourGeneration, type Cached, type ReadOptions } from './cache.ts'
import { canonicalJson, decodeCursor, digest, encodeCursor } from './cursor.ts'
import { badTransition, departureNotFound, invalidField, noOperatorProfile, notYourTour, operatorNotFound, tourNotFound } from './errors.ts'
import { publishDepartureCancelled, publishDepartureScheduled, publishDepartureUpdated, publishTourEvent } from './events.ts'
import { geoEngineOf } from './geo.ts'
import { expandRecurrence } from './recurrence.ts'
import { CATEGORIES, type ContentLanguage, type DepartureInput, type DeparturePatch, type OperatorInput, type RecurrenceRule, type TourInput, type TourPatch } from './schema.ts'
import { searchFacets, searchTourRows } from './search.ts'
import { toSearchParams, type SearchQuery } from './search-query.ts'
import type { NewTourRow, OperatorRow, TourRow } from './tables.ts'
import { searchTextOf } from './text.ts'
import {
  categoryLabel,
  departureView,
  managedDepartureView,
  operatorView,
  publicTourView,
  tourSummaryView,
  tourView,
  type DepartureView,
  type ManagedDepartureView,
  type OperatorView,
  type PublicTourView,
  type TourSummaryView,
  type TourView,
} from './views.ts'
import { parseLocalDateTime } from './zoned-time.ts'

export type DiscoveryDeps = Pick<Deps, 'db' | 'cache' | 'clock' | 'config' | 'events'>

const DAY_MS = 86_400_000
/** Departures shown with a tour's detail. */
const UPCOMING_DEPARTURES = 10
/** Departures one rule may create: a season of several daily slots, with room to spare. */
export const MAX_GENERATED_DEPARTURES = 2000

// ---------------------------------------------------------------------------------------------------- operators

export async function createOperator(deps: DiscoveryDeps, actor: AuthUser, input: OperatorInput): Promise<OperatorView> {
  const userId = actor.role === 'admin' ? input.userId : actor.id
  if (!userId) throw invalidField('json.userId', 'admins name the operator account the profile belongs to')
  if (actor.role !== 'admin' && input.userId && input.userId !== actor.id) throw new DomainError('forbidden', 'Operators create only their own profile')
  const owner = await findUserById(deps.db.orm, userId)
  if (!owner) throw new DomainError('unprocessable', 'No such user', { errors: [{ path: 'json.userId', message: 'no such user' }] })
  if (owner.role !== 'operator') throw new DomainError('unprocessable', 'The account must have the operator role', { errors: [{ path: 'json.userId', message: 'not an operator account' }] })
  if (await repo.findOperatorByUser(deps.db.orm, userId)) throw new DomainError('conflict', 'This account already has an operator profile')
  const now = deps.clock.now()
  const row = await repo.insertOperator(deps.db.orm, { id: uuidv7(), userId, name: input.name, slug: input.slug, contact: input.contact, createdAt: now, updatedAt: now })
  return operatorView(row)
}

export async function getOperator(deps: DiscoveryDeps, id: string): Promise<OperatorView> {
  const row = await repo.findOperatorById(deps.db.orm, id)
  if (!row) throw operatorNotFound()
  return operatorView(row)
}

export async function getOwnOperator(deps: DiscoveryDeps, actor: AuthUser): Promise<OperatorView> {
  const row = await repo.findOperatorByUser(deps.db.orm, actor.id)
  if (!row) throw noOperatorProfile()
  return operatorView(row)
}

// ---------------------------------------------------------------------------------------------------- tours

export async function createTour(deps: DiscoveryDeps, actor: AuthUser, input: TourInput): Promise<TourView> {
  const operator = await operatorFor(deps, actor, input.operatorId)
  const now = deps.clock.now()
  const row: NewTourRow = {
    id: uuidv7(),
    operatorId: operator.id,
    status: 'draft',
    ...tourFields(input),
    rating: null,
    reviewCount: 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
  }
  const tour = await deps.db.orm.transaction(async (tx) => {
    const created = await repo.insertTour(tx, row)
    await publishTourEvent(tx, 'tour.created', created, actor)
    return created
  })
  await afterChange(deps, tour.id)
  return tourView(tour)
}

export async function updateTour(deps: DiscoveryDeps, actor: AuthUser, tourId: string, patch: TourPatch): Promise<TourView> {
  const tour = await deps.db.orm.transaction(async (tx) => {
    const current = await manageableTour(tx, actor, tourId, { lock: true })
    if (current.status === 'archived') throw badTransition('archived', 'edited')
    const merged = { ...inputOf(current), ...definedOnly(patch) } as TourInput
    const updated = await repo.updateTour(tx, tourId, tourFields(merged), deps.clock.now())
    await publishTourEvent(tx, 'tour.updated', updated, actor, Object.keys(definedOnly(patch)).sort())
    return updated
  })
  await afterChange(deps, tour.id)
  return tourView(tour)
}

/** draft → published. */
export async function publishTour(deps: DiscoveryDeps, actor: AuthUser, tourId: string): Promise<TourView> {
  return transition(deps, actor, tourId, 'published')
}

/** draft | published → archived: withdrawn from sale, kept for bookings and history. */
export async function archiveTour(deps: DiscoveryDeps, actor: AuthUser, tourId: string): Promise<TourView> {
  return transition(deps, actor, tourId, 'archived')
}

async function transition(deps: DiscoveryDeps, actor: AuthUser, tourId: string, to: 'published' | 'archived'): Promise<TourView> {
  const tour = await deps.db.orm.transaction(async (tx) => {
    const current = await manageableTour(tx, actor, tourId, { lock: true })
    const allowed = to === 'published' ? current.status === 'draft' : current.status !== 'archived'
    if (!allowed) throw badTransition(current.status, to)
    const now = deps.clock.now()
    const updated = await repo.updateTour(tx, tourId, to === 'published' ? { status: to, publishedAt: now } : { status: to, archivedAt: now }, now)
    await publishTourEvent(tx, to === 'published' ? 'tour.published' : 'tour.archived', updated, actor)
    return updated
  })
  await afterChange(deps, tour.id)
  return tourView(tour)
}

export async function getManagedTour(deps: DiscoveryDeps, actor: AuthUser, tourId: string): Promise<TourView> {
  return tourView(await manageableTour(deps.db.orm, actor, tourId))
}

export async function listManagedTours(
  deps: DiscoveryDeps,
  actor: AuthUser,
  { cursor, limit }: { cursor?: string; limit: number },
): Promise<{ items: TourView[]; nextCursor: string | null }> {
  const operatorId = actor.role === 'admin' ? undefined : (await ownOperator(deps, actor)).id
  const after = cursor ? parseListCursor(cursor) : undefined
  const rows = await repo.listTours(deps.db.orm, { operatorId, after, limit: limit + 1 })
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    items: page.map(tourView),
    nextCursor: rows.length > limit && last ? btoa(JSON.stringify([last.createdAt.toISOString(), last.id])).replace(/=+$/, '') : null,
  }
}

// ---------------------------------------------------------------------------------------------------- departures

export async function addDeparture(deps: DiscoveryDeps, actor: AuthUser, tourId: string, input: DepartureInput): Promise<ManagedDepartureView> {
  const { departure, tour } = await deps.db.orm.transaction(async (tx) => {
    const tour = await manageableTour(tx, actor, tourId, { lock: true })
    if (tour.status === 'archived') throw badTransition('archived', 'given departures')
    const startsAt = input.startsAt ? new Date(input.startsAt) : parseLocalDateTime(input.localStartsAt!, tour.timezone)
    if (startsAt <= deps.clock.now()) throw invalidField(input.startsAt ? 'json.startsAt' : 'json.localStartsAt', 'must be in the future')
    const [created] = await repo.insertDepartures(tx, [departureRow(tourId, startsAt, input.capacity, input.priceOverrides, deps.clock.now())])
    if (!created) throw new DomainError('conflict', 'This tour already has a departure at that time')
    await publishDepartureScheduled(tx, created, actor)
    return { departure: created, tour }
  })
  await afterChange(deps, tour.id)
  return managedDepartureView(departure, tour)
}

export interface GeneratedDepartures {
  created: ManagedDepartureView[]
  /** Occurrences the tour already had a departure for (running a rule twice is harmless). */
  skippedExisting: number
  /** Occurrences already in the past. */
  skippedPast: number
}

/** Expands a recurrence rule in the tour's time zone and schedules every occurrence it does not have yet. */
export async function generateDepartures(deps: DiscoveryDeps, actor: AuthUser, tourId: string, rule: RecurrenceRule): Promise<GeneratedDepartures> {
  const result = await deps.db.orm.transaction(async (tx) => {
    const tour = await manageableTour(tx, actor, tourId, { lock: true })
    if (tour.status === 'archived') throw badTransition('archived', 'given departures')
    const now = deps.clock.now()
    const occurrences = expandRecurrence(rule, tour.timezone)
    const future = occurrences.filter((o) => o.startsAt > now)
    if (future.length > MAX_GENERATED_DEPARTURES) {
      throw invalidField('json', `the rule makes ${future.length} departures; at most ${MAX_GENERATED_DEPARTURES} per request`)
    }
    const created = await repo.insertDepartures(tx, future.map((o) => departureRow(tourId, o.startsAt, rule.capacity, rule.priceOverrides, now)))
    for (const d of created) await publishDepartureScheduled(tx, d, actor)
    return {
      created: created.map((d) => managedDepartureView(d, tour)),
      skippedExisting: future.length - created.length,
      skippedPast: occurrences.length - future.length,
    }
  })
  await afterChange(deps, tourId)
  return result
}

export async function updateDeparture(deps: DiscoveryDeps, actor: AuthUser, departureId: string, patch: DeparturePatch): Promise<ManagedDepartureView> {
  const { departure, tour } = await deps.db.orm.transaction(async (tx) => {
    const current = await repo.findDeparture(tx, departureId, { lock: true })
    if (!current) throw departureNotFound()
    const tour = await manageableTour(tx, actor, current.tourId)
    if (current.status === 'cancelled') throw new DomainError('conflict', 'A cancelled departure cannot be changed')
    const set: Parameters<typeof repo.updateDeparture>[2] = {}
    if (patch.capacity !== undefined) {
      // Seats already held or booked stay taken: capacity moves seats_left by the same amount.
      const taken = current.capacity - current.seatsLeft
      if (patch.capacity < taken) {
        throw new DomainError('conflict', `${taken} seats are already taken; capacity cannot go below that`, {
          errors: [{ path: 'json.capacity', message: `at least ${taken}` }],
        })
      }
      set.capacity = patch.capacity
      set.seatsLeft = patch.capacity - taken
    }
    if (patch.priceOverrides !== undefined) set.priceOverrides = patch.priceOverrides
    const updated = await repo.updateDeparture(tx, departureId, set, deps.clock.now())
    await publishDepartureUpdated(tx, updated, actor, Object.keys(definedOnly(patch)).sort())
    return { departure: updated, tour }
  })
  await afterChange(deps, tour.id)
  return managedDepartureView(departure, tour)
}

/** Cancels a departure (weather, volcanic activity, too few participants). Cancelling twice changes nothing. */
export async function cancelDeparture(deps: DiscoveryDeps, actor: AuthUser, departureId: string, reason?: string): Promise<ManagedDepartureView> {
  const { departure, tour, changed } = await deps.db.orm.transaction(async (tx) => {
    const current = await repo.findDeparture(tx, departureId, { lock: true })
    if (!current) throw departureNotFound()
    const tour = await manageableTour(tx, actor, current.tourId)
    if (current.status === 'cancelled') return { departure: current, tour, changed: false }
    const updated = await repo.updateDeparture(tx, departureId, { status: 'cancelled', cancelReason: reason ?? null }, deps.clock.now())
    await publishDepartureCancelled(tx, updated, actor)
    return { departure: updated, tour, changed: true }
  })
  if (changed) await afterChange(deps, tour.id)
  return managedDepartureView(departure, tour)
}

export async function listManagedDepartures(
  deps: DiscoveryDeps,
  actor: AuthUser,
  tourId: string,
  range: { from?: string; to?: string },
): Promise<ManagedDepartureView[]> {
  const tour = await manageableTour(deps.db.orm, actor, tourId)
  const { from, to } = departureRange(deps, range)
  const rows = await repo.listDepartures(deps.db.orm, tourId, { from, to, includeCancelled: true })
  return rows.map((d) => managedDepartureView(d, tour))
}

// ---------------------------------------------------------------------------------------------------- public reads

/** A published tour in one language, with its next departures and seats left. Cached; ETag with it. */
export async function getPublicTour(deps: DiscoveryDeps, tourId: string, lang: ContentLanguage, options: ReadOptions = {}): Promise<Cached<PublicTourView>> {
  const key = cacheKeys.tourDetail(tourId, await tourGeneration(deps, tourId), lang)
  return readThrough(
    deps,
    key,
    async () => {
      const tour = await publishedTour(deps, tourId)
      const [operator, upcoming] = await Promise.all([
        repo.findOperatorById(deps.db.orm, tour.operatorId),
        repo.listDepartures(deps.db.orm, tourId, { from: deps.clock.now(), to: new Date(deps.clock.now().getTime() + 400 * DAY_MS), limit: UPCOMING_DEPARTURES }),
      ])
      return publicTourView(tour, operator!, upcoming, lang)
    },
    options,
  )
}

/**
 * `getPublicTour`'s answer when the cache holds it fresh and at hand (the in-process cache), else undefined: then
 * call `getPublicTour`. The hottest catalogue read answers without a promise this way (routes/tours.ts).
 */
export function peekPublicTour(deps: DiscoveryDeps, tourId: string, lang: ContentLanguage): Cached<PublicTourView> | undefined {
  const generation = peekTourGeneration(deps, tourId)
  return generation === undefined ? undefined : deps.cache.peek<Cached<PublicTourView>>(cacheKeys.tourDetail(tourId, generation, lang))
}

/** A published tour's open departures in [from, to) (default: the next 90 days). Cached per tour generation. */
export async function listPublicDepartures(
  deps: DiscoveryDeps,
  tourId: string,
  range: { from?: string; to?: string },
  options: ReadOptions = {},
): Promise<Cached<{ items: DepartureView[] }>> {
  const key = cacheKeys.tourDepartures(tourId, await tourGeneration(deps, tourId), `${range.from ?? ''}~${range.to ?? ''}`)
  return readThrough(
    deps,
    key,
    async () => {
      const tour = await publishedTour(deps, tourId)
      const { from, to } = departureRange(deps, range)
      const rows = await repo.listDepartures(deps.db.orm, tourId, { from, to })
      return { items: rows.map((d) => departureView(d, tour)) }
    },
    options,
  )
}

export interface SearchResult {
  language: ContentLanguage
  items: TourSummaryView[]
  nextCursor: string | null
  facets?: {
    categories: Array<{ category: string; label: string; count: number }>
    prices: Array<{ currency: string; min: number; max: number; count: number }>
  }
}

/** `GET /v1/tours`, cached under the search generation: any catalogue or booking change starts a fresh one. */
export async function searchTours(deps: DiscoveryDeps, query: SearchQuery, lang: ContentLanguage, options: ReadOptions = {}): Promise<Cached<SearchResult>> {
  const key = cacheKeys.search(await searchGeneration(deps), await searchKeyPart(canonicalJson({ ...query, lang })))
  return readThrough(deps, key, () => searchToursUncached(deps, query, lang), options)
}

/**
 * The query as it stands when it is short (almost always), hashed when long: WebCrypto's digest is a thread-pool
 * round trip on Node and was an eighth of a cached search's cost. Canonical JSON keeps equal queries one key.
 */
async function searchKeyPart(canonical: string): Promise<string> {
  return canonical.length <= 240 ? canonical : digest(canonical)
}

/** The search itself, straight from the database (benchmarks measure this and the cached path side by side). */
export async function searchToursUncached(deps: DiscoveryDeps, query: SearchQuery, lang: ContentLanguage): Promise<SearchResult> {
  const params = toSearchParams(query, deps.clock.now())
  const secret = jwtSecret(deps.config)
  const fingerprint = await searchFingerprint(query)
  const after = query.cursor ? await decodeCursor(query.cursor, secret, { sort: params.sort, fingerprint }) : undefined
  const engine = await geoEngineOf(deps.db)
  const [rows, facets] = await Promise.all([
    searchTourRows(deps.db.orm, engine, params, after && { key: after.k, id: after.id }),
    params.facets ? searchFacets(deps.db.orm, engine, params) : undefined,
  ])
  const page = rows.slice(0, params.limit)
  const last = page.at(-1)
  const nextCursor =
    rows.length > params.limit && last ? await encodeCursor({ s: params.sort, k: String(Number(last.sort_key)), id: last.id, f: fingerprint }, secret) : null
  return {
    language: lang,
    items: page.map((r) => tourSummaryView(r, lang)),
    nextCursor,
    ...(facets
      ? {
          facets: {
            categories: facets.categories
              .filter((c) => (CATEGORIES as readonly string[]).includes(c.category))
              .map((c) => ({ ...c, label: categoryLabel(c.category, lang) })),
            prices: facets.prices.map((b) => ({ currency: b.currency, min: b.lower, max: nextStep(b.lower), count: b.count })),
          },
        }
      : {}),
  }
}

/** What a cursor is bound to: the filters and the sort, not the page size, language or facets. */
function searchFingerprint(query: SearchQuery): Promise<string> {
  const { cursor: _c, limit: _l, lang: _g, facets: _f, ...identity } = query
  return digest(canonicalJson(identity))
}

/** The exclusive upper bound of a 1-2-5 price bucket. */
function nextStep(lower: number): number {
  if (lower === 0) return 1
  const magnitude = 10 ** Math.floor(Math.log10(lower) + 1e-9)
  const mantissa = Math.round(lower / magnitude)
  return mantissa === 1 ? 2 * magnitude : mantissa === 2 ? 5 * magnitude : 10 * magnitude
}

// ---------------------------------------------------------------------------------------------------- helpers

/**
 * After a change commits: wake event delivery, and drop this tour's cached reads now so the writer reads its own
 * write. The catalogue-cache subscription does the same when the event arrives — for other processes' memory
 * caches, for booking changes, and in case this best-effort step failed (a cache outage must not fail a write).
 */
async function afterChange(deps: DiscoveryDeps, tourId: string): Promise<void> {
  deps.events.afterCommit()
  await invalidateTour(deps, tourId).catch(() => undefined)
}

async function publishedTour(deps: DiscoveryDeps, tourId: string): Promise<TourRow> {
  const tour = await repo.findTour(deps.db.orm, tourId)
  if (!tour || tour.status !== 'published') throw tourNotFound()
  return tour
}

async function ownOperator(deps: DiscoveryDeps, actor: AuthUser): Promise<OperatorRow> {
  const operator = await repo.findOperatorByUser(deps.db.orm, actor.id)
  if (!operator) throw noOperatorProfile()
  return operator
}

/** The operator a new tour belongs to: the named one for admins, the caller's own profile for operators. */
async function operatorFor(deps: DiscoveryDeps, actor: AuthUser, operatorId: string | undefined): Promise<OperatorRow> {
  if (actor.role === 'admin') {
    if (!operatorId) throw invalidField('json.operatorId', 'admins name the operator the tour belongs to')
    const operator = await repo.findOperatorById(deps.db.orm, operatorId)
    if (!operator) throw new DomainError('unprocessable', 'No such operator', { errors: [{ path: 'json.operatorId', message: 'no such operator' }] })
    return operator
  }
  const own = await ownOperator(deps, actor)
  if (operatorId && operatorId !== own.id) throw notYourTour()
  return own
}

/** The tour, if the actor may manage it: admins any, operators their own (403 otherwise), 404 when absent. */
async function manageableTour(ex: DiscoveryDeps['db']['orm'], actor: AuthUser, tourId: string, { lock = false } = {}): Promise<TourRow> {
  const tour = await repo.findTour(ex, tourId, { lock })
  if (!tour) throw tourNotFound()
  if (actor.role === 'admin') return tour
  const operator = actor.role === 'operator' ? await repo.findOperatorByUser(ex, actor.id) : undefined
  if (!operator || operator.id !== tour.operatorId) throw notYourTour()
  return tour
}

/** The stored columns for a tour's editable fields, derived ones (search text, price from) included. */
function tourFields(input: TourInput): Omit<NewTourRow, 'id' | 'operatorId' | 'status' | 'version' | 'createdAt' | 'updatedAt' | 'rating' | 'reviewCount'> {
  return {
    category: input.category,
    difficulty: input.difficulty,
    durationMinutes: input.durationMinutes,
    languages: input.languages,
    content: input.content,
    meetingLat: input.meetingPoint.lat,
    meetingLng: input.meetingPoint.lng,
    route: input.route ?? null,
    photos: input.photos,
    currency: input.currency,
    prices: input.prices,
    priceFrom: input.prices.adult,
    inclusions: input.inclusions,
    requirements: input.requirements,
    cancellationPolicy: input.cancellationPolicy,
    minParticipants: input.minParticipants,
    timezone: input.timezone,
    searchText: searchTextOf(input.content),
  }
}

function inputOf(tour: TourRow): TourInput {
  return {
    content: tour.content,
    category: tour.category as TourInput['category'],
    difficulty: tour.difficulty,
    durationMinutes: tour.durationMinutes,
    languages: tour.languages,
    meetingPoint: { lat: tour.meetingLat, lng: tour.meetingLng },
    route: tour.route,
    photos: tour.photos,
    currency: tour.currency,
    prices: tour.prices,
    inclusions: tour.inclusions,
    requirements: tour.requirements,
    cancellationPolicy: tour.cancellationPolicy,
    minParticipants: tour.minParticipants,
    timezone: tour.timezone,
  }
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>
}

function departureRow(tourId: string, startsAt: Date, capacity: number, priceOverrides: DepartureInput['priceOverrides'], now: Date) {
  return {
    id: uuidv7(),
    tourId,
    startsAt,
    capacity,
    seatsLeft: capacity,
    priceOverrides: priceOverrides ?? null,
    status: 'scheduled' as const,
    version: 1,
    createdAt: now,
    updatedAt: now,
  }
}

function departureRange(deps: DiscoveryDeps, range: { from?: string; to?: string }): { from: Date; to: Date } {
  const from = range.from ? new Date(range.from) : deps.clock.now()
  const to = range.to ? new Date(range.to) : new Date(from.getTime() + 90 * DAY_MS)
  if (to <= from) throw invalidField('query.to', 'must be after from')
  if (to.getTime() - from.getTime() > 400 * DAY_MS) throw invalidField('query.to', 'a range spans at most 400 days')
  return { from, to }
}

function parseListCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(atob(cursor)) as [string, string]
    const date = new Date(createdAt)
    if (Number.isNaN(date.getTime()) || !/^[0-9a-f-]{36}$/.test(id)) throw new Error('bad')
    return { createdAt: date, id }
  } catch {
    throw invalidField('query.cursor', 'not a cursor of this list')
  }
}
