/**
 * Password hashing with WebCrypto only, so the same code runs on Node, Deno and Workers.
 *
 * Parameters: PBKDF2-HMAC-SHA256, 100,000 iterations, 16-byte random salt, 32-byte derived key. 100,000 is the
 * most Cloudflare Workers accept (higher counts throw there); one hash costs about 20 ms of CPU on a 2-core
 * server (measured with Node 20), so a Worker on the paid plan stays far inside its CPU budget (the free plan's
 * 10 ms is too tight for any real KDF). With the 10-character minimum that makes offline guessing expensive.
 * Passwords are NFKC-normalised first, so the same visible password typed on different keyboards hashes the same.
 *
 * Stored form (self-describing, so parameters can be raised later without a migration):
 *   pbkdf2-sha256$<iterations>$<salt, base64>$<key, base64>
 * `verifyPassword` reports `needsRehash` when a hash was made with weaker parameters than the current ones; the
 * login path then stores a fresh hash. Comparison is constant-time over the derived key.
 */

export const PASSWORD_MIN_LENGTH = 10
export const PASSWORD_MAX_LENGTH = 200

export interface KdfParams {
  iterations: number
}

export const CURRENT_KDF: KdfParams = { iterations: 100_000 }

const SCHEME = 'pbkdf2-sha256'
const SALT_BYTES = 16
const KEY_BYTES = 32
// Refuse absurd iteration counts from a tampered row rather than spin the CPU for minutes.
const MAX_ITERATIONS = 10_000_000

export async function hashPassword(password: string, params: KdfParams = CURRENT_KDF): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(SALT_BYTES))
  const key = await derive(password, salt, params.iterations, KEY_BYTES)
  return [SCHEME, String(params.iterations), toBase64(salt), toBase64(key)].join('$')
}

export interface PasswordCheck {
  ok: boolean
  /** The hash is valid but was made with weaker parameters than `current`: store a new one. */
  needsRehash: boolean
}

export async function verifyPassword(password: string, stored: string, current: KdfParams = CURRENT_KDF): Promise<PasswordCheck> {
  const parsed = parseHash(stored)
  if (!parsed) return { ok: false, needsRehash: false }
  const key = await derive(password, parsed.salt, parsed.iterations, parsed.key.length)
  const ok = constantTimeEqual(key, parsed.key)
  return { ok, needsRehash: ok && parsed.iterations < current.iterations }
}

let dummy: Promise<string> | undefined

/**
 * Spends the same KDF work as a real check, against a hash no password matches. Used when the email is unknown so
 * that "no such user" and "wrong password" take about as long.
 */
export async function burnPasswordCheck(password: string): Promise<void> {
  dummy ??= hashPassword(crypto.randomUUID())
  await verifyPassword(password, await dummy)
}

interface ParsedHash {
  iterations: number
  salt: Uint8Array<ArrayBuffer>
  key: Uint8Array
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split('$')
  if (parts.length !== 4 || parts[0] !== SCHEME) return undefined
  const iterations = Number(parts[1])
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) return undefined
  try {
    const salt = fromBase64(parts[2]!)
    const key = fromBase64(parts[3]!)
    if (salt.length < 8 || key.length < 16) return undefined
    return { iterations, salt, key }
  } catch {
    return undefined
  }
}

async function derive(password: string, salt: Uint8Array<ArrayBuffer>, iterations: number, bytes: number): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(password.normalize('NFKC')), 'PBKDF2', false, ['deriveBits'])
  const bits = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, material, bytes * 8)
  return new Uint8Array(bits)
}

/** Equal-length inputs take the same time whatever they contain; a length mismatch answers false at once. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/=+$/, '')
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const padded = text + '='.repeat((4 - (text.length % 4)) % 4)
  return Uint8Array.from(atob(padded), (ch) => ch.charCodeAt(0))
}
