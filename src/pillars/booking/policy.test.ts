import { describe, expect, it } from 'vitest'
import { daysBeforeDeparture, partyViolations, refundRule } from './policy.ts'

const TZ = 'Asia/Kamchatka'

describe('daysBeforeDeparture', () => {
  it('counts Kamchatka calendar days, not UTC ones nor 24-hour periods', () => {
    const startsAt = new Date('2026-07-10T20:00:00Z') // 11 July, 08:00 in Kamchatka
    expect(daysBeforeDeparture(new Date('2026-07-09T11:59:59Z'), startsAt, TZ)).toBe(2) // 9 July 23:59:59 local
    expect(daysBeforeDeparture(new Date('2026-07-09T12:00:00Z'), startsAt, TZ)).toBe(1) // 10 July 00:00 local
  })
})

describe('refundRule', () => {
  it('no tier reached refunds nothing; an empty policy refunds nothing', () => {
    const now = new Date('2026-07-01T00:00:00Z')
    const startsAt = new Date('2026-07-03T00:00:00Z')
    expect(refundRule({ tiers: [{ daysBefore: 7, refundPercent: 100 }] }, now, startsAt, TZ).refundPercent).toBe(0)
    expect(refundRule({}, now, startsAt, TZ).refundPercent).toBe(0)
  })
})

describe('partyViolations', () => {
  it('a valid family on an unrestricted tour passes', () => {
    expect(partyViolations({ adult: 2, child: 1, infant: 1 }, { requirements: {}, capacity: 10 })).toEqual([])
  })
})
