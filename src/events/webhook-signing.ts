/**
 * Standard Webhooks signing (standardwebhooks.com), WebCrypto only. A secret is `whsec_` + base64 of 32 random
 * bytes; the HMAC-SHA256 key is the decoded bytes. The signed content is `<webhook-id>.<webhook-timestamp>.<body>`
 * and the header carries one `v1,<base64 signature>` per live secret, space-separated, so during a rotation a
 * receiver holding either the new or the previous secret verifies the delivery.
 */

const SECRET_PREFIX = 'whsec_'
const SECRET_BYTES = 32

/** A new signing secret: `whsec_` + 32 random bytes in base64 (the format Standard Webhooks libraries take). */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))
}

export function isWebhookSecret(value: string): boolean {
  if (!value.startsWith(SECRET_PREFIX)) return false
  try {
    return fromBase64(value.slice(SECRET_PREFIX.length)).length >= 24
  } catch {
    return false
  }
}

/** The `webhook-signature` header value: one `v1,<base64>` per secret, in the given order. */
export async function signWebhook(input: { id: string; timestamp: number; body: string; secrets: string[] }): Promise<string> {
  const content = new TextEncoder().encode(`${input.id}.${input.timestamp}.${input.body}`)
  const signatures = await Promise.all(
    input.secrets.map(async (secret) => {
      const key = await crypto.subtle.importKey('raw', secretKeyBytes(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
      return `v1,${toBase64(new Uint8Array(await crypto.subtle.sign('HMAC', key, content)))}`
    }),
  )
  return signatures.join(' ')
}

function secretKeyBytes(secret: string): Uint8Array<ArrayBuffer> {
  return fromBase64(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret)
}

function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const b of bytes) binary += String.fromCharCode(b)
  return btoa(binary)
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
