/**
 * Money, dates and head counts as a recipient reads them. Money arrives as integer minor units and an ISO 4217
 * code and is shown with the currency's own decimals (none for a whole amount: `12 500 ₽`, not `12 500,00 ₽`);
 * the digits never pass through a float. Dates are shown in the tour's time zone — a departure at 08:00 in
 * Kamchatka is 08:00 in every message, whatever the server's or the reader's zone — and always with the zone.
 * The exact spelling is whatever the runtime's Intl (ICU) gives for the locale.
 */
import { currencyExponent, toDecimalString } from '../../payments/money.ts'
import { INTL_LOCALE, type Locale, type Translator } from './i18n.ts'

export interface Money {
  amount: number
  currency: string
}

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.ListFormat>()
function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.ListFormat>(key: string, make: () => T): T {
  let f = cache.get(key) as T | undefined
  if (!f) cache.set(key, (f = make()))
  return f
}

export function formatMoney(money: Money, locale: Locale): string {
  const exponent = currencyExponent(money.currency)
  const decimals = money.amount % 10 ** exponent === 0 ? 0 : exponent
  const format = cached(`money:${locale}:${money.currency}:${decimals}`, () =>
    new Intl.NumberFormat(INTL_LOCALE[locale], {
      style: 'currency',
      currency: money.currency,
      minimumFractionDigits: decimals,
      maximumFractionDigits: decimals,
    }),
  )
  return format.format(toDecimalString(money) as `${number}`)
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}

export type DateStyle = 'long' | 'short' | 'date' | 'time'

const DATE_OPTIONS: Record<DateStyle, Intl.DateTimeFormatOptions> = {
  /** E-mail: `среда, 15 июля 2026 г. в 08:00 GMT+12`. */
  long: { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'shortOffset' },
  /** SMS and push: `15 июл., 08:00 GMT+12`. */
  short: { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', timeZoneName: 'shortOffset' },
  /** A calendar day in the zone: `15 июля 2026 г.`. */
  date: { day: 'numeric', month: 'long', year: 'numeric' },
  /** `08:00 GMT+12`. */
  time: { hour: '2-digit', minute: '2-digit', timeZoneName: 'shortOffset' },
}

/** An instant (ISO 8601 with offset, or a Date) as wall time in `timeZone`, in the recipient's locale. */
export function formatDateTime(instant: string | Date, timeZone: string, locale: Locale, style: DateStyle = 'long'): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant
  if (Number.isNaN(date.getTime())) throw new RangeError(`not an instant: ${String(instant)}`)
  const format = cached(`date:${locale}:${timeZone}:${style}`, () =>
    new Intl.DateTimeFormat(INTL_LOCALE[locale], { ...DATE_OPTIONS[style], timeZone }),
  )
  return format.format(date)
}

export function formatList(items: string[], locale: Locale): string {
  return cached(`list:${locale}`, () => new Intl.ListFormat(INTL_LOCALE[locale], { type: 'conjunction' })).format(items)
}

export const PARTY_CATEGORIES = ['adult', 'child', 'senior', 'infant'] as const
export type PartyCategory = (typeof PARTY_CATEGORIES)[number]
export type Party = Partial<Record<PartyCategory, number>>

export function seatsOf(party: Party): number {
  return PARTY_CATEGORIES.reduce((n, c) => n + (party[c] ?? 0), 0)
}

export type PartyKeys = `party.${PartyCategory}`

/** `2 взрослых и 1 ребёнок` / `2 adults and 1 child`: each category with its plural, in a fixed order. */
export function formatParty(party: Party, tr: Translator<PartyKeys>): string {
  const parts = PARTY_CATEGORIES.filter((c) => (party[c] ?? 0) > 0).map((c) => tr.plural(`party.${c}`, party[c]!))
  return formatList(parts, tr.locale)
}
