/**
 * Request headers read straight from the runtime's raw list where it has one (Node's `IncomingMessage.rawHeaders`).
 *
 * Why: on Node, `request.headers.get(name)` goes through @hono/node-server's Headers stand-in, which validates the
 * name with a regular expression, lower-cases it into a new string, looks it up in a Set and then in Node's
 * lazily built header object (built on the first read: every header lower-cased and stored). A cached catalogue read
 * asks for six headers (the envelope's three, Accept-Language, Accept-Encoding, If-None-Match) and most are absent;
 * a scan of the raw list that compares lengths first rejects almost every name without reading a character
 * (npm run bench:search).
 */

/** A request header as Fetch's `Headers.get` answers it: a repeated header's values joined, null when absent. */
export type HeaderReader = (name: string) => string | null

/** The runtime's raw header list (`[name, value, name, value, …]`), when it has one. */
export type RawHeaderSource = (runtime: unknown) => readonly string[] | undefined

/** `name` (any case) in a raw header list, with the semantics of `Headers.get`. */
export function headerFromRaw(raw: readonly string[], name: string): string | null {
  let value: string | null = null
  for (let i = 0; i < raw.length; i += 2) {
    const rawName = raw[i]!
    if (rawName.length !== name.length || !sameToken(rawName, name)) continue
    const one = trimHttpWhitespace(raw[i + 1]!)
    // Fetch joins a repeated header with ", ", but Cookie with "; " (its own list separator).
    value = value === null ? one : value + (name.length === 6 && sameToken(name, 'cookie') ? '; ' : ', ') + one
  }
  return value
}

/** ASCII case-insensitive equality of two names of the same length (header names are ASCII tokens). */
function sameToken(a: string, b: string): boolean {
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y && (x >= 65 && x <= 90 ? x + 32 : x) !== (y >= 65 && y <= 90 ? y + 32 : y)) return false
  }
  return true
}

const isHttpWhitespace = (code: number) => code === 9 || code === 10 || code === 13 || code === 32

/** Fetch strips leading and trailing HTTP whitespace from a value; usually there is none, and nothing is copied. */
function trimHttpWhitespace(value: string): string {
  if (!value || (!isHttpWhitespace(value.charCodeAt(0)) && !isHttpWhitespace(value.charCodeAt(value.length - 1)))) return value
  let start = 0
  let end = value.length
  while (start < end && isHttpWhitespace(value.charCodeAt(start))) start++
  while (end > start && isHttpWhitespace(value.charCodeAt(end - 1))) end--
  return value.slice(start, end)
}

/** A runtime's raw list when there is one, else the Fetch request's own headers. */
export function headerReader(request: Request, raw: readonly string[] | undefined): HeaderReader {
  return raw ? (name) => headerFromRaw(raw, name) : (name) => request.headers.get(name)
}
