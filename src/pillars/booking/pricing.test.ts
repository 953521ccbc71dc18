import { describe, expect, it } from 'vitest'
import { discountAmount, priceParty, unpricedCategories } from './pricing.ts'

describe('priceParty', () => {
  it('an amount off never takes the price below zero', () => {
    const b = priceParty({ adult: 1 }, { adult: 500 }, null, 'RUB', { code: 'BIG', amountOff: 10_000 })
    expect(b).toMatchObject({ subtotal: 500, discount: { code: 'BIG', amount: 500 }, total: 0 })
  })

  it('a percentage rounds down to whole minor units', () => {
    expect(discountAmount(999, { code: 'X', percentOff: 10 })).toBe(99)
  })

  it('an override of 0 (a free infant) is a price, not a missing one', () => {
    expect(unpricedCategories({ adult: 1, infant: 1 }, { adult: 100 }, { infant: 0 })).toEqual([])
    expect(priceParty({ adult: 1, infant: 1 }, { adult: 100 }, { infant: 0 }, 'RUB').total).toBe(100)
  })
})
