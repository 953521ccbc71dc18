/**
 * Signed search cursors: `base64url(JSON position) . base64url(HMAC-SHA-256 truncated to 128 bits)`.
 * The position is keyset (the last row's sort key and id), so pages do not shift when tours are added, and it
 * carries a fingerprint of the query it belongs to. Signing makes any edit — a changed key, another query's
 * cursor, a truncated string — a 400 naming `query.cursor`, never a SQL error or a silently different page.
 */
import { z } from 'zod'
import { DomainError } from '../../core/errors.ts'

const positionSchema = z.object({
  v: z.literal(1),
  /** The sort the cursor was made for. */
  s: z.string().max(20),
  /** The last row's sort key: a float8 as text (it may be Infinity). */
  k: z.string().max(40),
  id: z.uuid(),
  /** Fingerprint of the query (filters and sort) the cursor continues. */
  f: z.string().max(64),
})
export type CursorPosition = z.output<typeof positionSchema>

const keys = new Map<string, Promise<CryptoKey>>()

function keyFor(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret)
  if (!key) {
    // A key of its own, derived from the app secret: a cursor signature is never a valid token signature.
    key = crypto.subtle
      .digest('SHA-256', new TextEncoder().encode(`kamhub:discovery-cursor:${secret}`))
      .then((raw) => crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']))
    keys.set(secret, key)
  }
  return key
}

export async function encodeCursor(position: Omit<CursorPosition, 'v'>, secret: string): Promise<string> {
  const payload = toBase64Url(new TextEncoder().encode(JSON.stringify({ v: 1, ...position })))
  const mac = await crypto.subtle.sign('HMAC', await keyFor(secret), new TextEncoder().encode(payload))
  return `${payload}.${toBase64Url(new Uint8Array(mac).slice(0, 16))}`
}

export async function decodeCursor(cursor: string, secret: string, expected: { sort: string; fingerprint: string }): Promise<CursorPosition> {
  const match = /^([A-Za-z0-9_-]{1,1500})\.([A-Za-z0-9_-]{22})$/.exec(cursor)
  if (!match) throw invalidCursor('not a cursor')
  const [, payload, signature] = match
  const full = new Uint8Array(await crypto.subtle.sign('HMAC', await keyFor(secret), new TextEncoder().encode(payload)))
  if (!constantTimeEqual(full.slice(0, 16), fromBase64Url(signature!))) throw invalidCursor('the cursor was altered')
  let position: CursorPosition
  try {
    position = positionSchema.parse(JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(payload!))))
  } catch {
    throw invalidCursor('not a cursor')
  }
  if (position.s !== expected.sort || position.f !== expected.fingerprint) throw invalidCursor('the cursor belongs to another search; start again without it')
  if (Number.isNaN(Number(position.k))) throw invalidCursor('not a cursor')
  return position
}

function invalidCursor(message: string) {
  return new DomainError('invalid', `The cursor is invalid: ${message}`, { errors: [{ path: 'query.cursor', message }] })
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

export function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64Url(text: string): Uint8Array {
  try {
    return Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0))
  } catch {
    throw invalidCursor('not a cursor')
  }
}

/** A short, stable digest of a canonical value (query fingerprints, cache keys, ETags). */
export async function digest(value: unknown, length = 22): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(typeof value === 'string' ? value : canonicalJson(value))))
  return toBase64Url(bytes).slice(0, length)
}

/**
 * JSON with object keys sorted and undefined dropped: equal queries give equal text. Written out by hand rather
 * than through a JSON.stringify replacer, which calls back for every value and rebuilds every object sorted: it
 * runs for each search (its cache key), and the replacer form was a tenth of a cached search's cost.
 */
export function canonicalJson(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value)
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonicalJson((value as { toJSON(): unknown }).toJSON())
  if (Array.isArray(value)) {
    let out = '['
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      out += (i ? ',' : '') + (item === undefined || typeof item === 'function' || typeof item === 'symbol' ? 'null' : canonicalJson(item))
    }
    return out + ']'
  }
  let out = '{'
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key]
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue
    out += (out.length > 1 ? ',' : '') + JSON.stringify(key) + ':' + canonicalJson(item)
  }
  return out + '}'
}
