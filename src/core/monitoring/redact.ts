/**
 * Masks secrets before anything is logged: authorization headers, cookies, passwords, tokens, API keys and card
 * data. Applied to every log record on every runtime (pino's own `redact` is not available in its browser build,
 * which is what Workers load, and it only knows fixed paths), so a secret passed by mistake still never reaches
 * the log sink. Two nets: a field whose *name* looks secret is replaced whole; any *string* is scanned for
 * secret-shaped text (card numbers, bearer credentials, JWTs, `password=…`, URL passwords, Drizzle's `params:`).
 */

export const REDACTED = '[REDACTED]'

// Matched against the key lower-cased with `-`, `_`, `.` and spaces removed, so `X-Api-Key`, `api_key` and `apiKey`
// are one name. Substrings on purpose: `refresh_token`, `tokenHash`, `clientSecret`, `set-cookie` all hit.
const SECRET_KEY =
  /password|passwd|passphrase|secret|token|apikey|authorization|cookie|credential|privatekey|accesskey|sessionid|cardnumber|cvv|cvc|securitycode|cryptogram|^pan$|^pin$|^iban$/

// Cheap first looks: most log strings are paths, ids and words; they pass these two tests and are returned as is.
const DIGIT_RUN = /\d(?:[ -]?\d){12}/ // what any card number contains: 13 digits, maybe grouped
const SUSPECT = /bearer|basic|token|eyJ|pass|secret|key|auth|cookie|cvv|cvc|:\/\/|params:/i

// A PAN: 13–19 digits, optionally grouped by spaces or dashes, not glued to other word characters (UUID segments,
// decimals). Only issuer prefixes 2–6 (Mir, Visa, Mastercard, Amex, JCB, UnionPay, Discover): 13-digit millisecond
// timestamps start with 1 and must not be mistaken for cards. Masked only when the Luhn check passes.
const CARD_NUMBER = /(?<![\w-]|\d\.)[2-6](?:[ -]?\d){12,18}(?![\w-]|\.\d)/g
const AUTH_SCHEME = /\b(Bearer|Basic|Token)\s+[\w.~+/=-]{6,}/gi
const JWT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g
// `password=hunter2`, `api_key=…` in query strings, form bodies and connection strings.
const ASSIGNMENT = /\b([\w-]*(?:password|passwd|secret|token|api[-_]?key|cvv|cvc)[\w-]*)(\s*=\s*)("[^"]*"|'[^']*'|[^\s&;,"']+)/gi
// `"password": "hunter2"` inside JSON text (a request body echoed in an error message).
const JSON_FIELD = /("[\w-]*(?:password|passwd|secret|token|api[-_]?key|authorization|cookie|cvv|cvc)[\w-]*"\s*:\s*)"(?:[^"\\]|\\.)*"/gi
const URL_PASSWORD = /(\b[a-z][a-z\d+.-]*:\/\/[^/\s:@]*:)[^@/\s]+@/gi
// Drizzle's DrizzleQueryError message is "Failed query: <sql>\nparams: <values>"; values are user data.
const QUERY_PARAMS = /^(params:)[^\n]*/gm

const keyCache = new Map<string, boolean>()

export function isSecretKey(key: string): boolean {
  let secret = keyCache.get(key)
  if (secret === undefined) {
    secret = SECRET_KEY.test(key.toLowerCase().replace(/[-_. ]/g, ''))
    // Keys can come from caller-controlled objects: keep the memo bounded.
    if (keyCache.size >= 1000) keyCache.clear()
    keyCache.set(key, secret)
  }
  return secret
}

/** `text` with card numbers masked to first 6 / last 4 and other secret-shaped substrings replaced. */
export function redactString(text: string): string {
  if (text.length < 6) return text
  let out = DIGIT_RUN.test(text) ? text.replace(CARD_NUMBER, maskCard) : text
  if (SUSPECT.test(out)) {
    out = out
      .replace(JWT, REDACTED)
      .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
      .replace(URL_PASSWORD, `$1${REDACTED}@`)
      .replace(ASSIGNMENT, `$1$2${REDACTED}`)
      .replace(JSON_FIELD, `$1"${REDACTED}"`)
      .replace(QUERY_PARAMS, `$1 ${REDACTED}`)
  }
  return out
}

/** A copy of `value` with secret-looking fields replaced; cycles and depth are bounded. */
export function redact(value: unknown): unknown {
  return redactValue(value, 0, [])
}

// Runs on every log record: plain recursion with the ancestor path in one array, no per-call closures or sets.
function redactValue(value: unknown, depth: number, ancestors: object[]): unknown {
  switch (typeof value) {
    case 'string':
      return redactString(value)
    case 'number':
      // A card number logged as a number: only integers that are long enough can be one.
      return Number.isInteger(value) && value >= 1e12 ? maskNumber(value) : value
    case 'bigint':
      return maskNumber(value)
    case 'object':
      break
    default:
      return value
  }
  if (value === null) return value
  // Only ancestors count as cycles: the same object twice side by side is logged twice.
  if (depth > 8 || ancestors.includes(value)) return '[…]'
  ancestors.push(value)
  try {
    return redactObject(value, depth + 1, ancestors)
  } finally {
    ancestors.pop()
  }
}

function redactObject(value: object, depth: number, ancestors: object[]): unknown {
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length)
    for (let i = 0; i < value.length; i++) out[i] = redactValue(value[i], depth, ancestors)
    return out
  }
  if (value instanceof Error) return redactError(value, depth, ancestors)
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString()
  if (value instanceof URL) return redactString(value.href)
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`
  // Headers, Map and Set have no own enumerable fields: walked as they would be read, so their secrets are seen.
  if (value instanceof Headers || value instanceof Map) return redactEntries(value.entries(), depth, ancestors)
  if (value instanceof Set) return redactObject([...value], depth, ancestors)
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return redactValue((value as { toJSON(): unknown }).toJSON(), depth, ancestors)
  }
  const out: Record<string, unknown> = {}
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    const v = (value as Record<string, unknown>)[key]
    out[key] = v !== undefined && v !== null && isSecretKey(key) ? REDACTED : redactValue(v, depth, ancestors)
  }
  return out
}

function redactEntries(entries: Iterable<[unknown, unknown]>, depth: number, ancestors: object[]) {
  const out: Record<string, unknown> = {}
  for (const [k, v] of entries) {
    const key = String(k)
    out[key] = v !== undefined && v !== null && isSecretKey(key) ? REDACTED : redactValue(v, depth, ancestors)
  }
  return out
}

/** The fields pino's standard serializer keeps (type, message, stack, own fields, cause), each redacted. */
function redactError(error: Error, depth: number, ancestors: object[]) {
  const out: Record<string, unknown> = { type: error.name, message: redactString(error.message) }
  if (error.stack) out.stack = redactString(error.stack)
  for (const [k, v] of Object.entries(error)) {
    if (k === 'message' || k === 'stack') continue
    // Drizzle puts the statement's values on `params` (postgres.js on `parameters` in debug mode).
    out[k] = k === 'params' || k === 'parameters' || (isSecretKey(k) && v != null) ? REDACTED : redactValue(v, depth, ancestors)
  }
  if (error.cause !== undefined && !('cause' in out)) out.cause = redactValue(error.cause, depth, ancestors)
  return out
}

function maskNumber(value: number | bigint): string | number | bigint {
  const text = String(value)
  const masked = redactString(text)
  return masked === text ? value : masked
}

function maskCard(match: string): string {
  const digits = match.replace(/\D/g, '')
  return luhnValid(digits) ? `${digits.slice(0, 6)}…${digits.slice(-4)}` : match
}

function luhnValid(digits: string): boolean {
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return digits.length >= 13 && sum % 10 === 0
}
