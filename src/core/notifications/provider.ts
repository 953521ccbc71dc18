/**
 * The notification channel port: what the notifications service (queue, templates, subscribers) needs from an
 * email, SMS or push provider, whichever it is. Adapters speak each provider's protocol over fetch and WebCrypto so
 * they run on Workers too; the two that cannot (SMTP, APNs over HTTP/2) live in `*.node.ts` files.
 *
 * Guarantees every adapter keeps:
 * - a failed send throws a `NotificationError` whose `kind` tells the caller what to do: `outage` (retry later or
 *   fail over), `rate_limited` (retry after `retryAfterSeconds`, or fail over), `rejected` (bad address or content:
 *   never retry), `gone` (the device token is unregistered: delete the device, never retry);
 * - the caller's idempotency key goes in the provider's own header where it has one (Resend), otherwise into
 *   the message metadata the provider echoes back (SendGrid custom_args, SMTP Message-ID);
 * - delivery webhooks are trusted only when authenticated; anything else throws DomainError('unauthorized');
 * - credentials never appear in an error message.
 */
import { DomainError, type ErrorCode } from '../errors.ts'

export type Channel = 'email' | 'sms' | 'push'

export type EmailProviderName = 'resend' | 'sendgrid' | 'smtp'
export type SmsProviderName = 'twilio' | 'smsru'
export type PushProviderName = 'webpush' | 'fcm' | 'apns'
export type NotificationProviderName = EmailProviderName | SmsProviderName | PushProviderName

export interface EmailMessage {
  to: string
  from: string
  replyTo?: string
  subject: string
  html: string
  text: string
  headers?: Record<string, string>
  /** Provider tags for analytics (Resend tags, SendGrid categories); ASCII letters, digits, _ and - only. */
  tags?: Record<string, string>
  /** Stable for every attempt of one notification: a retried send never delivers twice where the provider can tell. */
  idempotencyKey: string
  /** Our notification id, echoed back in delivery webhooks where the provider can (SendGrid); default idempotencyKey. */
  notificationId?: string
}

export interface SmsMessage {
  /** E.164: +79991234567. */
  to: string
  body: string
  idempotencyKey: string
  /** Where the provider posts delivery statuses (Twilio StatusCallback); SMS.ru uses its account-level handler. */
  statusCallbackUrl?: string
  notificationId?: string
}

export type PushDevice =
  | { kind: 'webpush'; endpoint: string; keys: { p256dh: string; auth: string } }
  | { kind: 'fcm'; token: string }
  | { kind: 'apns'; token: string; topic: string }

export type DeviceKind = PushDevice['kind']

/** RFC 8030 urgency; FCM and APNs priorities are derived from it (high/normal → immediate, low → power-saving). */
export type PushUrgency = 'very-low' | 'low' | 'normal' | 'high'

export interface PushMessage {
  device: PushDevice
  title: string
  body: string
  /** Delivered to the app as-is; string values only (FCM refuses anything else). */
  data?: Record<string, string>
  urgency: PushUrgency
  /** How long the push service keeps an undelivered message; 0 = now or never. */
  ttlSeconds: number
  /** A newer message with the same key replaces an undelivered older one. */
  collapseKey?: string
}

export interface SendResult {
  providerMessageId: string
  /** `sent`: handed to the carrier/push service; `queued`: accepted by the provider for later sending. */
  status: 'sent' | 'queued'
}

export type NotificationErrorKind = 'outage' | 'rejected' | 'gone' | 'rate_limited'

const KIND_CODE: Record<NotificationErrorKind, ErrorCode> = {
  outage: 'unavailable',
  rejected: 'unprocessable',
  gone: 'gone',
  rate_limited: 'rate_limited',
}

/** A classified send failure. It is a DomainError too, so an unhandled one still renders as problem+json. */
export class NotificationError extends DomainError {
  override name = 'NotificationError'
  constructor(
    readonly kind: NotificationErrorKind,
    readonly provider: NotificationProviderName,
    detail: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(KIND_CODE[kind], `${provider}: ${detail}`, retryAfterSeconds === undefined ? {} : { retryAfterSeconds })
  }
  /** Worth trying again later or on another provider. */
  get retryable(): boolean {
    return this.kind === 'outage' || this.kind === 'rate_limited'
  }
}

export type DeliveryStatus = 'sent' | 'delivered' | 'failed' | 'bounced' | 'complained'

/** A verified delivery-status notification, normalised. */
export interface DeliveryEvent {
  provider: NotificationProviderName
  /** The provider's own event id, or one derived from the notification: the deduplication key. */
  eventId: string
  /** Matches `SendResult.providerMessageId` of the send it reports on. */
  providerMessageId: string
  status: DeliveryStatus
  occurredAt: Date
  reason?: string
  /** Our id, when the provider echoes it (SendGrid custom_args). */
  notificationId?: string
}

/** A webhook as the route received it: signatures are computed over the raw body and, for Twilio, the URL. */
export interface DeliveryWebhookRequest {
  rawBody: string
  headers: Headers
  /** The full public URL the provider called, query string included (rebuilt from the proxy's headers). */
  url: string
}

interface ProviderBase<C extends Channel, N extends NotificationProviderName, M> {
  readonly channel: C
  readonly name: N
  send(message: M): Promise<SendResult>
  /**
   * Authenticates a delivery webhook and normalises it (one request may carry several events; events that are
   * not delivery statuses, like opens, are dropped). Throws DomainError('unauthorized') when it cannot be trusted.
   */
  verifyDeliveryWebhook?(request: DeliveryWebhookRequest): Promise<DeliveryEvent[]>
}

export type EmailProvider = ProviderBase<'email', EmailProviderName, EmailMessage>
export type SmsProvider = ProviderBase<'sms', SmsProviderName, SmsMessage>
export interface PushProvider extends ProviderBase<'push', PushProviderName, PushMessage> {
  /** The device kinds this provider can reach. */
  readonly deviceKinds: readonly DeviceKind[]
  /** Releases long-lived connections (APNs' HTTP/2 session). */
  close?(): Promise<void>
}

export type NotificationProvider = EmailProvider | SmsProvider | PushProvider

export function unauthorized(provider: NotificationProviderName, why: string): DomainError {
  return new DomainError('unauthorized', `${provider} webhook: ${why}`)
}
