/**
 * WebCrypto helpers for the notification adapters: base64/base64url, HMAC verification (constant time inside
 * `crypto.subtle.verify`), PEM/DER key import and the compact JWTs FCM (RS256) and APNs (ES256) want.
 */
export { basicAuth, fitIdempotencyKey, fromBase64, toBase64, toHex } from '../payments/crypto.ts'
import { fromBase64, toBase64 } from '../payments/crypto.ts'

const encoder = new TextEncoder()

export function toBase64Url(bytes: Uint8Array): string {
  return toBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/')
  return fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** True when `signature` is HMAC-<hash>(key, message). */
export async function verifyHmac(
  hash: 'SHA-1' | 'SHA-256',
  key: Uint8Array<ArrayBuffer>,
  message: string,
  signature: Uint8Array<ArrayBuffer>,
): Promise<boolean> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['verify'])
  return crypto.subtle.verify('HMAC', cryptoKey, signature, encoder.encode(message))
}

export async function hmac(hash: 'SHA-1' | 'SHA-256', key: Uint8Array<ArrayBuffer>, message: string): Promise<Uint8Array<ArrayBuffer>> {
  const cryptoKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['sign'])
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, encoder.encode(message)))
}

/** The DER body of a PEM key; literal `\n` escapes (service-account JSON pasted into an env var) become newlines. */
export function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const body = pem
    .replace(/\\n/g, '\n')
    .replace(/-----(BEGIN|END)[^-]*-----/g, '')
    .replace(/\s+/g, '')
  const der = fromBase64(body)
  if (!der || der.length === 0) throw new Error('not a PEM key')
  return der
}

/**
 * An ECDSA signature in ASN.1 DER (SEQUENCE of two INTEGERs, as SendGrid and OpenSSL produce) as the 64-byte r‖s
 * WebCrypto verifies. Undefined when the bytes are not such a sequence.
 */
export function derToRawEcdsa(der: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  let offset = 0
  const readLength = (): number | undefined => {
    const first = der[offset++]
    if (first === undefined) return undefined
    if (first < 0x80) return first
    const count = first & 0x7f
    if (count < 1 || count > 2) return undefined
    let length = 0
    for (let i = 0; i < count; i++) length = (length << 8) | (der[offset++] ?? 0)
    return length
  }
  if (der[offset++] !== 0x30) return undefined
  const total = readLength()
  if (total === undefined || offset + total !== der.length) return undefined
  const out = new Uint8Array(64)
  for (const slot of [0, 32]) {
    if (der[offset++] !== 0x02) return undefined
    const length = readLength()
    if (length === undefined || length < 1 || offset + length > der.length) return undefined
    let value = der.subarray(offset, offset + length)
    offset += length
    while (value.length > 32 && value[0] === 0) value = value.subarray(1) // sign-padding zero
    if (value.length > 32) return undefined
    out.set(value, slot + 32 - value.length)
  }
  return offset === der.length ? out : undefined
}

/** `b64url(header).b64url(claims).b64url(signature)` with a WebCrypto key (RS256 or ES256; ES256 is already r‖s). */
export async function signJwt(
  key: CryptoKey,
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
): Promise<string> {
  const input = `${toBase64Url(encoder.encode(JSON.stringify(header)))}.${toBase64Url(encoder.encode(JSON.stringify(claims)))}`
  const algorithm = key.algorithm.name === 'ECDSA' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' }
  const signature = new Uint8Array(await crypto.subtle.sign(algorithm, key, encoder.encode(input)))
  return `${input}.${toBase64Url(signature)}`
}
