/**
 * What the API answers, built from rows: the management view of a tour (every language, every field), the
 * public view in one language (missing fields fall back to Russian), departures with their effective prices and
 * local start times, and search summaries. JSON-safe values only (ISO strings, numbers), so an answer caches as is.
 */
import { localise, availableLanguages } from './language.ts'
import { CATEGORY_LABELS, type Category, type ContentLanguage, type PriceOverrides, type Prices, type TourContent } from './schema.ts'
import type { DepartureRow, Inclusions, LineString, OperatorContact, OperatorRow, Requirements, TourRow } from './tables.ts'
import type { CancellationPolicy } from './schema.ts'
import type { SearchRow } from './search.ts'
import { formatInZone } from './zoned-time.ts'

export interface OperatorView {
  id: string
  userId: string
  name: string
  slug: string
  contact: OperatorContact
  createdAt: string
}

export interface OperatorRef {
  id: string
  name: string
  slug: string
}

export interface Money {
  amount: number
  currency: string
}

export type PriceList = { currency: string } & Prices

/** Fields the management view and the public view share, as they are stored. */
interface SharedTourFields {
  category: string
  difficulty: TourRow['difficulty']
  durationMinutes: number
  languages: string[]
  route: LineString | null
  photos: string[]
  inclusions: Inclusions
  requirements: Requirements
  cancellationPolicy: CancellationPolicy
  minParticipants: number
  timezone: string
  rating: number | null
  reviewCount: number
}

export interface TourView extends SharedTourFields {
  id: string
  operatorId: string
  status: TourRow['status']
  content: TourContent
  meetingPoint: { lat: number; lng: number }
  currency: string
  prices: Prices
  version: number
  publishedAt: string | null
  archivedAt: string | null
  createdAt: string
  updatedAt: string
}

export interface DepartureView {
  id: string
  tourId: string
  startsAt: string
  /** The start in the tour's time zone, with its offset (e.g. +12:00 in Kamchatka). */
  startsAtLocal: string
  capacity: number
  seatsLeft: number
  status: DepartureRow['status']
  /** The tour's prices with this departure's overrides applied. */
  price: PriceList
}

/**
 * A departure as a tour's page lists it, for its date picker: the page already says which tour it is and that these
 * are scheduled, and a departure's prices are the tour's `price` unless it overrides them — then, and only then, the
 * departure carries its own resolved `price`. Ten of these are most of a tour answer, which mobile apps fetch on every
 * tour they open; the whole departure is at GET /v1/tours/{id}/departures.
 */
export interface UpcomingDepartureView {
  id: string
  startsAt: string
  startsAtLocal: string
  capacity: number
  seatsLeft: number
  /** Present only when this departure's prices differ from the tour's. */
  price?: PriceList
}

export interface ManagedDepartureView extends DepartureView {
  priceOverrides: PriceOverrides | null
  cancelReason: string | null
  version: number
}

export interface PublicTourView extends SharedTourFields {
  id: string
  language: ContentLanguage
  availableLanguages: ContentLanguage[]
  operator: OperatorRef
  title: string
  summary: string
  description: string
  categoryLabel: string
  meetingPoint: { lat: number; lng: number; description: string }
  price: PriceList
  priceFrom: Money
  upcomingDepartures: UpcomingDepartureView[]
}

export interface TourSummaryView {
  id: string
  title: string
  summary: string
  category: string
  categoryLabel: string
  difficulty: string
  durationMinutes: number
  languages: string[]
  operator: OperatorRef
  meetingPoint: { lat: number; lng: number; description: string }
  photo: string | null
  priceFrom: Money
  rating: number | null
  reviewCount: number
  nextDeparture: { id: string; startsAt: string; startsAtLocal: string; seatsLeft: number } | null
  /** Kilometres from `near`, when given. */
  distanceKm: number | null
  /** Text relevance, when `q` was given (higher is better). */
  relevance: number | null
}

const iso = (d: Date | string | null | undefined) => (d === null || d === undefined ? null : new Date(d).toISOString())
/** json/jsonb and arrays arrive parsed on one driver and as text on the other in raw queries. */
const json = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T
const num = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v))

export function categoryLabel(category: string, lang: ContentLanguage): string {
  return CATEGORY_LABELS[category as Category]?.[lang] ?? category
}

export function operatorView(row: OperatorRow): OperatorView {
  return { id: row.id, userId: row.userId, name: row.name, slug: row.slug, contact: row.contact, createdAt: iso(row.createdAt)! }
}

export function tourView(row: TourRow): TourView {
  return {
    id: row.id,
    operatorId: row.operatorId,
    status: row.status,
    content: row.content,
    meetingPoint: { lat: row.meetingLat, lng: row.meetingLng },
    currency: row.currency,
    prices: row.prices,
    ...sharedFields(row),
    version: row.version,
    publishedAt: iso(row.publishedAt),
    archivedAt: iso(row.archivedAt),
    createdAt: iso(row.createdAt)!,
    updatedAt: iso(row.updatedAt)!,
  }
}

function sharedFields(row: TourRow): SharedTourFields {
  return {
    category: row.category,
    difficulty: row.difficulty,
    durationMinutes: row.durationMinutes,
    languages: row.languages,
    route: row.route ?? null,
    photos: row.photos,
    inclusions: row.inclusions,
    requirements: row.requirements,
    cancellationPolicy: row.cancellationPolicy,
    minParticipants: row.minParticipants,
    timezone: row.timezone,
    rating: num(row.rating),
    reviewCount: row.reviewCount,
  }
}

export function effectivePrice(tour: Pick<TourRow, 'currency' | 'prices'>, overrides: PriceOverrides | null | undefined): PriceList {
  return { currency: tour.currency, ...tour.prices, ...(overrides ?? {}) }
}

export function departureView(row: DepartureRow, tour: Pick<TourRow, 'currency' | 'prices' | 'timezone'>): DepartureView {
  return {
    id: row.id,
    tourId: row.tourId,
    startsAt: iso(row.startsAt)!,
    startsAtLocal: formatInZone(new Date(row.startsAt), tour.timezone),
    capacity: row.capacity,
    seatsLeft: row.seatsLeft,
    status: row.status,
    price: effectivePrice(tour, row.priceOverrides),
  }
}

export function upcomingDepartureView(row: DepartureRow, tour: Pick<TourRow, 'currency' | 'prices' | 'timezone'>): UpcomingDepartureView {
  const { tourId: _tour, status: _status, price, ...view } = departureView(row, tour)
  return overridesPrice(row.priceOverrides, tour.prices) ? { ...view, price } : view
}

/** Whether an override names a price the tour does not already have (an override equal to the tour's is no change). */
function overridesPrice(overrides: PriceOverrides | null | undefined, prices: Prices): boolean {
  return Object.entries(overrides ?? {}).some(([category, amount]) => amount !== undefined && prices[category as keyof Prices] !== amount)
}

export function managedDepartureView(row: DepartureRow, tour: Pick<TourRow, 'currency' | 'prices' | 'timezone'>): ManagedDepartureView {
  return { ...departureView(row, tour), priceOverrides: row.priceOverrides ?? null, cancelReason: row.cancelReason, version: row.version }
}

export function publicTourView(row: TourRow, operator: OperatorRow, upcoming: DepartureRow[], lang: ContentLanguage): PublicTourView {
  const text = localise(row.content, lang)
  return {
    id: row.id,
    language: lang,
    availableLanguages: availableLanguages(row.content),
    operator: { id: operator.id, name: operator.name, slug: operator.slug },
    title: text.title,
    summary: text.summary,
    description: text.description,
    categoryLabel: categoryLabel(row.category, lang),
    meetingPoint: { lat: row.meetingLat, lng: row.meetingLng, description: text.meetingPoint },
    price: effectivePrice(row, null),
    priceFrom: { amount: row.priceFrom, currency: row.currency },
    ...sharedFields(row),
    upcomingDepartures: upcoming.map((d) => upcomingDepartureView(d, row)),
  }
}

export function tourSummaryView(row: SearchRow, lang: ContentLanguage): TourSummaryView {
  const text = localise(json<TourContent>(row.content), lang)
  return {
    id: row.id,
    title: text.title,
    summary: text.summary,
    category: row.category,
    categoryLabel: categoryLabel(row.category, lang),
    difficulty: row.difficulty,
    durationMinutes: Number(row.duration_minutes),
    languages: pgArray(row.languages),
    operator: { id: row.operator_id, name: row.operator_name, slug: row.operator_slug },
    meetingPoint: { lat: Number(row.meeting_lat), lng: Number(row.meeting_lng), description: text.meetingPoint },
    photo: row.photo,
    priceFrom: { amount: Number(row.price_from), currency: row.currency },
    rating: num(row.rating),
    reviewCount: Number(row.review_count),
    nextDeparture: row.next_id
      ? {
          id: row.next_id,
          startsAt: iso(row.next_starts_at)!,
          startsAtLocal: formatInZone(new Date(row.next_starts_at!), row.timezone),
          seatsLeft: Number(row.next_seats_left),
        }
      : null,
    distanceKm: row.distance_m === null ? null : Math.round(Number(row.distance_m)) / 1000,
    relevance: row.rank === null ? null : Math.round(Number(row.rank) * 10_000) / 10_000,
  }
}

/** text[] arrives as an array from one driver and as a `{a,b}` literal from the other in raw queries. */
function pgArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value
  const inner = value.replace(/^\{|\}$/g, '')
  return inner ? inner.split(',').map((s) => s.replace(/^"|"$/g, '')) : []
}
