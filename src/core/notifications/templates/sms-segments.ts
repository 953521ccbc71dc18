/**
 * How many SMS parts a text costs, and fitting a templated text into a budget of parts.
 *
 * GSM 03.38: a text made only of the GSM-7 default alphabet (plus its extension table, whose characters cost two
 * septets: an escape and the character) is sent in 7-bit units, 160 per single message or 153 per part of a
 * concatenated one (the user data header takes 7). Any other character (Cyrillic, CJK, emoji, `…`, curly quotes)
 * switches the whole message to UCS-2: 70 UTF-16 code units alone or 67 per part, an emoji (a surrogate pair)
 * costing 2. Parts are packed the way handsets split them: an escape pair or a surrogate pair never straddles two
 * parts, so the count is exact at part boundaries rather than a ceil() approximation.
 */

export type SmsEncoding = 'GSM-7' | 'UCS-2'

export interface SmsSegments {
  encoding: SmsEncoding
  /** Septets (GSM-7, extension characters count 2) or UTF-16 code units (UCS-2). */
  units: number
  /** Parts the text is sent as; 0 for an empty text. */
  segments: number
}

// The default alphabet without ESC (0x1B), which is not a character a text can contain.
const GSM7_BASIC = new Set(
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
)
const GSM7_EXTENSION = new Set('\f^{}\\[~]|€')

const LIMITS = {
  'GSM-7': { single: 160, part: 153 },
  'UCS-2': { single: 70, part: 67 },
} as const

/** True when every character is in the GSM-7 default alphabet or its extension table. */
export function isGsm7(text: string): boolean {
  for (const ch of text) if (!GSM7_BASIC.has(ch) && !GSM7_EXTENSION.has(ch)) return false
  return true
}

export function smsSegments(text: string): SmsSegments {
  const encoding: SmsEncoding = isGsm7(text) ? 'GSM-7' : 'UCS-2'
  // Cost of each indivisible character: septets for GSM-7, code units (1 or 2) for UCS-2.
  const costs: number[] = []
  for (const ch of text) costs.push(encoding === 'GSM-7' ? (GSM7_EXTENSION.has(ch) ? 2 : 1) : ch.length)
  const units = costs.reduce((a, b) => a + b, 0)
  const { single, part } = LIMITS[encoding]
  if (units === 0) return { encoding, units, segments: 0 }
  if (units <= single) return { encoding, units, segments: 1 }
  let segments = 1
  let used = 0
  for (const cost of costs) {
    if (used + cost > part) {
      segments++
      used = 0
    }
    used += cost
  }
  return { encoding, units, segments }
}

const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' })

/** User-perceived characters: never cuts an emoji, a flag or a letter with its combining accent in half. */
export function graphemes(text: string): string[] {
  return Array.from(graphemeSegmenter.segment(text), (s) => s.segment)
}

/** `text` cut to at most `max` graphemes including the ellipsis, without trailing spaces or punctuation. */
export function truncate(text: string, max: number, ellipsis = '…'): string {
  const g = graphemes(text)
  if (g.length <= max) return text
  const keep = Math.max(0, max - graphemes(ellipsis).length)
  if (keep === 0) return ''
  return g.slice(0, keep).join('').replace(/[\s,.;:!?«"'(—–-]+$/u, '') + ellipsis
}

export interface ElasticField {
  text: string
  /** Graphemes to keep before other fields are shrunk (shrunk further only as a last resort). */
  min?: number
}

export interface FitOptions {
  maxSegments: number
}

/**
 * The longest text `build` makes that fits in `maxSegments`: elastic fields (a tour title, a meeting point) are
 * shortened with an ellipsis in the order given, first down to their `min`, then as far as needed (to one letter and
 * the ellipsis); if the fixed text alone is still too long, the whole message is cut — a last resort that would cut a
 * link too, so templates keep their fixed text well inside the budget (their tests check it with long titles). The result always fits. The ellipsis is `...` when the
 * message is otherwise GSM-7 (`…` would switch it to UCS-2 and more than halve its room), `…` otherwise.
 */
export function fitSms<K extends string>(
  build: (fields: Record<K, string>) => string,
  elastic: Record<K, ElasticField>,
  { maxSegments }: FitOptions,
): string {
  const keys = Object.keys(elastic) as K[]
  const current = Object.fromEntries(keys.map((k) => [k, elastic[k].text])) as Record<K, string>
  const fits = (text: string) => smsSegments(text).segments <= maxSegments
  const full = build(current)
  if (fits(full)) return full
  const ellipsis = isGsm7(full) ? '...' : '…'
  const lengths = Object.fromEntries(keys.map((k) => [k, graphemes(elastic[k].text).length])) as Record<K, number>

  // Second pass: a field keeps at least one letter and the ellipsis, so a quoted title never reads `«»`.
  for (const floorOf of [(k: K) => elastic[k].min ?? 0, () => 2]) {
    for (const key of keys) {
      const floor = Math.min(floorOf(key), lengths[key])
      const at = (n: number) => build({ ...current, [key]: truncate(elastic[key].text, n, ellipsis) })
      if (fits(at(floor))) {
        // The largest n in [floor, length] that fits (binary search: fewer graphemes never cost more units).
        let lo = floor
        let hi = lengths[key]
        while (lo < hi) {
          const mid = Math.ceil((lo + hi) / 2)
          if (fits(at(mid))) lo = mid
          else hi = mid - 1
        }
        current[key] = truncate(elastic[key].text, lo, ellipsis)
        return build(current)
      }
      current[key] = truncate(elastic[key].text, floor, ellipsis)
    }
  }
  // The fixed text alone is too long: cut the whole message.
  const text = build(current)
  const g = graphemes(text)
  let lo = 0
  let hi = g.length
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (fits(truncate(text, mid, ellipsis))) lo = mid
    else hi = mid - 1
  }
  return truncate(text, lo, ellipsis)
}
