/**
 * Email through SendGrid's v3 Mail Send API over fetch (Workers-safe; the SDK is Node-only). Success is 202 with an
 * empty body and the message id in `X-Message-Id`.
 *
 * Guarantees: SendGrid has no idempotency key, so every message carries our notification id and idempotency key in
 * `custom_args` (echoed in every Event Webhook event, so the service can dedupe and match events); Event Webhook
 * batches are trusted only with a valid ECDSA P-256 signature over `timestamp + rawBody` whose timestamp is within
 * our own tolerance (SendGrid's libraries check none).
 */
import { derToRawEcdsa, fromBase64 } from './crypto.ts'
import { defaultFetch, fetchText, parseJson, statusError, type FetchLike } from './http.ts'
import {
  NotificationError,
  unauthorized,
  type DeliveryEvent,
  type DeliveryStatus,
  type DeliveryWebhookRequest,
  type EmailMessage,
  type EmailProvider,
} from './provider.ts'

export interface SendGridProviderOptions {
  /** SENDGRID_API_KEY (SG.…). */
  apiKey: string
  /** SENDGRID_WEBHOOK_PUBLIC_KEY: base64 DER SPKI from the Event Webhook settings; without it webhooks are refused. */
  webhookPublicKey?: string
  /** SENDGRID_BASE_URL; default https://api.sendgrid.com (EU: https://api.eu.sendgrid.com). */
  baseUrl?: string
  fetch?: FetchLike
  timeoutMs?: number
  /** How far the signed timestamp may be from our clock, either way. */
  webhookToleranceSeconds?: number
  now?: () => Date
}

export const SENDGRID_SIGNATURE_HEADER = 'X-Twilio-Email-Event-Webhook-Signature'
export const SENDGRID_TIMESTAMP_HEADER = 'X-Twilio-Email-Event-Webhook-Timestamp'

const EVENT_STATUS: Record<string, DeliveryStatus> = {
  processed: 'sent',
  delivered: 'delivered',
  bounce: 'bounced',
  blocked: 'bounced',
  dropped: 'failed',
  spamreport: 'complained',
}

/** `Name <a@b>` or `a@b` → SendGrid's `{email, name?}`. */
export function emailAddress(text: string): { email: string; name?: string } {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(text)
  if (!match) return { email: text.trim() }
  const name = match[1]!.trim()
  return name ? { email: match[2]!.trim(), name } : { email: match[2]!.trim() }
}

export function sendGridProvider(options: SendGridProviderOptions): EmailProvider {
  const { apiKey, webhookPublicKey, timeoutMs = 15_000, webhookToleranceSeconds = 600, now = () => new Date() } = options
  const baseUrl = (options.baseUrl ?? 'https://api.sendgrid.com').replace(/\/$/, '')
  const fetchFn = options.fetch ?? defaultFetch
  let publicKey: Promise<CryptoKey> | undefined

  async function send(message: EmailMessage) {
    const body = {
      personalizations: [
        {
          to: [emailAddress(message.to)],
          custom_args: { notification_id: message.notificationId ?? message.idempotencyKey, idempotency_key: message.idempotencyKey },
        },
      ],
      from: emailAddress(message.from),
      ...(message.replyTo ? { reply_to: emailAddress(message.replyTo) } : {}),
      subject: message.subject,
      // text/plain must come before text/html.
      content: [
        { type: 'text/plain', value: message.text },
        { type: 'text/html', value: message.html },
      ],
      ...(message.headers ? { headers: message.headers } : {}),
      ...(message.tags ? { categories: Object.values(message.tags).slice(0, 10) } : {}),
    }
    const answer = await fetchText(fetchFn, 'sendgrid', `${baseUrl}/v3/mail/send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs,
    })
    if (answer.status === 202 || answer.status === 200) {
      const id = answer.headers.get('x-message-id')
      if (!id) throw new NotificationError('outage', 'sendgrid', 'accepted the message without an X-Message-Id')
      return { providerMessageId: id, status: 'queued' as const }
    }
    // SendGrid's errors name the offending field; the message text can echo addresses, so keep only the fields.
    const errors = (parseJson(answer.text) as { errors?: Array<{ field?: string | null }> } | undefined)?.errors
    const fields = errors?.map((e) => e.field).filter(Boolean).join(', ')
    throw statusError('sendgrid', answer.status, answer.headers, fields ? `fields: ${fields}` : undefined)
  }

  async function verifyDeliveryWebhook(request: DeliveryWebhookRequest): Promise<DeliveryEvent[]> {
    if (!webhookPublicKey) throw unauthorized('sendgrid', 'no webhook public key is configured')
    const signature = fromBase64(request.headers.get(SENDGRID_SIGNATURE_HEADER) ?? '')
    const timestamp = request.headers.get(SENDGRID_TIMESTAMP_HEADER) ?? ''
    if (!signature || signature.length === 0 || !/^\d+$/.test(timestamp)) throw unauthorized('sendgrid', 'missing signature or timestamp')
    const raw = derToRawEcdsa(signature)
    if (!raw) throw unauthorized('sendgrid', 'malformed signature')
    publicKey ??= importSpki(webhookPublicKey)
    const key = await publicKey.catch(() => {
      publicKey = undefined
      throw unauthorized('sendgrid', 'the configured public key cannot be imported')
    })
    const signed = new TextEncoder().encode(timestamp + request.rawBody)
    const valid = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, raw, signed)
    if (!valid) throw unauthorized('sendgrid', 'bad signature')
    if (Math.abs(Math.floor(now().getTime() / 1000) - Number(timestamp)) > webhookToleranceSeconds) {
      throw unauthorized('sendgrid', 'timestamp outside the tolerance')
    }
    const events = JSON.parse(request.rawBody) as Array<Record<string, any>>
    if (!Array.isArray(events)) return []
    return events.flatMap((event): DeliveryEvent[] => {
      const status = EVENT_STATUS[event.event]
      if (!status || typeof event.sg_event_id !== 'string' || typeof event.sg_message_id !== 'string') return []
      const reason = event.reason ?? event.response
      return [
        {
          provider: 'sendgrid',
          eventId: event.sg_event_id,
          // sg_message_id is the X-Message-Id followed by `.filter…`; the prefix matches the send result.
          providerMessageId: event.sg_message_id.split('.')[0]!,
          status,
          occurredAt: new Date(Number(event.timestamp) * 1000),
          ...(typeof reason === 'string' ? { reason } : {}),
          ...(typeof event.notification_id === 'string' ? { notificationId: event.notification_id } : {}),
        },
      ]
    })
  }

  return { channel: 'email', name: 'sendgrid', send, verifyDeliveryWebhook }
}

async function importSpki(base64: string): Promise<CryptoKey> {
  const der = fromBase64(base64.replace(/\s+/g, ''))
  if (!der) throw new Error('not base64')
  return crypto.subtle.importKey('spki', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
}
