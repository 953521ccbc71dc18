/**
 * WebCrypto helpers shared by the adapters that authenticate webhooks with an HMAC. Verification goes through
 * `crypto.subtle.verify`, which compares in constant time, so no adapter hand-rolls a comparison.
 */

const encoder = new TextEncoder()

async function hmacKey(secret: string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [usage])
}

export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const key = await hmacKey(secret, 'sign')
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)))
}

/** True when `signature` is HMAC-SHA256(secret, message); constant-time inside WebCrypto. */
export async function verifyHmacSha256(
  secret: string,
  message: string,
  signature: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  if (signature.length !== 32) return false
  const key = await hmacKey(secret, 'verify')
  return crypto.subtle.verify('HMAC', key, signature, encoder.encode(message))
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

export function fromHex(hex: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) return undefined
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  try {
    return Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0))
  } catch {
    return undefined
  }
}

/**
 * A caller's idempotency key shortened to a provider's limit: kept as is when it fits, otherwise its SHA-256 hex
 * (64 characters). Deterministic, so a retry of the same call still sends the same key.
 */
export async function fitIdempotencyKey(key: string, maxLength: number): Promise<string> {
  if (key.length <= maxLength) return key
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(key)))).slice(0, maxLength)
}

/** `Authorization: Basic …` over the UTF-8 of `user:password`. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${toBase64(encoder.encode(`${user}:${password}`))}`
}
