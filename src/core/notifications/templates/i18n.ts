/**
 * Recipient locales and message catalogs. Russian is the source language: its catalog is complete by type, and any
 * string missing from `en` or `zh` falls back to the Russian one — never to a key name. A plural message is chosen
 * with the plural rules of the language it is written in (a Russian fallback in a Chinese message still says
 * "5 мест", not "5 места").
 */

export const LOCALES = ['ru', 'en', 'zh'] as const
export type Locale = (typeof LOCALES)[number]
export const FALLBACK_LOCALE: Locale = 'ru'

/** The BCP 47 tag Intl formats each locale with. */
export const INTL_LOCALE: Record<Locale, string> = { ru: 'ru-RU', en: 'en', zh: 'zh-CN' }

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value)
}

/** `ru-RU`, `zh-Hans-CN`, `EN_us` → ours; anything else → `fallback`. */
export function resolveLocale(tag: string | null | undefined, fallback: Locale = FALLBACK_LOCALE): Locale {
  const language = tag?.trim().toLowerCase().split(/[-_]/)[0]
  return isLocale(language) ? language : fallback
}

export type PluralForms = Partial<Record<Exclude<Intl.LDMLPluralRule, 'other'>, string>> & { other: string }
export type Message = string | PluralForms

export interface Catalog<K extends string> {
  ru: Record<K, Message>
  en: Partial<Record<K, Message>>
  zh: Partial<Record<K, Message>>
}

export type Params = Record<string, string | number>

export interface Translator<K extends string> {
  readonly locale: Locale
  /** The message with `{name}` placeholders filled in. */
  t(key: K, params?: Params): string
  /** The plural form for `count` (also available as `{count}`). */
  plural(key: K, count: number, params?: Params): string
}

const pluralRules = new Map<Locale, Intl.PluralRules>()
function rulesFor(locale: Locale): Intl.PluralRules {
  let rules = pluralRules.get(locale)
  if (!rules) pluralRules.set(locale, (rules = new Intl.PluralRules(INTL_LOCALE[locale])))
  return rules
}

function interpolate(key: string, template: string, params: Params, locale: Locale): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name]
    if (value === undefined) throw new Error(`message "${key}" needs the parameter {${name}}`)
    return typeof value === 'number' ? new Intl.NumberFormat(INTL_LOCALE[locale]).format(value) : value
  })
}

export function createTranslator<K extends string>(catalog: Catalog<K>, locale: Locale): Translator<K> {
  function lookup(key: K): { message: Message; language: Locale } {
    const own = catalog[locale][key]
    if (own !== undefined) return { message: own, language: locale }
    const fallback = catalog[FALLBACK_LOCALE][key]
    // Only reachable by a catalog built outside the types (a cast or a JSON file): a bug, not a missing translation.
    if (fallback === undefined) throw new Error(`message "${key}" is missing from the ${FALLBACK_LOCALE} catalog`)
    return { message: fallback, language: FALLBACK_LOCALE }
  }
  return {
    locale,
    t(key, params = {}) {
      const { message, language } = lookup(key)
      if (typeof message !== 'string') throw new Error(`message "${key}" is a plural: use plural()`)
      return interpolate(key, message, params, language)
    },
    plural(key, count, params = {}) {
      const { message, language } = lookup(key)
      const forms: PluralForms = typeof message === 'string' ? { other: message } : message
      const form = forms[rulesFor(language).select(count)] ?? forms.other
      return interpolate(key, form, { count, ...params }, language)
    },
  }
}

/** Catalogs merged key by key (a template's own strings over the shared ones). */
export function mergeCatalogs<A extends string, B extends string>(a: Catalog<A>, b: Catalog<B>): Catalog<A | B> {
  return {
    ru: { ...a.ru, ...b.ru } as Record<A | B, Message>,
    en: { ...a.en, ...b.en } as Partial<Record<A | B, Message>>,
    zh: { ...a.zh, ...b.zh } as Partial<Record<A | B, Message>>,
  }
}
