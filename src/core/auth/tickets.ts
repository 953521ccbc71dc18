/**
 * Signed tickets a guide's app verifies offline, and the confirmation codes printed on them.
 *
 * A ticket is a compact JWS (Ed25519, `alg: EdDSA`) with header `{ alg, kid, typ: 'kamhub-ticket+jwt' }` and the
 * booking's essentials as claims. The guide app downloads the public keys once from `GET /v1/tickets/keys` (a
 * JWKS) and then checks tickets with no network: `verifyTicket` is written with WebCrypto only, so it ports as is.
 *
 * Keys: TICKET_SIGNING_KEY is an Ed25519 private key, PKCS8 DER in base64url (64 characters):
 *   openssl genpkey -algorithm ed25519 -outform DER | base64 | tr '+/' '-_' | tr -d '=\n'
 * Without it (development and tests only — production refuses to start) the key is derived from JWT_SECRET (or its
 * dev default): deterministic, so tickets survive restarts and every process or Worker isolate signs with the same
 * key. The `kid` is the key's RFC 7638 thumbprint, so it changes exactly when the key does.
 * Only the public half ever leaves this module; the private key is imported non-extractable.
 */
import { ConfigError, DEV_JWT_SECRET, type Config } from '../config/schema.ts'

export const TICKET_TYPE = 'kamhub-ticket+jwt'
/** How long after the departure starts a ticket still verifies (multi-day tours; late paperwork). */
export const TICKET_VALID_AFTER_START_MS = 2 * 86_400_000

export interface Ed25519PublicJwk {
  kty: 'OKP'
  crv: 'Ed25519'
  x: string
  kid: string
  alg: 'EdDSA'
  use: 'sig'
}

export interface Jwks {
  keys: Ed25519PublicJwk[]
}

export interface TicketKeys {
  kid: string
  privateKey: CryptoKey
  publicJwk: Ed25519PublicJwk
}

export interface TicketInput {
  bookingId: string
  /** The booking's confirmation code (see `confirmationCode`). */
  code: string
  departureId: string
  tourTitle?: string
  startsAt: Date
  seats: number
  travellerName?: string
  /** Default: `startsAt` + 2 days. */
  expiresAt?: Date
}

export interface TicketClaims {
  bookingId: string
  code: string
  departureId: string
  tourTitle?: string
  /** ISO 8601 instant. */
  startsAt: string
  seats: number
  travellerName?: string
  /** Seconds since the epoch (JWT NumericDate). */
  iat: number
  exp: number
}

export type TicketVerification =
  | { valid: true; claims: TicketClaims }
  | { valid: false; reason: 'malformed' | 'unsupported' | 'unknown_key' | 'bad_signature' | 'bad_claims' | 'expired' }

const ED25519 = { name: 'Ed25519' } as const
// PKCS8 DER of an Ed25519 private key is this fixed prefix followed by the 32-byte seed (RFC 8410).
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
const DEV_SEED_LABEL = 'kamhub ticket signing key v1\u0000'

const loaded = new WeakMap<object, Promise<TicketKeys>>()

/** The signing keys for this configuration, imported once per config object. */
export function ticketKeys(config: Pick<Config, 'TICKET_SIGNING_KEY' | 'JWT_SECRET' | 'production'>): Promise<TicketKeys> {
  let keys = loaded.get(config)
  if (!keys) {
    keys = loadTicketKeys(config)
    loaded.set(config, keys)
    keys.catch(() => loaded.delete(config))
  }
  return keys
}

async function loadTicketKeys(config: Pick<Config, 'TICKET_SIGNING_KEY' | 'JWT_SECRET' | 'production'>): Promise<TicketKeys> {
  if (config.TICKET_SIGNING_KEY) return importTicketKey(fromBase64Url(config.TICKET_SIGNING_KEY))
  if (config.production) throw new ConfigError('TICKET_SIGNING_KEY is required in production')
  const seed = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(DEV_SEED_LABEL + (config.JWT_SECRET ?? DEV_JWT_SECRET))))
  return importTicketKey(concat(PKCS8_PREFIX, seed))
}

/** Imports an Ed25519 private key (PKCS8 DER); throws ConfigError when it is not one. */
export async function importTicketKey(pkcs8: Uint8Array<ArrayBuffer>): Promise<TicketKeys> {
  if (pkcs8.length !== 48 || !PKCS8_PREFIX.every((b, i) => pkcs8[i] === b)) {
    throw new ConfigError('TICKET_SIGNING_KEY must be an Ed25519 private key in PKCS8 DER, base64url-encoded')
  }
  // Imported extractable only long enough to read its public half; the key kept for signing is not extractable.
  const extractable = await crypto.subtle.importKey('pkcs8', pkcs8, ED25519, true, ['sign'])
  const { x } = (await crypto.subtle.exportKey('jwk', extractable)) as JsonWebKey
  if (!x) throw new ConfigError('TICKET_SIGNING_KEY: the public key could not be derived')
  const privateKey = await crypto.subtle.importKey('pkcs8', pkcs8, ED25519, false, ['sign'])
  const kid = await jwkThumbprint(x)
  return { kid, privateKey, publicJwk: { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' } }
}

/** The JWKS served at /v1/tickets/keys. */
export function ticketJwks(keys: TicketKeys): Jwks {
  return { keys: [keys.publicJwk] }
}

/** A compact JWS over the ticket's claims; `iat` is `now`, `exp` the departure + 2 days unless given. */
export async function signTicket(keys: TicketKeys, ticket: TicketInput, now: Date): Promise<string> {
  const claims: TicketClaims = {
    bookingId: ticket.bookingId,
    code: ticket.code,
    departureId: ticket.departureId,
    ...(ticket.tourTitle !== undefined ? { tourTitle: ticket.tourTitle } : {}),
    startsAt: ticket.startsAt.toISOString(),
    seats: ticket.seats,
    ...(ticket.travellerName !== undefined ? { travellerName: ticket.travellerName } : {}),
    iat: Math.floor(now.getTime() / 1000),
    exp: Math.floor((ticket.expiresAt ?? new Date(ticket.startsAt.getTime() + TICKET_VALID_AFTER_START_MS)).getTime() / 1000),
  }
  const header = { alg: 'EdDSA', kid: keys.kid, typ: TICKET_TYPE }
  const signingInput = `${jsonPart(header)}.${jsonPart(claims)}`
  const signature = await crypto.subtle.sign(ED25519, keys.privateKey, new TextEncoder().encode(signingInput))
  return `${signingInput}.${toBase64Url(new Uint8Array(signature))}`
}

/**
 * Checks a ticket against a JWKS as a guide app would, offline: the header names EdDSA, our type and a known key;
 * the signature verifies; the claims have their shapes; `now` is before `exp` (plus a little leeway for phone
 * clocks). Never throws on bad input: the reason says what failed.
 */
export async function verifyTicket(jwks: Jwks, token: string, now: Date, { leewaySeconds = 60 } = {}): Promise<TicketVerification> {
  const parts = token.split('.')
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) return { valid: false, reason: 'malformed' }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string]
  const header = parseJsonPart(headerPart)
  if (!header) return { valid: false, reason: 'malformed' }
  if (header.alg !== 'EdDSA' || header.typ !== TICKET_TYPE || typeof header.kid !== 'string') return { valid: false, reason: 'unsupported' }
  const jwk = jwks.keys.find((k) => k.kid === header.kid && k.kty === 'OKP' && k.crv === 'Ed25519')
  if (!jwk) return { valid: false, reason: 'unknown_key' }
  let ok: boolean
  try {
    const publicKey = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, ED25519, false, ['verify'])
    ok = await crypto.subtle.verify(ED25519, publicKey, fromBase64Url(signaturePart), new TextEncoder().encode(`${headerPart}.${payloadPart}`))
  } catch {
    ok = false
  }
  if (!ok) return { valid: false, reason: 'bad_signature' }
  const claims = parseJsonPart(payloadPart)
  if (!claims || !isTicketClaims(claims)) return { valid: false, reason: 'bad_claims' }
  if (Math.floor(now.getTime() / 1000) >= claims.exp + leewaySeconds) return { valid: false, reason: 'expired' }
  return { valid: true, claims }
}

/** Letters and digits a person reads aloud or types without confusion: no 0/O, no 1/I. 32 symbols. */
export const CONFIRMATION_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ'
export const CONFIRMATION_CODE_LENGTH = 8

/** An 8-character booking confirmation code, e.g. `K7QX3MPA` (40 bits). */
export function confirmationCode(): string {
  return randomString(CONFIRMATION_ALPHABET, CONFIRMATION_CODE_LENGTH)
}

/**
 * `length` symbols drawn uniformly from `alphabet` (at most 256 symbols). Bytes at or above the largest multiple of
 * the alphabet size are discarded rather than folded in with `%`, which would favour the first symbols.
 */
export function randomString(alphabet: string, length: number, fill: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const size = alphabet.length
  if (size < 2 || size > 256) throw new RangeError('alphabet must have 2 to 256 symbols')
  const limit = 256 - (256 % size)
  let out = ''
  while (out.length < length) {
    for (const byte of fill(new Uint8Array(length * 2))) {
      if (byte >= limit) continue
      out += alphabet[byte % size]
      if (out.length === length) break
    }
  }
  return out
}

function isTicketClaims(c: Record<string, unknown>): c is TicketClaims & Record<string, unknown> {
  const optionalString = (v: unknown) => v === undefined || typeof v === 'string'
  return (
    typeof c.bookingId === 'string' &&
    typeof c.code === 'string' &&
    typeof c.departureId === 'string' &&
    typeof c.startsAt === 'string' &&
    !Number.isNaN(Date.parse(c.startsAt)) &&
    Number.isInteger(c.seats) &&
    (c.seats as number) > 0 &&
    Number.isInteger(c.iat) &&
    Number.isInteger(c.exp) &&
    optionalString(c.tourTitle) &&
    optionalString(c.travellerName)
  )
}

async function jwkThumbprint(x: string): Promise<string> {
  // RFC 7638: the required members in lexicographic order, no whitespace.
  const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${x}"}`
  return toBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical))))
}

function jsonPart(value: unknown): string {
  return toBase64Url(new TextEncoder().encode(JSON.stringify(value)))
}

function parseJsonPart(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(fromBase64Url(part)))
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length + b.length)
  out.set(a)
  out.set(b, a.length)
  return out
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4))
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0))
}
