import { describe, expect, it } from 'vitest'
import { formatDateTime, formatMoney, formatParty } from './format.ts'
import { createTranslator } from './i18n.ts'
import { SHARED_MESSAGES } from './shared-messages.ts'

const NBSP = '\u00a0'

// Whatever spacing ICU gives (a no-break space here) is what recipients get; these pin Node's ICU.
describe('formatMoney', () => {
  it('shows integer minor units in the recipient locale, whole amounts without kopecks', () => {
    expect(formatMoney({ amount: 1_250_000, currency: 'RUB' }, 'ru')).toBe(`12${NBSP}500${NBSP}₽`)
    expect(formatMoney({ amount: 1_250_000, currency: 'RUB' }, 'en')).toBe(`RUB${NBSP}12,500`)
    expect(formatMoney({ amount: 1_250_000, currency: 'RUB' }, 'zh')).toBe(`RUB${NBSP}12,500`)
  })

  it('a fractional amount shows all of the currency decimals', () => {
    expect(formatMoney({ amount: 1_250_050, currency: 'RUB' }, 'ru')).toBe(`12${NBSP}500,50${NBSP}₽`)
    expect(formatMoney({ amount: 1_250_005, currency: 'RUB' }, 'en')).toBe(`RUB${NBSP}12,500.05`)
    expect(formatMoney({ amount: 1999, currency: 'USD' }, 'en')).toBe('$19.99')
  })

  it('zero-decimal currencies: 1000 minor units of JPY are ¥1,000, not ¥10', () => {
    expect(formatMoney({ amount: 1000, currency: 'JPY' }, 'en')).toBe('¥1,000')
    expect(formatMoney({ amount: 500_000, currency: 'KRW' }, 'ru')).toBe(`500${NBSP}000${NBSP}₩`)
  })

  it('three-decimal currencies: 1234 fils of KWD are 1.234', () => {
    expect(formatMoney({ amount: 1234, currency: 'KWD' }, 'en')).toBe(`KWD${NBSP}1.234`)
  })

  it('large amounts never lose a digit to floating point', () => {
    expect(formatMoney({ amount: 9_007_199_254_740_991, currency: 'RUB' }, 'en')).toBe(`RUB${NBSP}90,071,992,547,409.91`)
  })
})

describe('formatDateTime in the tour time zone', () => {
  // 08:00 on 15 July in Kamchatka (UTC+12) is 20:00 on 14 July in UTC: the previous UTC day.
  const departure = '2026-07-14T20:00:00.000Z'

  it('a departure at 08:00 Kamchatka time shows the Kamchatka date, not the previous UTC day', () => {
    expect(formatDateTime(departure, 'Asia/Kamchatka', 'ru', 'date')).toBe('15 июля 2026 г.')
    expect(formatDateTime(departure, 'Asia/Kamchatka', 'en', 'date')).toBe('July 15, 2026')
    expect(formatDateTime(departure, 'UTC', 'en', 'date')).toBe('July 14, 2026')
  })

  it('shows the time with the zone in every locale', () => {
    expect(formatDateTime(departure, 'Asia/Kamchatka', 'ru')).toBe('среда, 15 июля 2026 г. в 08:00 GMT+12')
    expect(formatDateTime(departure, 'Asia/Kamchatka', 'en')).toMatchInlineSnapshot(`"Wednesday, July 15, 2026 at 08:00 AM GMT+12"`)
    expect(formatDateTime(departure, 'Asia/Kamchatka', 'zh')).toMatchInlineSnapshot(`"2026年7月15日星期三 GMT+12 08:00"`)
    expect(formatDateTime(departure, 'Asia/Kamchatka', 'ru', 'short')).toBe('15 июл., 08:00 GMT+12')
  })

  it('the same instant written with a +12:00 offset renders identically', () => {
    expect(formatDateTime('2026-07-15T08:00:00+12:00', 'Asia/Kamchatka', 'ru')).toBe(formatDateTime(departure, 'Asia/Kamchatka', 'ru'))
  })

  it('a tour in another zone is shown in its own zone (Moscow, UTC+3)', () => {
    expect(formatDateTime(departure, 'Europe/Moscow', 'ru', 'time')).toBe('23:00 GMT+3')
  })

  it('an unparseable instant is an error, not "Invalid Date"', () => {
    expect(() => formatDateTime('tomorrow', 'Asia/Kamchatka', 'ru')).toThrow(RangeError)
  })
})

describe('formatParty', () => {
  it('lists categories in a fixed order with their plural forms', () => {
    const ru = createTranslator(SHARED_MESSAGES, 'ru')
    expect(formatParty({ child: 5, adult: 2 }, ru)).toBe('2 взрослых и 5 детей')
    expect(formatParty({ adult: 1, child: 1, infant: 2 }, ru)).toBe('1 взрослый, 1 ребёнок и 2 младенца')
    expect(formatParty({ adult: 1, senior: 0 }, createTranslator(SHARED_MESSAGES, 'en'))).toBe('1 adult')
  })
})
