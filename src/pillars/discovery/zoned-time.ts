/**
 * Wall-clock time in an IANA time zone ↔ UTC instants, with Intl only (no Temporal yet, no node:). Kamchatka has
 * had no DST since 2011, but tours elsewhere may, so conversions resolve DST the way Temporal's "compatible"
 * disambiguation does: a wall time that occurs twice (clocks go back) is the earlier instant, and one that does
 * not exist (clocks go forward) moves forward by the gap.
 */

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      era: 'short',
    })
    formatters.set(timeZone, f)
  }
  return f
}

export function isTimeZone(name: string): boolean {
  try {
    formatter(name)
    return true
  } catch {
    return false
  }
}

export interface WallTime {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second?: number
}

/** The wall time at `instant` in `timeZone`, as if that wall time were UTC (ms). */
function wallAsUtc(instant: number, timeZone: string): number {
  const parts: Record<string, string> = {}
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) parts[p.type] = p.value
  let year = Number(parts.year)
  if (parts.era === 'BC' || parts.era === 'B') year = 1 - year
  const d = Date.UTC(0, Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second))
  const date = new Date(d)
  date.setUTCFullYear(year)
  return date.getTime()
}

/** UTC offset of `timeZone` at `instant`, in ms (Kamchatka: +12 h). */
export function offsetMs(instant: number, timeZone: string): number {
  const whole = instant - (((instant % 1000) + 1000) % 1000)
  return wallAsUtc(whole, timeZone) - whole
}

/** The instant a wall time in `timeZone` denotes. */
export function zonedToUtc(wall: WallTime, timeZone: string): Date {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second ?? 0)
  // The offsets a day either side bracket any transition near this wall time.
  const before = offsetMs(asUtc - 86_400_000, timeZone)
  const after = offsetMs(asUtc + 86_400_000, timeZone)
  const candidates = [asUtc - before, asUtc - after].filter((t) => t + offsetMs(t, timeZone) === asUtc)
  if (candidates.length) return new Date(Math.min(...candidates))
  // In a gap: keep the offset from before the transition, which lands after it.
  return new Date(asUtc - before)
}

/** `2026-07-01T08:00` (seconds optional) in `timeZone` → instant. */
export function parseLocalDateTime(local: string, timeZone: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(local)
  if (!m) throw new RangeError(`not a local date-time: ${local}`)
  const [, y, mo, d, h, mi, s] = m
  return zonedToUtc({ year: +y!, month: +mo!, day: +d!, hour: +h!, minute: +mi!, second: s ? +s : 0 }, timeZone)
}

/** ISO 8601 with the zone's offset at that instant, e.g. `2026-07-01T08:00:00+12:00`: what clients display. */
export function formatInZone(instant: Date, timeZone: string): string {
  const t = instant.getTime()
  const offset = offsetMs(t, timeZone)
  const wall = new Date(t + offset).toISOString().slice(0, 19)
  const sign = offset < 0 ? '-' : '+'
  const abs = Math.round(Math.abs(offset) / 60_000)
  return `${wall}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

/** The local calendar date (YYYY-MM-DD) of an instant in a zone. */
export function localDateOf(instant: Date, timeZone: string): string {
  return formatInZone(instant, timeZone).slice(0, 10)
}
