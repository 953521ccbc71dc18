/**
 * The search query string (`GET /v1/tours`) as a zod schema: each parameter parsed and checked on its own so a
 * 400 names the field (`query.near`, `query.currency`, ...), then cross-field rules (a price range needs its
 * currency, distance sorting needs `near`). Dates without a time are local days in Kamchatka, the marketplace's
 * home zone; `to` is inclusive of that day.
 */
import { z } from 'zod'
import { CATEGORIES, CONTENT_LANGUAGES, DEFAULT_TIMEZONE, DIFFICULTIES, currencySchema, type Category, type ContentLanguage, type Difficulty } from './schema.ts'
import type { BoundingBox, Near } from './geo.ts'
import { parseLocalDateTime } from './zoned-time.ts'

export const SORTS = ['relevance', 'price_asc', 'price_desc', 'distance', 'soonest', 'rating'] as const
export type Sort = (typeof SORTS)[number]

export const MAX_RADIUS_KM = 500
export const DEFAULT_RADIUS_KM = 50
export const MAX_LIMIT = 50

const DAY_MS = 86_400_000

function list<T extends string>(values: readonly T[], what: string) {
  return z
    .string()
    .max(500)
    .transform((raw, ctx) => {
      const items = [...new Set(raw.split(',').map((s) => s.trim()).filter(Boolean))]
      const unknown = items.filter((i) => !values.includes(i as T))
      if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown ${what} ${unknown.map((u) => `"${u}"`).join(', ')}; one of ${values.join(', ')}` })
      return items as T[]
    })
}

function numbers(raw: string, count: number): number[] | undefined {
  const parts = raw.split(',').map((s) => s.trim())
  if (parts.length !== count || parts.some((p) => !/^-?\d+(\.\d+)?$/.test(p))) return undefined
  return parts.map(Number)
}

const nearSchema = z.string().transform((raw, ctx) => {
  const n = numbers(raw, 2)
  if (!n) {
    ctx.addIssue({ code: 'custom', message: 'near must be "latitude,longitude" in decimal degrees' })
    return z.NEVER
  }
  const [lat, lng] = n as [number, number]
  if (lat < -90 || lat > 90) ctx.addIssue({ code: 'custom', message: 'latitude must be between -90 and 90' })
  if (lng < -180 || lng > 180) ctx.addIssue({ code: 'custom', message: 'longitude must be between -180 and 180' })
  return { lat, lng }
})

const bboxSchema = z.string().transform((raw, ctx): BoundingBox => {
  const n = numbers(raw, 4)
  if (!n) {
    ctx.addIssue({ code: 'custom', message: 'bbox must be "west,south,east,north" in decimal degrees' })
    return z.NEVER
  }
  const [west, south, east, north] = n as [number, number, number, number]
  if ([west, east].some((x) => x < -180 || x > 180)) ctx.addIssue({ code: 'custom', message: 'longitudes must be between -180 and 180' })
  if ([south, north].some((y) => y < -90 || y > 90)) ctx.addIssue({ code: 'custom', message: 'latitudes must be between -90 and 90' })
  if (south > north) ctx.addIssue({ code: 'custom', message: 'south must not be greater than north' })
  return { west, south, east, north }
})

/** A date (a whole local day in Kamchatka) or an instant with an offset. */
const dayOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })])

const minor = z.coerce.number().int().min(0).max(10_000_000_000)
const minutes = z.coerce.number().int().min(0).max(43_200)

export const searchQuerySchema = z
  .object({
    q: z.string().trim().max(200).optional(),
    category: list(CATEGORIES, 'category').optional(),
    difficulty: list(DIFFICULTIES, 'difficulty').optional(),
    language: z.string().regex(/^[a-z]{2}$/, 'an ISO 639-1 code such as en').optional(),
    operator: z.uuid().optional(),
    currency: currencySchema.optional(),
    priceMin: minor.optional(),
    priceMax: minor.optional(),
    from: dayOrInstant.optional(),
    to: dayOrInstant.optional(),
    party: z.coerce.number().int().min(1).max(100).optional(),
    durationMin: minutes.optional(),
    durationMax: minutes.optional(),
    near: nearSchema.optional(),
    radiusKm: z.coerce.number().gt(0).max(MAX_RADIUS_KM, `at most ${MAX_RADIUS_KM} km`).optional(),
    bbox: bboxSchema.optional(),
    sort: z.enum(SORTS).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(20),
    cursor: z.string().max(2000).optional(),
    facets: z.enum(['true', 'false', '1', '0']).optional(),
    lang: z.enum(CONTENT_LANGUAGES).optional(),
  })
  .superRefine((q, ctx) => {
    if ((q.priceMin !== undefined || q.priceMax !== undefined) && !q.currency) {
      ctx.addIssue({ code: 'custom', path: ['currency'], message: 'a price range needs its currency (prices are compared in one currency)' })
    }
    if (q.priceMin !== undefined && q.priceMax !== undefined && q.priceMin > q.priceMax) {
      ctx.addIssue({ code: 'custom', path: ['priceMax'], message: 'priceMax must not be below priceMin' })
    }
    if (q.durationMin !== undefined && q.durationMax !== undefined && q.durationMin > q.durationMax) {
      ctx.addIssue({ code: 'custom', path: ['durationMax'], message: 'durationMax must not be below durationMin' })
    }
    if (q.radiusKm !== undefined && !q.near) ctx.addIssue({ code: 'custom', path: ['radiusKm'], message: 'radiusKm needs near' })
    if (q.sort === 'distance' && !q.near) ctx.addIssue({ code: 'custom', path: ['sort'], message: 'sort=distance needs near' })
    const from = q.from ? startOf(q.from) : undefined
    const to = q.to ? endOf(q.to) : undefined
    if (from && to && from >= to) ctx.addIssue({ code: 'custom', path: ['to'], message: 'to must be after from' })
    if (from && to && to.getTime() - from.getTime() > 400 * DAY_MS) ctx.addIssue({ code: 'custom', path: ['to'], message: 'a date range spans at most 400 days' })
  })

export type SearchQueryInput = z.input<typeof searchQuerySchema>
export type SearchQuery = z.output<typeof searchQuerySchema>

/** The search after defaults: what the repository runs and what cache keys and cursors are made from. */
export interface SearchParams {
  text?: string
  categories?: Category[]
  difficulties?: Difficulty[]
  language?: string
  operatorId?: string
  currency?: string
  priceMin?: number
  priceMax?: number
  durationMin?: number
  durationMax?: number
  /** Availability: departures starting in [from, to) with at least `party` seats left. */
  from: Date
  to: Date
  party: number
  /** True when the caller asked for availability (dates or party): tours without such a departure drop out. */
  requireAvailability: boolean
  near?: Near
  bbox?: BoundingBox
  sort: Sort
  limit: number
  facets: boolean
}

/** Search window when no dates are given: the coming year. */
export const DEFAULT_WINDOW_DAYS = 366

export function toSearchParams(q: SearchQuery, now: Date): SearchParams {
  const text = q.q?.trim() || undefined
  const from = q.from ? maxDate(startOf(q.from), now) : now
  const to = q.to ? endOf(q.to) : new Date(from.getTime() + DEFAULT_WINDOW_DAYS * DAY_MS)
  const sort: Sort = q.sort === 'relevance' && !text ? defaultSort(undefined, q.near) : (q.sort ?? defaultSort(text, q.near))
  return {
    text,
    categories: q.category?.length ? q.category : undefined,
    difficulties: q.difficulty?.length ? q.difficulty : undefined,
    language: q.language,
    operatorId: q.operator,
    currency: q.currency,
    priceMin: q.priceMin,
    priceMax: q.priceMax,
    durationMin: q.durationMin,
    durationMax: q.durationMax,
    from,
    to,
    party: q.party ?? 1,
    requireAvailability: Boolean(q.from || q.to || q.party),
    near: q.near ? { ...q.near, radiusKm: q.radiusKm ?? DEFAULT_RADIUS_KM } : undefined,
    bbox: q.bbox,
    sort,
    limit: q.limit,
    facets: q.facets === 'true' || q.facets === '1',
  }
}

function defaultSort(text: string | undefined, near: unknown): Sort {
  if (text) return 'relevance'
  if (near) return 'distance'
  return 'soonest'
}

function startOf(value: string): Date {
  return value.length === 10 ? parseLocalDateTime(`${value}T00:00`, DEFAULT_TIMEZONE) : new Date(value)
}

/** An exclusive end: the day after a date, or the instant itself. */
function endOf(value: string): Date {
  if (value.length !== 10) return new Date(value)
  const next = new Date(Date.parse(`${value}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10)
  return parseLocalDateTime(`${next}T00:00`, DEFAULT_TIMEZONE)
}

function maxDate(a: Date, b: Date): Date {
  return a > b ? a : b
}
