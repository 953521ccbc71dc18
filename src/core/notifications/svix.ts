/**
 * Standard Webhooks (Svix) verification, as Resend signs its webhooks: HMAC-SHA256 over `${id}.${timestamp}.${body}`
 * with the base64-decoded `whsec_` secret, any of the space-separated `v1,<base64>` signatures may match, and the
 * timestamp must be within the tolerance in both directions (a replay and a clock far ahead are both refused).
 */
import { fromBase64, verifyHmac } from './crypto.ts'

export interface SvixHeaders {
  id: string
  timestamp: string
  signature: string
}

/** Reads `svix-*` or the Standard Webhooks `webhook-*` header names. */
export function svixHeaders(headers: Headers): SvixHeaders | undefined {
  const id = headers.get('svix-id') ?? headers.get('webhook-id')
  const timestamp = headers.get('svix-timestamp') ?? headers.get('webhook-timestamp')
  const signature = headers.get('svix-signature') ?? headers.get('webhook-signature')
  return id && timestamp && signature ? { id, timestamp, signature } : undefined
}

export type SvixVerdict = 'ok' | 'bad_secret' | 'stale' | 'bad_signature'

export async function verifySvix(
  secret: string,
  rawBody: string,
  headers: SvixHeaders,
  options: { toleranceSeconds: number; nowSeconds: number },
): Promise<SvixVerdict> {
  const key = fromBase64(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret)
  if (!key || key.length === 0) return 'bad_secret'
  if (!/^\d+$/.test(headers.timestamp)) return 'stale'
  const timestamp = Number(headers.timestamp)
  if (Math.abs(options.nowSeconds - timestamp) > options.toleranceSeconds) return 'stale'
  const content = `${headers.id}.${headers.timestamp}.${rawBody}`
  for (const entry of headers.signature.split(' ')) {
    const [version, value] = entry.split(',', 2)
    if (version !== 'v1' || !value) continue
    const signature = fromBase64(value)
    if (signature && signature.length === 32 && (await verifyHmac('SHA-256', key, content, signature))) return 'ok'
  }
  return 'bad_signature'
}
