/**
 * Expands a recurrence rule ("daily at 08:00 from June to September, except 12 July") into departure instants.
 * Dates and times are wall-clock values in the tour's time zone; each one is converted on its own date, so a
 * zone's DST change in the middle of a season keeps departures at 08:00 local rather than drifting an hour.
 */
import type { RecurrenceRule } from './schema.ts'
import { zonedToUtc } from './zoned-time.ts'

const DAY_MS = 86_400_000

export interface Occurrence {
  /** The local date, YYYY-MM-DD. */
  localDate: string
  /** The local time, HH:MM. */
  localTime: string
  startsAt: Date
}

/** Every occurrence of the rule, in time order; the rule's dates are inclusive. */
export function expandRecurrence(rule: Pick<RecurrenceRule, 'from' | 'until' | 'times' | 'weekdays' | 'except'>, timeZone: string): Occurrence[] {
  const except = new Set(rule.except)
  const weekdays = rule.weekdays ? new Set(rule.weekdays) : undefined
  const times = [...new Set(rule.times)].sort()
  const first = Date.parse(`${rule.from}T00:00:00Z`)
  const last = Date.parse(`${rule.until}T00:00:00Z`)
  const out: Occurrence[] = []
  // Walk calendar dates as UTC midnights: pure date arithmetic, independent of any zone.
  for (let day = first; day <= last; day += DAY_MS) {
    const date = new Date(day)
    const localDate = date.toISOString().slice(0, 10)
    if (except.has(localDate)) continue
    const isoWeekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay()
    if (weekdays && !weekdays.has(isoWeekday)) continue
    for (const time of times) {
      const [hour, minute] = time.split(':').map(Number)
      const startsAt = zonedToUtc(
        { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), hour: hour!, minute: minute! },
        timeZone,
      )
      out.push({ localDate, localTime: time, startsAt })
    }
  }
  return out
}
