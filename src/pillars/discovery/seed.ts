/**
 * Loads the demo catalogue (seed-data.ts): operator accounts and profiles, published tours, and their seasonal
 * departures for the next twelve months, some seats already taken. Idempotent: ids are derived from the data's
 * slugs and every insert skips what exists, so running it again adds only departures that have come into the
 * twelve-month window since.
 *
 * It is a fixture load, like a restore: rows are written directly and no events are published (nothing
 * subscribes to a demo catalogue, and thousands of departure.scheduled events would only fill the outbox).
 */
import { sql } from 'drizzle-orm'
import type { Deps } from '../../deps.ts'
import { queryRows } from '../../core/db/index.ts'
import { createUser } from '../../core/auth/service.ts'
import { findUserByEmail } from '../../core/auth/repo.ts'
import { departures, operators, tours, type NewDepartureRow, type NewTourRow } from './tables.ts'
import { expandRecurrence } from './recurrence.ts'
import { invalidateTour } from './cache.ts'
import { PLACES, SEED_OPERATORS, SEED_TOURS, type SeedTour } from './seed-data.ts'
import { searchTextOf } from './text.ts'
import type { CancellationPolicy, TourContent } from './schema.ts'
import { DEFAULT_TIMEZONE } from './schema.ts'

export interface SeedResult {
  operators: number
  tours: number
  departures: number
}

export interface SeedOptions {
  /** Password of the seeded operator accounts; random (unusable) when absent. */
  operatorPassword?: string
  /** Days of departures from today. */
  days?: number
}

/** Volcano summits, for the routes of ascents: [longitude, latitude] (GeoJSON order). */
const SUMMITS: Partial<Record<keyof typeof PLACES, [number, number]>> = {
  avachinsky: [158.83, 53.2556],
  koryaksky: [158.7127, 53.3206],
  vilyuchinsky: [158.2833, 52.7],
  gorely: [158.03, 52.5583],
  mutnovsky: [158.195, 52.4497],
  klyuchevskaya: [160.6417, 56.0564],
}

const DAY_MS = 86_400_000

export async function seedCatalogue(deps: Pick<Deps, 'db' | 'clock'>, { operatorPassword, days = 365 }: SeedOptions = {}): Promise<SeedResult> {
  const now = deps.clock.now()
  const result: SeedResult = { operators: 0, tours: 0, departures: 0 }
  const operatorIds = new Map<string, string>()
  for (const op of SEED_OPERATORS) {
    const email = `${op.slug}@operators.kamhub.dev`
    let user = await findUserByEmail(deps.db.orm, email)
    if (!user) {
      const password = operatorPassword ?? randomPassword()
      const created = await createUser(deps, { email, password, role: 'operator', displayName: op.name })
      user = (await findUserByEmail(deps.db.orm, email))!
      if (!created) throw new Error(`could not create the operator account ${email}`)
    }
    const id = await stableUuid(`operator:${op.slug}`)
    operatorIds.set(op.slug, id)
    const inserted = await deps.db.orm
      .insert(operators)
      .values({ id, userId: user.id, name: op.name, slug: op.slug, contact: { email, phone: op.phone, website: `https://${op.slug}.example.com` }, createdAt: now, updatedAt: now })
      .onConflictDoNothing()
      .returning({ id: operators.id })
    result.operators += inserted.length
  }

  const firstDay = new Date(now.getTime() + DAY_MS).toISOString().slice(0, 10)
  const lastDay = new Date(now.getTime() + days * DAY_MS).toISOString().slice(0, 10)
  for (const spec of SEED_TOURS) {
    const row = await tourRow(spec, operatorIds.get(spec.operator)!, now)
    const inserted = await deps.db.orm.insert(tours).values(row).onConflictDoNothing().returning({ id: tours.id })
    result.tours += inserted.length
    const rows = await departureRows(spec, row.id, firstDay, lastDay, now)
    for (let i = 0; i < rows.length; i += 500) {
      const created = await deps.db.orm
        .insert(departures)
        .values(rows.slice(i, i + 500))
        .onConflictDoNothing({ target: [departures.tourId, departures.startsAt] })
        .returning({ id: departures.id })
      result.departures += created.length
    }
  }
  return result
}

/**
 * Seeds when there is no tour at all (the first run of the embedded default), then starts a fresh search
 * generation so no search cached while the catalogue was loading outlives it. Never throws: a failed demo load
 * is a warning, not a failed start.
 */
export async function seedIfEmpty(deps: Pick<Deps, 'db' | 'clock' | 'cache' | 'logger'>): Promise<void> {
  try {
    if (!(await catalogueIsEmpty(deps))) return
    const created = await seedCatalogue(deps)
    await invalidateTour(deps, undefined)
    deps.logger.info({ created }, 'demo catalogue seeded (embedded database, first run)')
  } catch (err) {
    deps.logger.warn({ err }, 'seeding the demo catalogue failed; run npm run seed')
  }
}

/** True when there is no tour at all. */
export async function catalogueIsEmpty(deps: Pick<Deps, 'db'>): Promise<boolean> {
  const [row] = await queryRows<{ present: boolean }>(deps.db.orm, sql`select exists (select 1 from tours) as present`)
  return !row?.present
}

async function tourRow(spec: SeedTour, operatorId: string, now: Date): Promise<NewTourRow & { id: string }> {
  const place = PLACES[spec.place]
  const content: TourContent = {
    ru: {
      title: spec.ru[0],
      summary: spec.ru[1],
      description: `${spec.ru[1]}. ${place.aboutRu} Сбор: ${place.meetingRu.toLowerCase()}; трансфер из Петропавловска-Камчатского по запросу.`,
      meetingPoint: place.meetingRu,
    },
    en: {
      title: spec.en[0],
      summary: spec.en[1],
      description: `${spec.en[1]}. ${place.aboutEn} Meeting point: ${place.meetingEn.toLowerCase()}; transfer from Petropavlovsk-Kamchatsky on request.`,
      meetingPoint: place.meetingEn,
    },
    ...(spec.zh ? { zh: { title: spec.zh[0], summary: spec.zh[1] } } : {}),
  }
  const adult = spec.price * 100
  const summit = SUMMITS[spec.place]
  const climbs = spec.category === 'volcano' || spec.category === 'multi_day_trek'
  const long = spec.minutes >= 24 * 60 || spec.category === 'helicopter' || spec.category === 'heli_ski'
  const policy: CancellationPolicy = long
    ? { tiers: [{ daysBefore: 30, refundPercent: 100 }, { daysBefore: 14, refundPercent: 50 }, { daysBefore: 0, refundPercent: 0 }] }
    : { tiers: [{ daysBefore: 2, refundPercent: 100 }, { daysBefore: 1, refundPercent: 50 }, { daysBefore: 0, refundPercent: 0 }] }
  return {
    id: await stableUuid(`tour:${spec.slug}`),
    operatorId,
    status: 'published',
    category: spec.category,
    difficulty: spec.difficulty,
    durationMinutes: spec.minutes,
    languages: spec.zh ? ['ru', 'en', 'zh'] : ['ru', 'en'],
    content,
    meetingLat: place.lat,
    meetingLng: place.lng,
    route: climbs && summit ? { type: 'LineString', coordinates: [[place.lng, place.lat], [(place.lng + summit[0]) / 2, (place.lat + summit[1]) / 2], summit] } : null,
    photos: [`https://images.kamhub.dev/tours/${spec.slug}-1.jpg`, `https://images.kamhub.dev/tours/${spec.slug}-2.jpg`],
    currency: spec.currency ?? 'RUB',
    prices: {
      adult,
      child: Math.round((adult * 0.7) / 100) * 100,
      senior: Math.round((adult * 0.9) / 100) * 100,
      ...((spec.minAge ?? 0) <= 2 ? { infant: 0 } : {}),
    },
    priceFrom: adult,
    inclusions: { included: inclusionsFor(spec), excluded: ['Personal insurance', 'Tips'] },
    requirements: {
      ...(spec.minAge !== undefined ? { minAge: spec.minAge } : {}),
      ...(spec.maxBodyWeightKg !== undefined ? { maxBodyWeightKg: spec.maxBodyWeightKg } : {}),
      fitness: spec.difficulty === 'easy' ? 'low' : spec.difficulty === 'moderate' ? 'medium' : 'high',
    },
    cancellationPolicy: policy,
    minParticipants: spec.capacity >= 10 ? 2 : 1,
    timezone: DEFAULT_TIMEZONE,
    rating: null,
    reviewCount: 0,
    searchText: searchTextOf(content),
    version: 1,
    publishedAt: now,
    createdAt: now,
    updatedAt: now,
  }
}

async function departureRows(spec: SeedTour, tourId: string, from: string, until: string, now: Date): Promise<NewDepartureRow[]> {
  const [first, last] = spec.season
  const inSeason = (month: number) => (first <= last ? month >= first && month <= last : month >= first || month <= last)
  const occurrences = expandRecurrence({ from, until, times: spec.times, weekdays: spec.weekdays, except: [] }, DEFAULT_TIMEZONE)
  const rows: NewDepartureRow[] = []
  for (const o of occurrences) {
    if (!inSeason(Number(o.localDate.slice(5, 7)))) continue
    // The first day is a UTC date; in Kamchatka (UTC+12) its morning can already be over. Only future departures.
    if (o.startsAt.getTime() <= now.getTime()) continue
    // Some seats already taken, more on the sooner dates: the same on every run (derived from the slug and time).
    const soon = o.startsAt.getTime() - now.getTime() < 45 * DAY_MS
    const taken = (await hash32(`${spec.slug}@${o.startsAt.toISOString()}`)) % (Math.floor(spec.capacity * (soon ? 0.8 : 0.4)) + 1)
    rows.push({
      id: await stableUuid(`departure:${spec.slug}@${o.startsAt.toISOString()}`),
      tourId,
      startsAt: o.startsAt,
      capacity: spec.capacity,
      seatsLeft: spec.capacity - taken,
      priceOverrides: null,
      status: 'scheduled',
      version: 1,
      createdAt: now,
      updatedAt: now,
    })
  }
  return rows
}

function inclusionsFor(spec: SeedTour): string[] {
  const base = ['Guide', 'Transfer from Petropavlovsk-Kamchatsky']
  switch (spec.category) {
    case 'helicopter':
      return [...base, 'Helicopter flight', 'Park fees', 'Lunch']
    case 'heli_ski':
      return [...base, 'Helicopter lifts', 'Avalanche kit', 'Lunch']
    case 'sea_kayaking':
      return [...base, 'Kayak and dry suit', 'Safety boat']
    case 'fishing':
      return [...base, 'Tackle', 'Fishing licence']
    case 'multi_day_trek':
      return [...base, 'Tents', 'Meals', 'Park fees']
    default:
      return [...base, 'Lunch box']
  }
}

/** A UUID (version 8, RFC 9562) derived from a name: the same data seeds the same ids on every run. */
async function stableUuid(name: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`kamhub-seed:${name}`))).slice(0, 16)
  bytes[6] = (bytes[6]! & 0x0f) | 0x80
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

async function hash32(text: string): Promise<number> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0
}

function randomPassword(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24))
  return btoa(String.fromCharCode(...bytes))
}
