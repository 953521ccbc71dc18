/**
 * Search text normalisation: one function applied when a tour is indexed (its `search_text`) and when a query is
 * matched against it, so "Авача", "avacha" and "Avachinsky" land in the same latin, lower-case, trigram-friendly
 * form. Full-text search (stemming) works on the original words; this form is for typo and transliteration
 * tolerance through pg_trgm.
 */
import type { TourContent } from './schema.ts'

// A practical, reversible-enough romanisation (close to the BGN/PCGN spellings maps and operators use:
// Avachinsky, Koryaksky, Klyuchevskaya, Khalaktyrsky, Nalychevo).
const RU_TO_LATIN: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ё: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l', м: 'm',
  н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'shch',
  ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
}

/** Cyrillic → latin, letter by letter; other characters pass through. */
export function transliterate(text: string): string {
  let out = ''
  for (const ch of text.toLowerCase()) out += RU_TO_LATIN[ch] ?? ch
  return out
}

/**
 * The normal form: transliterated, accents stripped, lower-case, punctuation to spaces, and the spelling variants
 * of Russian adjective endings folded ("avachinskiy", "avachinskii", "avachinskij" → "avachinsky"), because
 * English texts write -sky where a letter-by-letter transliteration writes -skiy.
 */
export function normaliseSearchText(text: string): string {
  return transliterate(text.normalize('NFKD').replace(/\p{M}+/gu, ''))
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .replace(/(?:iy|ii|ij|yi|yy)\b/g, 'y')
    .trim()
    .replace(/\s+/g, ' ')
}

/** The `search_text` of a tour: its titles and meeting points in every language, normalised, without repeats. */
export function tourSearchText(parts: Array<string | undefined>): string {
  const words = new Set<string>()
  for (const part of parts) {
    if (!part) continue
    for (const word of normaliseSearchText(part).split(' ')) if (word) words.add(word)
  }
  // pg_trgm indexes whole strings; a few hundred characters is plenty for titles and places.
  return [...words].join(' ').slice(0, 1000)
}

/**
 * A tour's `search_text`: titles and meeting points in Russian and English. Chinese is left out — pg_trgm only
 * makes trigrams of characters the database locale calls alphanumeric, which differs between PGlite and servers.
 */
export function searchTextOf(content: TourContent): string {
  return tourSearchText([content.ru.title, content.en?.title, content.ru.meetingPoint, content.en?.meetingPoint])
}
