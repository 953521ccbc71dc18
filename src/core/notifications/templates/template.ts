/**
 * What a template is: a zod schema for its variables, a message catalog, realistic sample variables (the admin
 * preview and the snapshots render them), and a render function from valid variables to channel contents. A render
 * function only picks strings and facts; escaping, SMS budgets and push lengths are applied by the engine.
 */
import type { z } from 'zod'
import type { EmailContent } from './email-layout.ts'
import { createTranslator, mergeCatalogs, type Catalog, type Locale, type Translator } from './i18n.ts'
import { formatDateTime, formatMoney, formatParty, type DateStyle, type Money, type Party } from './format.ts'
import { SHARED_MESSAGES, type SharedKey } from './shared-messages.ts'
import { fitSms, type ElasticField } from './sms-segments.ts'

/** Every SMS a template renders fits in this many parts, whatever the locale and the length of a tour title. */
export const SMS_MAX_SEGMENTS = 2

export interface TemplateOutput {
  email: EmailContent
  sms: string
  push: { title: string; body: string; data?: Record<string, string> }
}

export interface RenderContext<K extends string> {
  locale: Locale
  tr: Translator<K | SharedKey>
  money(money: Money): string
  dateTime(instant: string, timeZone: string, style?: DateStyle): string
  party(party: Party): string
  /** `build` with the elastic fields shortened until the text fits the SMS budget (see fitSms). */
  sms<F extends string>(build: (fields: Record<F, string>) => string, elastic: Record<F, ElasticField>): string
}

export interface TemplateDefinition<S extends z.ZodType, K extends string> {
  schema: S
  messages: Catalog<K>
  sample: z.input<S>
  /** `critical`: the recipient must see it (a cancelled departure) — pushes go out with high urgency. */
  priority: 'critical' | 'normal'
  render(variables: z.output<S>, ctx: RenderContext<K>): TemplateOutput
}

export function defineTemplate<S extends z.ZodType, K extends string>(definition: TemplateDefinition<S, K>) {
  return definition
}

// SMS has no non-breaking or narrow spaces in GSM-7; Intl puts them in dates and amounts (`08:00 AM`, `12 500 ₽`).
const SMS_SPACES = /[\u00a0\u2007\u2009\u202f]/g

// A template's catalogue merged with the shared one, per locale: built once, not on every message the queue sends.
const translators = new WeakMap<object, Map<Locale, unknown>>()

function translatorFor<K extends string>(messages: Catalog<K>, locale: Locale) {
  let byLocale = translators.get(messages)
  if (!byLocale) translators.set(messages, (byLocale = new Map()))
  let tr = byLocale.get(locale)
  if (!tr) byLocale.set(locale, (tr = createTranslator(mergeCatalogs(SHARED_MESSAGES, messages), locale)))
  return tr as Translator<K | SharedKey>
}

/**
 * `sms: false` skips fitting the SMS text (repeated segment counting, the costliest step of a render) when the
 * message goes out on another channel.
 */
export function renderContext<K extends string>(messages: Catalog<K>, locale: Locale, { sms = true }: { sms?: boolean } = {}): RenderContext<K> {
  const tr = translatorFor(messages, locale)
  return {
    locale,
    tr,
    money: (money) => formatMoney(money, locale),
    dateTime: (instant, timeZone, style) => formatDateTime(instant, timeZone, locale, style),
    party: (party) => formatParty(party, tr),
    sms: (build, elastic) => (sms ? fitSms((fields) => build(fields).replace(SMS_SPACES, ' '), elastic, { maxSegments: SMS_MAX_SEGMENTS }) : ''),
  }
}
