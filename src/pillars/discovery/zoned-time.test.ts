import { describe, expect, it } from 'vitest'
import { formatInZone, isTimeZone, offsetMs, parseLocalDateTime, zonedToUtc } from './zoned-time.ts'

describe('wall-clock time in a time zone', () => {
  it('Kamchatka is UTC+12 all year (no DST since 2011)', () => {
    expect(offsetMs(Date.UTC(2026, 0, 15), 'Asia/Kamchatka')).toBe(12 * 3_600_000)
    expect(offsetMs(Date.UTC(2026, 6, 15), 'Asia/Kamchatka')).toBe(12 * 3_600_000)
    expect(parseLocalDateTime('2026-07-01T08:00', 'Asia/Kamchatka').toISOString()).toBe('2026-06-30T20:00:00.000Z')
    expect(formatInZone(new Date('2026-06-30T20:00:00Z'), 'Asia/Kamchatka')).toBe('2026-07-01T08:00:00+12:00')
  })

  it('a local time that does not exist (clocks go forward) moves forward by the gap', () => {
    // Berlin, 29 March 2026: 02:00 → 03:00
    expect(zonedToUtc({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Berlin').toISOString()).toBe('2026-03-29T01:30:00.000Z')
    expect(formatInZone(new Date('2026-03-29T01:30:00Z'), 'Europe/Berlin')).toBe('2026-03-29T03:30:00+02:00')
  })

  it('a local time that occurs twice (clocks go back) is the earlier instant', () => {
    // Berlin, 25 October 2026: 03:00 → 02:00
    expect(zonedToUtc({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Berlin').toISOString()).toBe('2026-10-25T00:30:00.000Z')
  })

  it('keeps 08:00 local on both sides of a DST change', () => {
    expect(parseLocalDateTime('2026-03-28T08:00', 'Europe/Berlin').toISOString()).toBe('2026-03-28T07:00:00.000Z')
    expect(parseLocalDateTime('2026-03-30T08:00', 'Europe/Berlin').toISOString()).toBe('2026-03-30T06:00:00.000Z')
  })

  it('western offsets and half hours format with their sign and minutes', () => {
    expect(formatInZone(new Date('2026-01-01T12:00:00Z'), 'America/St_Johns')).toBe('2026-01-01T08:30:00-03:30')
    expect(parseLocalDateTime('2026-01-01T08:30', 'America/St_Johns').toISOString()).toBe('2026-01-01T12:00:00.000Z')
  })

  it('knows real time zones from invented ones', () => {
    expect(isTimeZone('Asia/Kamchatka')).toBe(true)
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false)
  })
})
