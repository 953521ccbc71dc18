/**
 * Email over plain SMTP with nodemailer (Node and Deno only: Workers have no raw TCP here). For a relay or a
 * mailbox provider without an HTTP API; `SMTP_URL` is `smtp://user:pass@host:587` (STARTTLS when offered) or
 * `smtps://…:465`.
 *
 * Guarantees: SMTP has no idempotency key, so the Message-ID is derived from the caller's key — a retried send
 * carries the same Message-ID (receivers and Resend's SMTP relay dedupe on it; Resend also reads the
 * `Resend-Idempotency-Key` header we add); permanent 5xx replies about the message are `rejected`, 4xx and
 * connection/auth failures are `outage`; neither the URL nor the password ever reaches an error.
 */
import nodemailer from 'nodemailer'
import { sha256Hex } from './crypto.ts'
import { NotificationError, type EmailMessage, type EmailProvider } from './provider.ts'

export interface SmtpProviderOptions {
  /** SMTP_URL. */
  url: string
  timeoutMs?: number
}

/** Permanent replies that are about our server setup or login, not this message. */
const OUTAGE_REPLIES = new Set([530, 534, 535, 538])

export function smtpProvider(options: SmtpProviderOptions): EmailProvider & { close(): Promise<void> } {
  const timeoutMs = options.timeoutMs ?? 20_000
  const transport = nodemailer.createTransport(options.url, {
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  } as never)

  async function send(message: EmailMessage) {
    const domain = /@([^>\s]+)>?\s*$/.exec(message.from)?.[1] ?? 'kamhub.local'
    const messageId = `<${(await sha256Hex(message.idempotencyKey)).slice(0, 32)}@${domain}>`
    try {
      const info = await transport.sendMail({
        from: message.from,
        to: message.to,
        ...(message.replyTo ? { replyTo: message.replyTo } : {}),
        subject: message.subject,
        html: message.html,
        text: message.text,
        messageId,
        headers: { ...message.headers, 'Resend-Idempotency-Key': message.idempotencyKey.slice(0, 256) },
      })
      if (info.rejected.length > 0) throw Object.assign(new Error('rejected'), { code: 'EENVELOPE', responseCode: 550 })
      return { providerMessageId: info.messageId || messageId, status: 'queued' as const }
    } catch (error) {
      const { code, responseCode } = error as { code?: string; responseCode?: number }
      const detail = `failed${code ? ` ${code}` : ''}${responseCode ? ` (${responseCode})` : ''}`
      if (typeof responseCode === 'number' && responseCode >= 500 && !OUTAGE_REPLIES.has(responseCode)) {
        throw new NotificationError('rejected', 'smtp', detail)
      }
      if (code === 'EENVELOPE' && responseCode === undefined) throw new NotificationError('rejected', 'smtp', detail) // no valid recipient
      throw new NotificationError('outage', 'smtp', detail) // 4xx (try later), EAUTH, ECONNECTION, ETIMEDOUT, …
    }
  }

  async function close() {
    transport.close()
  }

  return { channel: 'email', name: 'smtp', send, close }
}
