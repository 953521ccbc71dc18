import { describe, expect, it } from 'vitest'
import { splitCommission, splitRefund } from './split.ts'

describe('splitCommission', () => {
  it('rounds the commission down, in the operator’s favour', () => {
    expect(splitCommission(1, 1500)).toEqual({ commission: 0, operatorShare: 1 })
    expect(splitCommission(7, 1500)).toEqual({ commission: 1, operatorShare: 6 }) // 1.05 → 1
    expect(splitCommission(13, 1500)).toEqual({ commission: 1, operatorShare: 12 }) // 1.95 → 1
    expect(splitCommission(1_500_000, 1500)).toEqual({ commission: 225_000, operatorShare: 1_275_000 })
  })
  it('keeps the two parts summing to the gross at the extremes', () => {
    expect(splitCommission(Number.MAX_SAFE_INTEGER, 9999).commission + splitCommission(Number.MAX_SAFE_INTEGER, 9999).operatorShare).toBe(Number.MAX_SAFE_INTEGER)
    expect(splitCommission(99, 0)).toEqual({ commission: 0, operatorShare: 99 })
    expect(splitCommission(99, 10_000)).toEqual({ commission: 99, operatorShare: 0 })
  })
  it('rejects non-integer amounts and rates out of range', () => {
    expect(() => splitCommission(0, 1500)).toThrow(RangeError)
    expect(() => splitCommission(10.5, 1500)).toThrow(RangeError)
    expect(() => splitCommission(100, 10_001)).toThrow(RangeError)
  })
})

describe('splitRefund', () => {
  it('returns commission pro rata, rounded up (the operator gives back the smaller share)', () => {
    // gross 1001, commission 150: half-ish refund of 500 → 150·500/1001 = 74.9 → 75
    expect(splitRefund({ gross: 1001, commission: 150, refunded: 0, commissionRefunded: 0 }, 500)).toEqual({ commission: 75, operator: 425 })
  })
  it('many partial refunds add up to exactly one full refund', () => {
    const state = { gross: 997, commission: 149, refunded: 0, commissionRefunded: 0 }
    let operator = 0
    for (const part of [1, 1, 3, 100, 333, 559]) {
      const r = splitRefund(state, part)
      expect(r.commission).toBeGreaterThanOrEqual(0)
      expect(r.operator).toBeGreaterThanOrEqual(0)
      state.refunded += part
      state.commissionRefunded += r.commission
      operator += r.operator
    }
    expect(state.refunded).toBe(997)
    expect(state.commissionRefunded).toBe(149)
    expect(operator).toBe(997 - 149)
  })
  it('refuses to refund more than is left', () => {
    expect(() => splitRefund({ gross: 100, commission: 15, refunded: 60, commissionRefunded: 9 }, 41)).toThrow(RangeError)
  })
})
