/**
 * Content language: which of ru, en and zh an answer is written in, from `Accept-Language` (RFC 9110 weights) or
 * an explicit `lang`, falling back to Russian — the language every tour must have. Missing fields of the chosen
 * language fall back to Russian field by field, so a half-translated tour still reads whole.
 */
import { CONTENT_LANGUAGES, type ContentLanguage, type LocalisedContent, type TourContent } from './schema.ts'

export const FALLBACK_LANGUAGE: ContentLanguage = 'ru'

const isContentLanguage = (tag: string): tag is ContentLanguage => (CONTENT_LANGUAGES as readonly string[]).includes(tag)

/** The best supported language of an Accept-Language header (`en-GB;q=0.8, zh-Hans;q=0.9` → zh). */
export function pickLanguage(acceptLanguage: string | undefined | null): ContentLanguage {
  if (!acceptLanguage) return FALLBACK_LANGUAGE
  const ranked = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';')
      const q = params.map((p) => /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p)).find(Boolean)
      return { primary: range.trim().toLowerCase().split('-')[0]!, q: q ? Number(q[1]) : 1, index }
    })
    .filter((r) => r.q > 0 && r.primary)
    .sort((a, b) => b.q - a.q || a.index - b.index)
  for (const r of ranked) if (isContentLanguage(r.primary)) return r.primary
  return FALLBACK_LANGUAGE
}

/** The tour's text in `lang`, each missing field taken from Russian. */
export function localise(content: TourContent, lang: ContentLanguage): LocalisedContent {
  const base = content.ru
  const chosen = lang === 'ru' ? undefined : content[lang]
  if (!chosen) return base
  return {
    title: chosen.title || base.title,
    summary: chosen.summary || base.summary,
    description: chosen.description || base.description,
    meetingPoint: chosen.meetingPoint || base.meetingPoint,
  }
}

/** The languages a tour has any text in (ru always). */
export function availableLanguages(content: TourContent): ContentLanguage[] {
  return CONTENT_LANGUAGES.filter((l) => l === 'ru' || Boolean(content[l]?.title || content[l]?.summary || content[l]?.description))
}
