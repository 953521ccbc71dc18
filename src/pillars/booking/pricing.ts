/**
 * What a party pays: per price category, the departure's override else the tour's price, times the head count;
 * then a promo code's discount. Pure integer arithmetic in minor units — no floats touch money.
 */
import type { PriceOverrides, Prices } from '../discovery/schema.ts'
import { PRICE_CATEGORIES, type PriceCategory } from '../discovery/schema.ts'

export type Party = Partial<Record<PriceCategory, number>>

export interface PriceLine {
  category: PriceCategory
  unit: number
  qty: number
  subtotal: number
}

export interface Breakdown {
  lines: PriceLine[]
  subtotal: number
  discount: { code: string; amount: number } | null
  total: number
  currency: string
}

export interface Discount {
  code: string
  percentOff?: number | null
  amountOff?: number | null
}

/** Categories the party names that neither the departure nor the tour prices (they are not sold). */
export function unpricedCategories(party: Party, prices: Prices, overrides: PriceOverrides | null): PriceCategory[] {
  return PRICE_CATEGORIES.filter((c) => (party[c] ?? 0) > 0 && unitPrice(c, prices, overrides) === undefined)
}

export function unitPrice(category: PriceCategory, prices: Prices, overrides: PriceOverrides | null): number | undefined {
  return overrides?.[category] ?? prices[category]
}

export function seatsOf(party: Party): number {
  return PRICE_CATEGORIES.reduce((n, c) => n + (party[c] ?? 0), 0)
}

/** The breakdown; throws if a category has no price (callers check unpricedCategories first and answer 422). */
export function priceParty(party: Party, prices: Prices, overrides: PriceOverrides | null, currency: string, discount?: Discount): Breakdown {
  const lines: PriceLine[] = []
  for (const category of PRICE_CATEGORIES) {
    const qty = party[category] ?? 0
    if (qty <= 0) continue
    const unit = unitPrice(category, prices, overrides)
    if (unit === undefined) throw new RangeError(`no ${category} price`)
    lines.push({ category, unit, qty, subtotal: unit * qty })
  }
  const subtotal = lines.reduce((sum, l) => sum + l.subtotal, 0)
  const amount = discount ? discountAmount(subtotal, discount) : 0
  return { lines, subtotal, discount: discount ? { code: discount.code, amount } : null, total: subtotal - amount, currency }
}

/** A percentage rounds down (the traveller never gets more off than stated); an amount off never exceeds the price. */
export function discountAmount(subtotal: number, discount: Discount): number {
  if (discount.percentOff) return Math.floor((subtotal * discount.percentOff) / 100)
  if (discount.amountOff) return Math.min(subtotal, discount.amountOff)
  return 0
}
