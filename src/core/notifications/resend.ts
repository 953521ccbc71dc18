/**
 * Email through Resend, with the official SDK (fetch-based, so it runs on Workers). The SDK's `baseUrl` points it
 * at a local fake in tests.
 *
 * Guarantees: the caller's idempotency key is sent as `Idempotency-Key` (Resend keeps it 24 h: a retried send of
 * the same notification is not delivered twice; keys over 256 characters are sent as their SHA-256); webhooks are
 * trusted only with a valid Svix signature no more than 300 s off our clock either way.
 */
import { Resend } from 'resend'
import { fitIdempotencyKey } from './crypto.ts'
import { kindForStatus, retryAfterSeconds } from './http.ts'
import {
  NotificationError,
  unauthorized,
  type DeliveryEvent,
  type DeliveryStatus,
  type DeliveryWebhookRequest,
  type EmailMessage,
  type EmailProvider,
} from './provider.ts'
import { svixHeaders, verifySvix } from './svix.ts'

export interface ResendProviderOptions {
  /** RESEND_API_KEY (re_…). */
  apiKey: string
  /** RESEND_WEBHOOK_SECRET (whsec_…); without it verifyDeliveryWebhook refuses everything. */
  webhookSecret?: string
  /** RESEND_BASE_URL; default https://api.resend.com. */
  baseUrl?: string
  timeoutMs?: number
  webhookToleranceSeconds?: number
  now?: () => Date
}

const EVENT_STATUS: Record<string, DeliveryStatus> = {
  'email.sent': 'sent',
  'email.delivered': 'delivered',
  'email.bounced': 'bounced',
  'email.complained': 'complained',
  'email.failed': 'failed',
  'email.suppressed': 'failed',
}

/** Resend error names that are about our account or load, not about this message. */
const OUTAGE_NAMES = new Set(['missing_api_key', 'invalid_api_key', 'restricted_api_key', 'application_error', 'internal_server_error', 'concurrent_idempotent_requests', 'security_error'])
const RATE_NAMES = new Set(['rate_limit_exceeded', 'daily_quota_exceeded', 'monthly_quota_exceeded'])

export function resendProvider(options: ResendProviderOptions): EmailProvider {
  const { apiKey, webhookSecret, timeoutMs = 15_000, webhookToleranceSeconds = 300, now = () => new Date() } = options
  const resend = new Resend(apiKey, { baseUrl: (options.baseUrl ?? 'https://api.resend.com').replace(/\/$/, '') })

  async function send(message: EmailMessage) {
    const { data, error, headers } = await resend.emails.send(
      {
        from: message.from,
        to: [message.to],
        subject: message.subject,
        html: message.html,
        text: message.text,
        ...(message.replyTo ? { replyTo: message.replyTo } : {}),
        ...(message.headers ? { headers: message.headers } : {}),
        ...(message.tags ? { tags: Object.entries(message.tags).map(([name, value]) => ({ name, value })) } : {}),
      },
      { idempotencyKey: await fitIdempotencyKey(message.idempotencyKey, 256), signal: AbortSignal.timeout(timeoutMs) },
    ).catch(() => ({ data: null, error: { statusCode: null, name: 'application_error', message: 'timeout' }, headers: null }))
    if (error) {
      // statusCode null: the SDK could not reach Resend (or we aborted): the outcome is unknown, retry with the key.
      if (error.statusCode === null) throw new NotificationError('outage', 'resend', 'could not be reached')
      // A JSON error without Resend's statusCode (a proxy, a gateway): the status is lost, so retry.
      if (typeof error.statusCode !== 'number') throw new NotificationError('outage', 'resend', 'answered an error without a status')
      const retryAfter = retryAfterSeconds(headers ? new Headers(headers) : undefined)
      if (RATE_NAMES.has(error.name) || error.statusCode === 429) {
        throw new NotificationError('rate_limited', 'resend', `answered ${error.statusCode} ${error.name}`, retryAfter)
      }
      const kind = OUTAGE_NAMES.has(error.name) ? 'outage' : kindForStatus(error.statusCode)
      // Resend's message text describes the request (addresses, fields), never the key; keep only the name.
      throw new NotificationError(kind, 'resend', `answered ${error.statusCode} ${error.name}`)
    }
    if (!data?.id) throw new NotificationError('outage', 'resend', 'answered without an email id')
    return { providerMessageId: data.id, status: 'queued' as const }
  }

  async function verifyDeliveryWebhook(request: DeliveryWebhookRequest): Promise<DeliveryEvent[]> {
    if (!webhookSecret) throw unauthorized('resend', 'no webhook secret is configured')
    const headers = svixHeaders(request.headers)
    if (!headers) throw unauthorized('resend', 'missing svix-id, svix-timestamp or svix-signature')
    const verdict = await verifySvix(webhookSecret, request.rawBody, headers, {
      toleranceSeconds: webhookToleranceSeconds,
      nowSeconds: Math.floor(now().getTime() / 1000),
    })
    if (verdict !== 'ok') throw unauthorized('resend', verdict === 'stale' ? 'timestamp outside the tolerance' : 'bad signature')
    const event = JSON.parse(request.rawBody) as { type?: string; created_at?: string; data?: Record<string, any> }
    const status = EVENT_STATUS[event.type ?? '']
    const emailId = event.data?.email_id
    if (!status || typeof emailId !== 'string') return []
    const reason = event.data?.bounce?.message ?? event.data?.failed?.reason ?? (event.type === 'email.suppressed' ? 'suppressed' : undefined)
    return [
      {
        provider: 'resend',
        eventId: headers.id,
        providerMessageId: emailId,
        status,
        occurredAt: new Date(event.created_at ?? Number(headers.timestamp) * 1000),
        ...(typeof reason === 'string' ? { reason } : {}),
      },
    ]
  }

  return { channel: 'email', name: 'resend', send, verifyDeliveryWebhook }
}
