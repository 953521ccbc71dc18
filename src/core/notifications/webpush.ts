/**
 * Web Push (RFC 8030/8291/8292) with VAPID. The `web-push` library only builds the request — aes128gcm encryption
 * of the payload for the subscription's keys and the ES256 VAPID JWT (`aud` = the endpoint's origin) — and we send
 * it with fetch, so the same code reaches any push service, a plain-HTTP local one included, on every runtime
 * (on Workers with `nodejs_compat`, which web-push's node:crypto use needs).
 *
 * Guarantees: 404/410 from the push service are `gone` (the browser unsubscribed: delete the subscription);
 * 429 is rate_limited with Retry-After; a subscription whose keys cannot be used is `rejected`.
 */
import webpush from 'web-push'
import { sha256Hex } from './crypto.ts'
import { defaultFetch, fetchText, statusError, type FetchLike } from './http.ts'
import { NotificationError, type PushMessage, type PushProvider } from './provider.ts'

export interface WebPushProviderOptions {
  /** VAPID_PUBLIC_KEY: base64url uncompressed P-256 point (what the browser's applicationServerKey is). */
  publicKey: string
  /** VAPID_PRIVATE_KEY: base64url 32-byte scalar. */
  privateKey: string
  /** VAPID_SUBJECT: `mailto:…` or `https://…`, a contact for the push service operator. */
  subject: string
  fetch?: FetchLike
  timeoutMs?: number
}

/** RFC 8030 `Topic`: at most 32 base64url characters; other collapse keys are hashed into that alphabet. */
async function topicFor(collapseKey: string): Promise<string> {
  if (/^[A-Za-z0-9_-]{1,32}$/.test(collapseKey)) return collapseKey
  return (await sha256Hex(collapseKey)).slice(0, 32)
}

export function webPushProvider(options: WebPushProviderOptions): PushProvider {
  const { publicKey, privateKey, subject, timeoutMs = 15_000 } = options
  const fetchFn = options.fetch ?? defaultFetch

  async function send(message: PushMessage) {
    const device = message.device
    if (device.kind !== 'webpush') throw new NotificationError('rejected', 'webpush', `cannot reach a ${device.kind} device`)
    const payload = JSON.stringify({ title: message.title, body: message.body, ...(message.data ? { data: message.data } : {}) })
    let details: ReturnType<typeof webpush.generateRequestDetails>
    try {
      details = webpush.generateRequestDetails({ endpoint: device.endpoint, keys: device.keys }, payload, {
        vapidDetails: { subject, publicKey, privateKey },
        TTL: message.ttlSeconds,
        urgency: message.urgency,
        contentEncoding: 'aes128gcm',
        ...(message.collapseKey ? { topic: await topicFor(message.collapseKey) } : {}),
      })
    } catch (error) {
      // Bad subscription keys or endpoint. (A bad VAPID key fails the same way, but is caught at start-up by from-config.)
      throw new NotificationError('rejected', 'webpush', `the subscription cannot be encrypted for (${(error as Error).message.split('.')[0]})`)
    }
    const headers: Record<string, string> = {}
    for (const [name, value] of Object.entries(details.headers)) if (name.toLowerCase() !== 'content-length') headers[name] = String(value)
    const answer = await fetchText(fetchFn, 'webpush', details.endpoint, {
      method: 'POST',
      headers,
      body: details.body ? new Uint8Array(details.body) : null,
      timeoutMs,
    })
    if (answer.status >= 200 && answer.status < 300) {
      // The push service names the message by a URL in Location (RFC 8030 §5); some services omit it.
      const location = answer.headers.get('location')
      return { providerMessageId: location ?? `webpush:${crypto.randomUUID()}`, status: 'sent' as const }
    }
    // 401/403: the subscription was made for another applicationServerKey, or our JWT is refused — no retry helps.
    if (answer.status === 401 || answer.status === 403) throw new NotificationError('rejected', 'webpush', `answered ${answer.status}: VAPID refused`)
    throw statusError('webpush', answer.status, answer.headers, undefined, { goneOn404: true })
  }

  return { channel: 'push', name: 'webpush', deviceKinds: ['webpush'], send }
}

/** Fails fast on VAPID keys web-push cannot use, naming the variable and never the key. */
export function validateVapidKeys(publicKey: string, privateKey: string, subject: string): string | undefined {
  try {
    webpush.generateRequestDetails({ endpoint: 'https://push.example/x', keys: { p256dh: '', auth: '' } }, null, {
      vapidDetails: { subject, publicKey, privateKey },
    })
    return undefined
  } catch (error) {
    return (error as Error).message.split('.')[0]
  }
}
