/**
 * The catalogue's vocabulary and input contracts: categories, difficulties, content languages, and the zod schemas
 * for operators, tours, departures and recurrence rules. Routes reuse these schemas (adding OpenAPI names), so a
 * request is validated once, at the edge, with errors naming the field.
 */
import { z } from 'zod'
import { isTimeZone } from './zoned-time.ts'

export const CATEGORIES = [
  'volcano',
  'bears',
  'helicopter',
  'fishing',
  'rafting',
  'hot_springs',
  'sea_kayaking',
  'boat_trip',
  'snowmobile',
  'heli_ski',
  'dog_sledding',
  'ethno',
  'multi_day_trek',
  'jeep',
] as const
export type Category = (typeof CATEGORIES)[number]

/** Labels for filter UIs (facets answer with these in the request's language). */
export const CATEGORY_LABELS: Record<Category, Record<ContentLanguage, string>> = {
  volcano: { ru: 'Вулканы', en: 'Volcanoes', zh: '火山' },
  bears: { ru: 'Медведи', en: 'Bear watching', zh: '观熊' },
  helicopter: { ru: 'Вертолётные туры', en: 'Helicopter tours', zh: '直升机游览' },
  fishing: { ru: 'Рыбалка', en: 'Fishing', zh: '钓鱼' },
  rafting: { ru: 'Сплавы', en: 'Rafting', zh: '漂流' },
  hot_springs: { ru: 'Термальные источники', en: 'Hot springs', zh: '温泉' },
  sea_kayaking: { ru: 'Морские каяки', en: 'Sea kayaking', zh: '海上皮划艇' },
  boat_trip: { ru: 'Морские прогулки', en: 'Boat trips', zh: '乘船游览' },
  snowmobile: { ru: 'Снегоходы', en: 'Snowmobile tours', zh: '雪地摩托' },
  heli_ski: { ru: 'Хели-ски', en: 'Heli-skiing', zh: '直升机滑雪' },
  dog_sledding: { ru: 'Собачьи упряжки', en: 'Dog sledding', zh: '狗拉雪橇' },
  ethno: { ru: 'Этнотуры', en: 'Ethnic culture', zh: '民族文化' },
  multi_day_trek: { ru: 'Многодневные походы', en: 'Multi-day treks', zh: '多日徒步' },
  jeep: { ru: 'Джип-туры', en: 'Jeep tours', zh: '越野车游' },
}

export const DIFFICULTIES = ['easy', 'moderate', 'challenging', 'extreme'] as const
export type Difficulty = (typeof DIFFICULTIES)[number]

export const CONTENT_LANGUAGES = ['ru', 'en', 'zh'] as const
export type ContentLanguage = (typeof CONTENT_LANGUAGES)[number]

export const TOUR_STATUSES = ['draft', 'published', 'archived'] as const
export type TourStatus = (typeof TOUR_STATUSES)[number]

export const PRICE_CATEGORIES = ['adult', 'child', 'infant', 'senior'] as const
export type PriceCategory = (typeof PRICE_CATEGORIES)[number]

export const DEFAULT_TIMEZONE = 'Asia/Kamchatka'

// ISO 4217 as the runtime's ICU knows it (Node, Deno and workerd all ship full ICU).
const CURRENCIES = new Set(Intl.supportedValuesOf('currency'))
export const isCurrency = (code: string) => CURRENCIES.has(code)

export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as RUB, USD or CNY')
  .refine(isCurrency, 'not an ISO 4217 currency')

/** Integer minor units (kopecks, cents, fen): never floats. */
export const minorUnits = z.number().int('integer minor units').min(0).max(10_000_000_000)

export const latitude = z.number().min(-90).max(90)
export const longitude = z.number().min(-180).max(180)

export const timeZoneSchema = z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Asia/Kamchatka')

const localisedRequired = z.object({
  title: z.string().trim().min(3).max(200),
  summary: z.string().trim().max(500).default(''),
  description: z.string().trim().max(20_000).default(''),
  meetingPoint: z.string().trim().max(500).default(''),
})
const localisedOptional = z
  .object({
    title: z.string().trim().min(3).max(200),
    summary: z.string().trim().max(500),
    description: z.string().trim().max(20_000),
    meetingPoint: z.string().trim().max(500),
  })
  .partial()

export const contentSchema = z.object({ ru: localisedRequired, en: localisedOptional.optional(), zh: localisedOptional.optional() })
export type TourContent = z.output<typeof contentSchema>
export type LocalisedContent = z.output<typeof localisedRequired>

export const pricesSchema = z.object({
  adult: minorUnits,
  child: minorUnits.optional(),
  infant: minorUnits.optional(),
  senior: minorUnits.optional(),
})
export type Prices = z.output<typeof pricesSchema>
export const priceOverridesSchema = pricesSchema.partial()
export type PriceOverrides = z.output<typeof priceOverridesSchema>

const position = z
  .array(z.number())
  .min(2)
  .max(3)
  .refine(([lng, lat]) => lng! >= -180 && lng! <= 180 && lat! >= -90 && lat! <= 90, '[longitude, latitude] within range')

/** GeoJSON LineString (RFC 7946): [longitude, latitude] positions, at least two. */
export const lineStringSchema = z.object({ type: z.literal('LineString'), coordinates: z.array(position).min(2).max(5000) })

export const requirementsSchema = z.object({
  minAge: z.number().int().min(0).max(99).optional(),
  fitness: z.enum(['low', 'medium', 'high']).optional(),
  /** Helicopters and some boats limit body weight. */
  maxBodyWeightKg: z.number().int().min(30).max(300).optional(),
})

export const inclusionsSchema = z.object({
  included: z.array(z.string().trim().min(1).max(200)).max(50).default([]),
  excluded: z.array(z.string().trim().min(1).max(200)).max(50).default([]),
})

/** Refund tiers by days before departure, e.g. ≥30 days 100 %, ≥7 days 50 %, later 0 %. */
export const cancellationPolicySchema = z
  .object({
    tiers: z
      .array(z.object({ daysBefore: z.number().int().min(0).max(365), refundPercent: z.number().int().min(0).max(100) }))
      .min(1)
      .max(10),
  })
  .refine(({ tiers }) => new Set(tiers.map((t) => t.daysBefore)).size === tiers.length, { message: 'one tier per daysBefore', path: ['tiers'] })
  .refine(
    ({ tiers }) => {
      const sorted = [...tiers].sort((a, b) => b.daysBefore - a.daysBefore)
      return sorted.every((t, i) => i === 0 || t.refundPercent <= sorted[i - 1]!.refundPercent)
    },
    { message: 'a later cancellation cannot refund more than an earlier one', path: ['tiers'] },
  )
export type CancellationPolicy = z.output<typeof cancellationPolicySchema>

const spokenLanguage = z.string().regex(/^[a-z]{2}$/, 'an ISO 639-1 code such as ru, en or zh')

export const tourInputSchema = z.object({
  /** Admins name the operator; operators may omit it (their own profile is used). */
  operatorId: z.uuid().optional(),
  content: contentSchema,
  category: z.enum(CATEGORIES),
  difficulty: z.enum(DIFFICULTIES),
  durationMinutes: z.number().int().min(15).max(43_200),
  languages: z.array(spokenLanguage).min(1).max(20).refine((l) => new Set(l).size === l.length, 'no repeated languages'),
  meetingPoint: z.object({ lat: latitude, lng: longitude }),
  route: lineStringSchema.nullable().optional(),
  photos: z.array(z.url({ protocol: /^https?$/ }).max(2000)).max(30).default([]),
  currency: currencySchema,
  prices: pricesSchema,
  inclusions: inclusionsSchema.default({ included: [], excluded: [] }),
  requirements: requirementsSchema.default({}),
  cancellationPolicy: cancellationPolicySchema.default({ tiers: [{ daysBefore: 0, refundPercent: 0 }] }),
  minParticipants: z.number().int().min(1).max(1000).default(1),
  timezone: timeZoneSchema.default(DEFAULT_TIMEZONE),
})
export type TourInput = z.output<typeof tourInputSchema>

/** A patch replaces the top-level fields it names; status moves only through publish and archive. */
export const tourPatchSchema = tourInputSchema
  .omit({ operatorId: true })
  .extend({
    photos: tourInputSchema.shape.photos.unwrap().optional(),
    inclusions: inclusionsSchema.optional(),
    requirements: requirementsSchema.optional(),
    cancellationPolicy: cancellationPolicySchema.optional(),
    minParticipants: z.number().int().min(1).max(1000).optional(),
    timezone: timeZoneSchema.optional(),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'name at least one field to change')
export type TourPatch = z.output<typeof tourPatchSchema>

export const operatorInputSchema = z.object({
  /** Admins create a profile for an operator account; operators create their own. */
  userId: z.uuid().optional(),
  name: z.string().trim().min(1).max(200),
  slug: z
    .string()
    .max(80)
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case letters, digits and single hyphens'),
  contact: z
    .object({ email: z.email().optional(), phone: z.string().max(40).optional(), website: z.url({ protocol: /^https?$/ }).optional() })
    .default({}),
})
export type OperatorInput = z.output<typeof operatorInputSchema>

const localDate = z.iso.date()
const localTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM in the tour time zone')

export const departureInputSchema = z
  .object({
    startsAt: z.iso.datetime({ offset: true }).optional(),
    /** A wall-clock time in the tour's time zone, e.g. 2026-07-01T08:00 (instead of startsAt). */
    localStartsAt: z.iso.datetime({ local: true }).optional(),
    capacity: z.number().int().min(1).max(10_000),
    priceOverrides: priceOverridesSchema.optional(),
  })
  .refine((d) => Boolean(d.startsAt) !== Boolean(d.localStartsAt), { message: 'give exactly one of startsAt and localStartsAt', path: ['startsAt'] })
export type DepartureInput = z.output<typeof departureInputSchema>

export const departurePatchSchema = z
  .object({ capacity: z.number().int().min(1).max(10_000), priceOverrides: priceOverridesSchema.nullable() })
  .partial()
  .refine((p) => Object.keys(p).length > 0, 'name at least one field to change')
export type DeparturePatch = z.output<typeof departurePatchSchema>

/** ISO weekday numbers, Monday = 1 … Sunday = 7. */
export const recurrenceRuleSchema = z
  .object({
    from: localDate.describe('First local date (inclusive)'),
    until: localDate.describe('Last local date (inclusive)'),
    times: z.array(localTime).min(1).max(12),
    weekdays: z.array(z.number().int().min(1).max(7)).min(1).max(7).optional(),
    except: z.array(localDate).max(400).default([]),
    capacity: z.number().int().min(1).max(10_000),
    priceOverrides: priceOverridesSchema.optional(),
  })
  .refine((r) => r.from <= r.until, { message: 'until must not be before from', path: ['until'] })
  .refine((r) => daysBetween(r.from, r.until) <= 400, { message: 'a rule spans at most 400 days', path: ['until'] })
export type RecurrenceRule = z.output<typeof recurrenceRuleSchema>

function daysBetween(from: string, until: string): number {
  return (Date.parse(`${until}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000
}
