/**
 * Masks secrets before anything is logged: authorization headers, cookies, passwords, tokens, API keys and card
 * data. Applied to every log record on every runtime (pino's own `redact` is not available in its browser build,
 * which is what Workers load), so a secret passed by mistake still never reaches the log sink.
 */

const SECRET_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|password|passwd|new[-_]?password|current[-_]?password|secret|client[-_]?secret|.*token|.*_secret|card[-_]?number|cardnumber|pan|cvv|cvc|cvv2|card[-_]?cryptogram|cryptogram|iban)$/i

const CARD_NUMBER = /\b(?:\d[ -]?){13,19}\b/g
export const REDACTED = '[REDACTED]'

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key)
}

/** A copy of `value` with secret-looking fields replaced; cycles and depth are bounded. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return value.replace(CARD_NUMBER, maskCard)
  if (value === null || typeof value !== 'object') return value
  if (depth > 8 || seen.has(value)) return '[…]'
  seen.add(value)
  if (value instanceof Error) {
    return { type: value.name, message: redact(value.message, depth + 1, seen), stack: value.stack }
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== undefined && v !== null ? REDACTED : redact(v, depth + 1, seen)
  }
  return out
}

function maskCard(match: string): string {
  const digits = match.replace(/\D/g, '')
  return luhnValid(digits) ? `${digits.slice(0, 6)}…${digits.slice(-4)}` : match
}

function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i])
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return digits.length >= 13 && sum % 10 === 0
}
