/**
 * Subscription patterns over dot-separated event types: `*` matches exactly one segment, `#` zero or more
 * (`booking.*`, `*.cancelled`, `payment.#`, `#`). A pattern compiles to one anchored regular expression that
 * means the same in JavaScript and in PostgreSQL (ARE), so fan-out is decided inside the publishing INSERT.
 *
 * The expression is matched against the type with a dot in front (`.booking.held`): every segment then carries
 * its own leading dot, and `#` can stand for nothing at all, dot included (`payment.#` matches `payment`).
 */

const SEGMENT = /^[a-z0-9_-]+$/i

export class PatternError extends Error {
  override name = 'PatternError'
}

export function validatePattern(pattern: string): void {
  if (!pattern) throw new PatternError('a pattern cannot be empty')
  for (const segment of pattern.split('.')) {
    if (segment !== '*' && segment !== '#' && !SEGMENT.test(segment)) {
      throw new PatternError(`invalid segment "${segment}" in pattern "${pattern}"`)
    }
  }
}

/** The regex source, to be matched against `'.' + type` (see `dotted`). */
export function patternToRegexSource(pattern: string): string {
  validatePattern(pattern)
  const body = pattern
    .split('.')
    .map((segment) => (segment === '#' ? '(\\.[^.]+)*' : segment === '*' ? '\\.[^.]+' : `\\.${segment.replace(/-/g, '\\-')}`))
    .join('')
  return `^${body}$`
}

export const dotted = (type: string) => `.${type}`

export function compilePattern(pattern: string): (type: string) => boolean {
  const regex = new RegExp(patternToRegexSource(pattern))
  return (type) => regex.test(dotted(type))
}

export function matchesAny(type: string, patterns: string[]): boolean {
  return patterns.some((p) => compilePattern(p)(type))
}
