/**
 * OpenAPI contracts of the catalogue: request schemas come from the discovery pillar (validated once, at the
 * edge), response schemas describe its views. Shared by the public catalogue routes and the management routes.
 */
import { z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import type { AppEnv } from '../core/http/request-scope.ts'
import {
  CATEGORIES,
  CONTENT_LANGUAGES,
  DIFFICULTIES,
  TOUR_STATUSES,
  cancellationPolicySchema,
  contentSchema,
  departureInputSchema,
  departurePatchSchema,
  inclusionsSchema,
  lineStringSchema,
  operatorInputSchema,
  priceOverridesSchema,
  pricesSchema,
  recurrenceRuleSchema,
  requirementsSchema,
  tourInputSchema,
  tourPatchSchema,
} from '../pillars/discovery/schema.ts'
import { searchQuerySchema } from '../pillars/discovery/search-query.ts'
import { pickLanguage } from '../pillars/discovery/language.ts'
import type { ContentLanguage } from '../pillars/discovery/schema.ts'

export const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true })
export const jsonResponse = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } })

export const idParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' }, example: '0190f5a2-7c1e-7b3a-9f00-2b1c3d4e5f60' }) })

// Pillar schemas may be built before @hono/zod-openapi extends zod (the runtime imports the seed first), so they
// are named with zod's own `.meta({ id })`, which the OpenAPI generator reads the same way as `.openapi(name)`.
export const tourInputBody = tourInputSchema.meta({ id: 'TourInput' })
export const tourPatchBody = tourPatchSchema.meta({ id: 'TourPatch' })
export const operatorInputBody = operatorInputSchema.meta({ id: 'OperatorInput' })
export const departureInputBody = departureInputSchema.meta({ id: 'DepartureInput' })
export const departurePatchBody = departurePatchSchema.meta({ id: 'DeparturePatch' })
export const recurrenceRuleBody = recurrenceRuleSchema.meta({
  id: 'RecurrenceRule',
  description: 'e.g. {"from":"2026-06-01","until":"2026-09-30","times":["08:00"],"except":["2026-07-12"],"capacity":12}',
})
export const cancelBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).openapi('CancelDeparture')
export const searchQuery = searchQuerySchema

export const money = z.object({ amount: z.number().int(), currency: z.string() }).openapi('Money')
const priceList = pricesSchema.extend({ currency: z.string() }).meta({ id: 'PriceList' })
const operatorRef = z.object({ id: z.uuid(), name: z.string(), slug: z.string() })
const nullableRoute = lineStringSchema.nullable()

export const operatorSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    name: z.string(),
    slug: z.string(),
    contact: z.object({ email: z.string().optional(), phone: z.string().optional(), website: z.string().optional() }),
    createdAt: z.iso.datetime(),
  })
  .openapi('Operator')

/** Fields the management view and the public view share, as they are stored. */
const sharedTourFields = {
  category: z.string(),
  difficulty: z.enum(DIFFICULTIES),
  durationMinutes: z.number().int(),
  languages: z.array(z.string()),
  route: nullableRoute,
  photos: z.array(z.string()),
  inclusions: inclusionsSchema,
  requirements: requirementsSchema,
  cancellationPolicy: cancellationPolicySchema,
  minParticipants: z.number().int(),
  timezone: z.string(),
  rating: z.number().nullable(),
  reviewCount: z.number().int(),
}

export const tourSchema = z
  .object({
    id: z.uuid(),
    operatorId: z.uuid(),
    status: z.enum(TOUR_STATUSES),
    content: contentSchema,
    meetingPoint: z.object({ lat: z.number(), lng: z.number() }),
    currency: z.string(),
    prices: pricesSchema,
    ...sharedTourFields,
    version: z.number().int(),
    publishedAt: z.iso.datetime().nullable(),
    archivedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Tour', { description: 'The management view: every language, every field, any status' })

export const departureSchema = z
  .object({
    id: z.uuid(),
    tourId: z.uuid(),
    startsAt: z.iso.datetime(),
    startsAtLocal: z.string().openapi({ example: '2026-07-01T08:00:00+12:00', description: "In the tour's time zone" }),
    capacity: z.number().int(),
    seatsLeft: z.number().int(),
    status: z.enum(['scheduled', 'cancelled']),
    price: priceList,
  })
  .openapi('Departure')

export const upcomingDepartureSchema = z
  .object({
    id: z.uuid(),
    startsAt: z.iso.datetime(),
    startsAtLocal: z.string().openapi({ example: '2026-07-01T08:00:00+12:00', description: "In the tour's time zone" }),
    capacity: z.number().int(),
    seatsLeft: z.number().int(),
    price: priceList.optional().openapi({ description: "Only when this departure's prices differ from the tour's `price`" }),
  })
  .openapi('UpcomingDeparture', {
    description: "A scheduled departure as the tour's page lists it (the whole Departure: GET /v1/tours/{id}/departures)",
  })

export const managedDepartureSchema = departureSchema
  .extend({ priceOverrides: priceOverridesSchema.nullable(), cancelReason: z.string().nullable(), version: z.number().int() })
  .openapi('ManagedDeparture')

export const publicTourSchema = z
  .object({
    id: z.uuid(),
    language: z.enum(CONTENT_LANGUAGES),
    availableLanguages: z.array(z.enum(CONTENT_LANGUAGES)),
    operator: operatorRef,
    title: z.string(),
    summary: z.string(),
    description: z.string(),
    categoryLabel: z.string(),
    meetingPoint: z.object({ lat: z.number(), lng: z.number(), description: z.string() }),
    price: priceList,
    priceFrom: money,
    ...sharedTourFields,
    upcomingDepartures: z.array(upcomingDepartureSchema),
  })
  .openapi('PublicTour', { description: 'A published tour in one language (missing fields fall back to Russian)' })

const tourSummarySchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    summary: z.string(),
    category: z.string(),
    categoryLabel: z.string(),
    difficulty: z.string(),
    durationMinutes: z.number().int(),
    languages: z.array(z.string()),
    operator: operatorRef,
    meetingPoint: z.object({ lat: z.number(), lng: z.number(), description: z.string() }),
    photo: z.string().nullable(),
    priceFrom: money,
    rating: z.number().nullable(),
    reviewCount: z.number().int(),
    nextDeparture: z
      .object({ id: z.uuid(), startsAt: z.iso.datetime(), startsAtLocal: z.string(), seatsLeft: z.number().int() })
      .nullable()
      .openapi({ description: 'The first departure in the date window with enough seats for the party' }),
    distanceKm: z.number().nullable(),
    relevance: z.number().nullable(),
  })
  .openapi('TourSummary')

export const searchResultSchema = z
  .object({
    language: z.enum(CONTENT_LANGUAGES),
    items: z.array(tourSummarySchema),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page (opaque, signed, bound to this search)' }),
    facets: z
      .object({
        categories: z.array(z.object({ category: z.enum(CATEGORIES).or(z.string()), label: z.string(), count: z.number().int() })),
        prices: z.array(
          z.object({
            currency: z.string(),
            min: z.number().int().openapi({ description: 'Inclusive, minor units' }),
            max: z.number().int().openapi({ description: 'Exclusive, minor units' }),
            count: z.number().int(),
          }),
        ),
      })
      .optional()
      .openapi({ description: 'With facets=true: counts for filter UIs, each ignoring its own filter' }),
  })
  .openapi('TourSearchResult')

export const departureListSchema = z.object({ items: z.array(departureSchema) }).openapi('DepartureList')

export const generatedDeparturesSchema = z
  .object({ created: z.array(managedDepartureSchema), skippedExisting: z.number().int(), skippedPast: z.number().int() })
  .openapi('GeneratedDepartures')

export const dateRangeQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Inclusive; default now' }),
  to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Exclusive; default from + 90 days' }),
})

export const cachedHeaders = {
  ETag: { schema: { type: 'string' as const } },
  'Cache-Control': { schema: { type: 'string' as const } },
  'Content-Language': { schema: { type: 'string' as const } },
}
export const notModified = { 304: { description: 'Not modified (If-None-Match matched the ETag)' } }

/** The content language of a request: `lang` when given, else Accept-Language, else Russian. */
export function requestLanguage(c: Context<AppEnv>, lang?: ContentLanguage): ContentLanguage {
  return lang ?? pickLanguage(c.env.header('Accept-Language') ?? undefined)
}
