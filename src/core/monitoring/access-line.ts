/**
 * The access line as UTF-8 bytes, written into a log batch where it starts (access-log.ts): the same text pino's
 * JSON builder would give, without a string per part, a concatenated line to flatten, or an encoding pass over it.
 * What repeats is kept encoded: the line's beginning (level, time, bindings) for the current millisecond, and each
 * method, route and path as its whole `,"key":"value"` field. The request id is copied byte for byte, the status and
 * the duration are written digit by digit.
 */
import type { AccessRecord } from './access-log.ts'

export type AccessLevel = 'debug' | 'info' | 'error'

const encoder = new TextEncoder()
const ascii = (text: string) => encoder.encode(text)

const OPEN: Record<AccessLevel, Uint8Array> = { debug: ascii('{"level":"debug"'), info: ascii('{"level":"info"'), error: ascii('{"level":"error"') }
const REQUEST_ID = ascii(',"requestId":')
const STATUS = ascii(',"status":')
const DURATION = ascii(',"durationMs":')
const CLOSE = ascii(',"msg":"request"}\n')
const CONSTANT_BYTES = [REQUEST_ID, STATUS, DURATION, CLOSE].reduce((n, b) => n + b.length, 0)
/** The longest a string's JSON form gets in UTF-8 per UTF-16 unit (`\u001f`; a lone surrogate escaped), plus its quotes. */
const ESCAPED_PER_UNIT = 6
const QUOTES = 2
/** `String(n)` of any number is at most this long (`-1.2345678901234567e-300`). */
const NUMBER_MAX = 24
/** Below this many hundredths of a millisecond, `h / 100` prints as its two-decimal text (doubles there are far finer than 0.01). */
const EXACT_HUNDREDTHS = 1e13

/**
 * What every line of one logger shares, kept as bytes: for each level, the line up to its first own field — the
 * level, the time, the logger's bindings — rebuilt when the time's text changes (once a millisecond at most).
 */
export class LineHead {
  private readonly bindings: Uint8Array
  private timeText = ''
  private readonly prefixes: Partial<Record<AccessLevel, Uint8Array>> = {}

  constructor(bindings: string) {
    this.bindings = encoder.encode(bindings)
  }

  /** The line's beginning for `level` at pino's time field `time`. */
  prefix(level: AccessLevel, time: string): Uint8Array {
    if (time !== this.timeText) {
      this.timeText = time
      this.prefixes.debug = this.prefixes.info = this.prefixes.error = undefined
    }
    return (this.prefixes[level] ??= concat(OPEN[level], encoder.encode(time), this.bindings))
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    all.set(part, at)
    at += part.length
  }
  return all
}

/**
 * A field as the bytes `,"key":<the value's JSON>`, remembered for values that repeat (methods, routes, clean paths)
 * in a bounded map: looking a string up costs a hash, encoding it again a scan and a copy per character.
 */
export class FieldBytes {
  private readonly memo = new Map<string, Uint8Array>()

  constructor(
    private readonly key: string,
    private readonly max = 4096,
  ) {}

  /** The field for `value`, remembered unless `remember` is false (a value that must not stay in memory). */
  of(value: string, remember = true): Uint8Array {
    let bytes = this.memo.get(value)
    if (bytes) return bytes
    bytes = encoder.encode(`,"${this.key}":${jsonString(value)}`)
    if (remember) {
      if (this.memo.size >= this.max) this.memo.clear()
      this.memo.set(value, bytes)
    }
    return bytes
  }

  /** The field of a value known to be remembered, without encoding it: undefined when it is not. */
  remembered(value: string): Uint8Array | undefined {
    return this.memo.get(value)
  }
}

/** What one line is made of: its beginning, its encoded fields, and what is written fresh each time. */
export interface LineParts {
  prefix: Uint8Array
  method: Uint8Array
  path: Uint8Array
  route: Uint8Array
}

/** Bytes the line can take at most: what to reserve before writing it. */
export function accessLineBound(parts: LineParts, r: AccessRecord): number {
  const fields = parts.prefix.length + parts.method.length + parts.path.length + parts.route.length
  return fields + CONSTANT_BYTES + ESCAPED_PER_UNIT * r.requestId.length + QUOTES + 2 * NUMBER_MAX
}

/** Writes the line at `at` (room for `accessLineBound` bytes is there) and answers where it ends. */
export function writeAccessLine(batch: Uint8Array, at: number, parts: LineParts, r: AccessRecord): number {
  let p = copy(batch, at, parts.prefix)
  p = jsonStringBytes(batch, copy(batch, p, REQUEST_ID), r.requestId)
  p = copy(batch, p, parts.method)
  p = copy(batch, p, parts.path)
  p = copy(batch, p, parts.route)
  p = numberBytes(batch, copy(batch, p, STATUS), r.status)
  p = durationBytes(batch, copy(batch, p, DURATION), r.durationMs)
  return copy(batch, p, CLOSE)
}

/**
 * `JSON.stringify(text)` for a string, the same text: most of these (ids, methods, routes, paths) need no escaping,
 * and a scan for the characters that do is cheaper than the builtin's set-up.
 */
export function jsonString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // Control characters, `"`, `\`, and surrogates (a lone one is escaped): the builtin decides those.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(text)
  }
  return `"${text}"`
}

function copy(batch: Uint8Array, at: number, bytes: Uint8Array): number {
  batch.set(bytes, at)
  return at + bytes.length
}

/** The string's JSON form in UTF-8: copied as it is while it is printable ASCII without `"` or `\`. */
function jsonStringBytes(batch: Uint8Array, at: number, text: string): number {
  batch[at] = 0x22
  let p = at + 1
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x22 || c === 0x5c || c >= 0x80) return at + encoder.encodeInto(jsonString(text), batch.subarray(at)).written
    batch[p++] = c
  }
  batch[p] = 0x22
  return p + 1
}

/** A number as pino writes it: digits by hand for a non-negative integer (a status), else the builtin's text. */
function numberBytes(batch: Uint8Array, at: number, n: number): number {
  if (!(Number.isInteger(n) && n >= 0 && n < EXACT_HUNDREDTHS)) return asciiBytes(batch, at, numberText(n))
  let digits = 1
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++
  for (let i = digits - 1, rest = n; i >= 0; i--, rest = Math.floor(rest / 10)) batch[at + i] = 0x30 + (rest % 10)
  return at + digits
}

/**
 * A duration rounded to hundredths (envelope.ts) as the builtin prints it: whole milliseconds, then one or two
 * decimals without a trailing zero. Any other number is written as `numberText` has it.
 */
function durationBytes(batch: Uint8Array, at: number, ms: number): number {
  const hundredths = Math.round(ms * 100)
  if (!(hundredths >= 0 && hundredths < EXACT_HUNDREDTHS && hundredths / 100 === ms)) return asciiBytes(batch, at, numberText(ms))
  let p = numberBytes(batch, at, Math.floor(hundredths / 100))
  const fraction = hundredths % 100
  if (fraction === 0) return p
  batch[p++] = 0x2e
  batch[p++] = 0x30 + Math.floor(fraction / 10)
  if (fraction % 10 !== 0) batch[p++] = 0x30 + (fraction % 10)
  return p
}

/** pino writes a number as `String(n)`, and NaN or an infinity as null (JSON has neither). */
function numberText(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null'
}

/** A number's text (ASCII only). */
function asciiBytes(batch: Uint8Array, at: number, text: string): number {
  for (let i = 0; i < text.length; i++) batch[at + i] = text.charCodeAt(i)
  return at + text.length
}
