import { describe, expect, it } from 'vitest'
import { expandRecurrence } from './recurrence.ts'

describe('recurrence rules', () => {
  it('daily at 08:00 from June to September in Kamchatka: one departure a day, at 20:00 UTC the day before', () => {
    const out = expandRecurrence({ from: '2026-06-01', until: '2026-09-30', times: ['08:00'], except: [] }, 'Asia/Kamchatka')
    expect(out).toHaveLength(30 + 31 + 31 + 30)
    expect(out[0]).toMatchObject({ localDate: '2026-06-01', localTime: '08:00' })
    expect(out[0]!.startsAt.toISOString()).toBe('2026-05-31T20:00:00.000Z')
    expect(out.at(-1)!.startsAt.toISOString()).toBe('2026-09-29T20:00:00.000Z')
  })

  it('skips exception dates and keeps month boundaries', () => {
    const out = expandRecurrence({ from: '2026-06-29', until: '2026-07-02', times: ['08:00'], except: ['2026-06-30', '2026-07-01'] }, 'Asia/Kamchatka')
    expect(out.map((o) => o.localDate)).toEqual(['2026-06-29', '2026-07-02'])
  })

  it('several times a day, in time order, on chosen ISO weekdays only', () => {
    // 2026-06-01 is a Monday
    const out = expandRecurrence({ from: '2026-06-01', until: '2026-06-14', times: ['15:00', '07:30'], weekdays: [1, 7], except: [] }, 'Asia/Kamchatka')
    expect(out.map((o) => `${o.localDate} ${o.localTime}`)).toEqual([
      '2026-06-01 07:30',
      '2026-06-01 15:00',
      '2026-06-07 07:30',
      '2026-06-07 15:00',
      '2026-06-08 07:30',
      '2026-06-08 15:00',
      '2026-06-14 07:30',
      '2026-06-14 15:00',
    ])
  })

  it('in a DST zone, 08:00 stays 08:00 local across the change (the UTC time moves)', () => {
    const out = expandRecurrence({ from: '2026-03-28', until: '2026-03-30', times: ['08:00'], except: [] }, 'Europe/Berlin')
    expect(out.map((o) => o.startsAt.toISOString())).toEqual(['2026-03-28T07:00:00.000Z', '2026-03-29T06:00:00.000Z', '2026-03-30T06:00:00.000Z'])
  })

  it('a year crossing New Year', () => {
    const out = expandRecurrence({ from: '2026-12-30', until: '2027-01-02', times: ['10:00'], except: ['2027-01-01'] }, 'Asia/Kamchatka')
    expect(out.map((o) => o.localDate)).toEqual(['2026-12-30', '2026-12-31', '2027-01-02'])
  })
})
