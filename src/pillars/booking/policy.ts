/**
 * The rules a booking must satisfy, as pure functions: who may travel on a tour (party limits) and what a
 * cancellation refunds (the tour's tiers, counted in calendar days in the tour's time zone).
 *
 * Age categories: infant under 2, child 2–11, adult 12+, senior 60+. A tour's `minAge` excludes a whole category
 * when no one in it can be old enough (infants when minAge ≥ 2, children when minAge ≥ 12); every party has an
 * adult or senior, and at most one infant per adult or senior (a lap or a carrier each).
 */
import type { CancellationPolicy, PriceCategory } from '../discovery/schema.ts'
import type { Requirements } from '../discovery/tables.ts'
import { localDateOf } from '../discovery/zoned-time.ts'
import type { Party } from './pricing.ts'
import { seatsOf } from './pricing.ts'

/** The oldest age each category covers (seniors and adults have no upper bound). */
const OLDEST_AGE: Record<PriceCategory, number> = { infant: 1, child: 11, adult: Infinity, senior: Infinity }

export interface PartyViolation {
  path: string
  message: string
}

export interface PartyContext {
  requirements: Requirements
  capacity: number
  /** Body weights declared for the party (kg), required when the tour limits body weight. */
  weightsKg?: number[]
}

export function partyViolations(party: Party, { requirements, capacity, weightsKg }: PartyContext): PartyViolation[] {
  const problems: PartyViolation[] = []
  const seats = seatsOf(party)
  const grownUps = (party.adult ?? 0) + (party.senior ?? 0)
  if (seats < 1) problems.push({ path: 'json.party', message: 'at least one traveller' })
  if (seats > capacity) problems.push({ path: 'json.party', message: `a party of ${seats} does not fit this departure (${capacity} places in all)` })
  if (seats > 0 && grownUps === 0) problems.push({ path: 'json.party', message: 'children and infants travel with an adult or senior' })
  if ((party.infant ?? 0) > grownUps) problems.push({ path: 'json.party.infant', message: 'at most one infant per adult or senior' })
  const minAge = requirements.minAge ?? 0
  for (const category of ['infant', 'child'] as const) {
    if ((party[category] ?? 0) > 0 && OLDEST_AGE[category] < minAge) {
      problems.push({ path: `json.party.${category}`, message: `this tour's minimum age is ${minAge}; no ${category} can join` })
    }
  }
  const maxWeight = requirements.maxBodyWeightKg
  if (maxWeight !== undefined) {
    if (!weightsKg || weightsKg.length !== seats) {
      problems.push({ path: 'json.weightsKg', message: `this tour limits body weight to ${maxWeight} kg: declare one weight per traveller (${seats})` })
    } else {
      weightsKg.forEach((w, i) => {
        if (w > maxWeight) problems.push({ path: `json.weightsKg.${i}`, message: `${w} kg is over this tour's limit of ${maxWeight} kg` })
      })
    }
  }
  return problems
}

export interface RefundRule {
  /** Whole calendar days from the cancellation day to the departure day, both in the tour's time zone. */
  daysBefore: number
  refundPercent: number
}

/**
 * Calendar days between `now` and the departure, both read as dates in the tour's time zone: cancelling at 23:59
 * Kamchatka time on the 3rd for a departure on the 10th is 7 days before, at 00:00 on the 4th it is 6.
 */
export function daysBeforeDeparture(now: Date, startsAt: Date, timeZone: string): number {
  const day = (d: Date) => Date.parse(`${localDateOf(d, timeZone)}T00:00:00Z`)
  return Math.round((day(startsAt) - day(now)) / 86_400_000)
}

/** The tier that applies: the one with the largest `daysBefore` not above the days left; none matching → 0 %. */
export function refundRule(policy: CancellationPolicy | Record<string, never>, now: Date, startsAt: Date, timeZone: string): RefundRule {
  const daysBefore = daysBeforeDeparture(now, startsAt, timeZone)
  const tiers = 'tiers' in policy && Array.isArray(policy.tiers) ? [...policy.tiers].sort((a, b) => b.daysBefore - a.daysBefore) : []
  const tier = tiers.find((t) => daysBefore >= t.daysBefore)
  return { daysBefore, refundPercent: tier?.refundPercent ?? 0 }
}

/** Rounds down: a percentage of an odd amount never refunds a fraction of a minor unit. */
export function refundAmount(total: number, percent: number): number {
  return Math.floor((total * percent) / 100)
}
