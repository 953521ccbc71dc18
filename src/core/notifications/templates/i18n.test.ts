import { describe, expect, it } from 'vitest'
import { createTranslator, resolveLocale, type Catalog } from './i18n.ts'
import { SHARED_MESSAGES } from './shared-messages.ts'

const catalog: Catalog<'hello' | 'seats' | 'named'> = {
  ru: {
    hello: 'Привет',
    seats: { one: '{count} место', few: '{count} места', many: '{count} мест', other: '{count} места' },
    named: 'Здравствуйте, {name}!',
  },
  en: { hello: 'Hello', seats: { one: '{count} place', other: '{count} places' } },
  zh: {},
}

describe('fallback to Russian', () => {
  it('a string missing from zh renders the Russian string, not the key', () => {
    const tr = createTranslator(catalog, 'zh')
    expect(tr.t('hello')).toBe('Привет')
    expect(tr.t('named', { name: 'Li Wei' })).toBe('Здравствуйте, Li Wei!')
  })

  it('a translated string wins over the fallback', () => {
    expect(createTranslator(catalog, 'en').t('hello')).toBe('Hello')
  })

  it('a plural falling back to Russian is chosen with Russian rules (zh has a single form)', () => {
    const tr = createTranslator(catalog, 'zh')
    expect([1, 2, 5, 11, 21, 22].map((n) => tr.plural('seats', n))).toEqual(['1 место', '2 места', '5 мест', '11 мест', '21 место', '22 места'])
  })

  it('a key absent even from Russian (a catalog built past the types) is an error, never the key name', () => {
    const broken = { ru: {}, en: {}, zh: {} } as unknown as Catalog<'ghost'>
    expect(() => createTranslator(broken, 'zh').t('ghost')).toThrow(/"ghost" is missing from the ru catalog/)
  })
})

describe('messages', () => {
  it('a missing placeholder parameter throws, naming it', () => {
    expect(() => createTranslator(catalog, 'ru').t('named')).toThrow('{name}')
  })

  it('a plural message asked for as plain text throws (it would need a count)', () => {
    expect(() => createTranslator(catalog, 'ru').t('seats')).toThrow(/plural/)
  })

  it('Russian plural forms: 1 место / 2 места / 5 мест, 1 ребёнок / 3 ребёнка / 5 детей', () => {
    const tr = createTranslator(SHARED_MESSAGES, 'ru')
    expect([1, 2, 5].map((n) => tr.plural('seats', n))).toEqual(['1 место', '2 места', '5 мест'])
    expect([1, 3, 5, 21].map((n) => tr.plural('party.child', n))).toEqual(['1 ребёнок', '3 ребёнка', '5 детей', '21 ребёнок'])
    expect([1, 2, 5].map((n) => tr.plural('party.adult', n))).toEqual(['1 взрослый', '2 взрослых', '5 взрослых'])
  })

  it('English plural forms: 1 place / 2 places; Chinese has one form', () => {
    expect([1, 2].map((n) => createTranslator(SHARED_MESSAGES, 'en').plural('seats', n))).toEqual(['1 place', '2 places'])
    expect([1, 2].map((n) => createTranslator(SHARED_MESSAGES, 'zh').plural('seats', n))).toEqual(['1个名额', '2个名额'])
  })

  it('counts are written with the locale digit grouping', () => {
    expect(createTranslator(SHARED_MESSAGES, 'ru').plural('seats', 1500)).toBe('1\u00a0500 мест')
    expect(createTranslator(SHARED_MESSAGES, 'en').plural('seats', 1500)).toBe('1,500 places')
  })
})

describe('resolveLocale', () => {
  it('maps language tags to ru/en/zh and anything else to Russian', () => {
    expect(['ru-RU', 'EN_us', 'zh-Hans-CN', 'en', 'de-DE', '', undefined, null].map((t) => resolveLocale(t))).toEqual([
      'ru', 'en', 'zh', 'en', 'ru', 'ru', 'ru', 'ru',
    ])
    expect(resolveLocale('de', 'en')).toBe('en')
  })
})
