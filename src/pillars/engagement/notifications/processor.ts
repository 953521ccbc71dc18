/**
 * The queue processor: claims due notifications, renders them, sends them through the channel's providers with
 * failover, and records what happened. Safe to run in any number of processes at once.
 *
 * Guarantees:
 * - a claim is `FOR UPDATE SKIP LOCKED` and moves queued → sending with a lease (next_attempt_at = now + lease,
 *   a fresh claim_token): two workers never hold one row; a worker that dies mid-send leaves a row that becomes
 *   due again when the lease ends, and its late write is ignored (every outcome is written `where claim_token`);
 * - the provider gets the notification id as idempotency key on every attempt, so a resend after a crash is
 *   recognisable where the provider supports it (Resend; SendGrid custom_args; SMTP Message-ID);
 * - outage / rate_limited → the next provider; all of them down → retry with jittered exponential backoff
 *   (at least the provider's Retry-After); rejected → failed at once; gone → the device is deleted;
 *   attempts exhausted (claims included, so a message that crashes its worker every time stops) → dead;
 * - a channel without providers is the dev inbox (channels.ts): stored as sent, provider `dev-inbox`.
 */
import { sql } from 'drizzle-orm'
import type { Deps } from '../../../deps.ts'
import { queryRows } from '../../../core/db/index.ts'
import { backoffDelayMs } from '../../../events/backoff.ts'
import { publish } from '../../../events/publish.ts'
import { uuidv7 } from '../../../events/envelope.ts'
import { sendWithFailover } from '../../../core/notifications/failover.ts'
import { NotificationError, type Channel, type NotificationProviderName } from '../../../core/notifications/provider.ts'
import { renderNotification, type NotificationKind, type RenderedNotification } from '../../../core/notifications/templates/index.ts'
import type { Locale } from '../../../core/notifications/templates/i18n.ts'
import { DEV_INBOX, type NotificationChannels } from './channels.ts'
import { publicBase } from './facts.ts'
import { pruneDevice, pushDeviceOf, userDevices } from './recipients.ts'

export type ProcessorDeps = Pick<Deps, 'db' | 'config' | 'logger' | 'notifications'>

export interface ClaimedNotification {
  id: string
  userId: string
  channel: Channel
  kind: NotificationKind
  locale: Locale
  address: string | null
  variables: Record<string, unknown>
  subjectId: string | null
  critical: boolean
  attempts: number
}

type Outcome =
  | { result: 'sent'; provider: string; providerMessageId: string }
  | { result: 'retry'; error: string; retryAfterMs?: number }
  | { result: 'failed'; error: string }

export interface ProcessReport {
  claimed: number
  sent: number
  retried: number
  failed: number
  dead: number
}

export async function processNotifications(deps: ProcessorDeps, now: Date, limit = deps.config.NOTIFY_BATCH_SIZE): Promise<ProcessReport> {
  const report: ProcessReport = { claimed: 0, sent: 0, retried: 0, failed: 0, dead: 0 }
  const channels = deps.notifications?.channels
  if (!channels) return report
  const token = uuidv7()
  const claimed = await claimNotifications(deps, now, limit, token)
  report.claimed = claimed.length
  let next = 0
  const worker = async () => {
    for (let i = next++; i < claimed.length; i = next++) {
      const n = claimed[i]!
      const outcome = n.attempts > deps.config.NOTIFY_MAX_ATTEMPTS ? ({ result: 'retry', error: `claimed ${n.attempts} times without an outcome` } as const) : await deliver(deps, channels, n)
      const status = await record(deps, n, token, outcome, now)
      report[status === 'sent' ? 'sent' : status === 'queued' ? 'retried' : status === 'dead' ? 'dead' : 'failed']++
    }
  }
  await Promise.all(Array.from({ length: Math.min(deps.config.NOTIFY_CONCURRENCY, claimed.length) }, worker))
  return report
}

async function claimNotifications(deps: ProcessorDeps, now: Date, limit: number, token: string): Promise<ClaimedNotification[]> {
  const leaseEnd = new Date(now.getTime() + deps.config.NOTIFY_LEASE_SECONDS * 1000)
  const rows = await queryRows<{
    id: string
    user_id: string
    channel: Channel
    kind: NotificationKind
    locale: Locale
    address: string | null
    payload: unknown
    subject_id: string | null
    critical: boolean
    attempts: number
  }>(
    deps.db.orm,
    sql`with due as (
          select id from notifications
          where status in ('queued', 'sending') and next_attempt_at <= ${now.toISOString()}::timestamptz
          order by next_attempt_at
          limit ${limit}
          for update skip locked
        )
        update notifications n set status = 'sending', attempts = n.attempts + 1, claim_token = ${token}::uuid,
          next_attempt_at = ${leaseEnd.toISOString()}::timestamptz, updated_at = ${now.toISOString()}::timestamptz
        from due where n.id = due.id
        returning n.id, n.user_id, n.channel, n.kind, n.locale, n.address, n.payload, n.subject_id, n.critical, n.attempts`,
  )
  return rows.map((r) => {
    const payload = (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as { variables: Record<string, unknown> }
    return {
      id: r.id,
      userId: r.user_id,
      channel: r.channel,
      kind: r.kind,
      locale: r.locale,
      address: r.address,
      variables: payload.variables,
      subjectId: r.subject_id,
      critical: Boolean(r.critical),
      attempts: Number(r.attempts),
    }
  })
}

async function deliver(deps: ProcessorDeps, channels: NotificationChannels, n: ClaimedNotification): Promise<Outcome> {
  let rendered: RenderedNotification
  try {
    rendered = renderNotification(n.kind, n.locale, n.variables as never, { channel: n.channel })
  } catch (error) {
    return { result: 'failed', error: `render: ${(error as Error).message}`.slice(0, 1000) }
  }
  const options = {
    ...(channels.admit ? { admit: channels.admit } : {}),
    onFailover: (provider: NotificationProviderName, error: NotificationError) =>
      deps.logger.warn({ notificationId: n.id, provider, kind: error.kind }, 'notification provider unavailable; trying the next one'),
  }
  try {
    if (n.channel === 'email') {
      if (!channels.email.length) return devInbox(channels, n, 'email')
      const sent = await sendWithFailover(
        channels.email,
        { to: n.address!, from: channels.emailFrom, subject: rendered.email.subject, html: rendered.email.html, text: rendered.email.text, idempotencyKey: n.id, notificationId: n.id, tags: { kind: n.kind } },
        options,
      )
      return { result: 'sent', provider: sent.provider, providerMessageId: sent.result.providerMessageId }
    }
    if (n.channel === 'sms') {
      if (!channels.sms.length) return devInbox(channels, n, 'sms')
      const sent = await sendWithFailover(
        channels.sms,
        { to: n.address!, body: rendered.sms.body, idempotencyKey: n.id, notificationId: n.id, statusCallbackUrl: `${publicBase(deps.config)}/webhooks/notifications/twilio` },
        options,
      )
      return { result: 'sent', provider: sent.provider, providerMessageId: sent.result.providerMessageId }
    }
    if (!channels.push.length) return devInbox(channels, n, 'push')
    return await deliverPush(deps, channels, n, rendered, options)
  } catch (error) {
    return classify(error)
  }
}

/** Every device of the user; sent when one took it. Gone tokens are deleted on the way. */
async function deliverPush(
  deps: ProcessorDeps,
  channels: NotificationChannels,
  n: ClaimedNotification,
  rendered: RenderedNotification,
  options: Parameters<typeof sendWithFailover>[2],
): Promise<Outcome> {
  const devices = await userDevices(deps.db.orm, n.userId)
  if (!devices.length) return { result: 'failed', error: 'no device registered' }
  const sent: Array<{ provider: string; id: string }> = []
  const failures: Outcome[] = []
  for (const device of devices) {
    try {
      const out = await sendWithFailover(
        channels.push,
        {
          device: pushDeviceOf(device),
          title: rendered.push.title,
          body: rendered.push.body,
          data: { ...rendered.push.data, notificationId: n.id },
          urgency: n.critical ? 'high' : 'normal',
          ttlSeconds: n.critical ? 3600 : 86_400,
          ...(n.subjectId ? { collapseKey: `${n.kind}:${n.subjectId}` } : {}),
        },
        options,
      )
      sent.push({ provider: out.provider, id: out.result.providerMessageId })
    } catch (error) {
      if (error instanceof NotificationError && error.kind === 'gone') {
        await pruneDevice(deps.db.orm, device.id)
        deps.logger.info({ notificationId: n.id, deviceId: device.id, provider: error.provider }, 'push token gone; device removed')
        failures.push({ result: 'failed', error: `device ${device.id} gone` })
        continue
      }
      failures.push(classify(error))
    }
  }
  if (sent.length) return { result: 'sent', provider: sent[0]!.provider, providerMessageId: sent[0]!.id }
  return failures.find((f) => f.result === 'retry') ?? failures[0] ?? { result: 'failed', error: 'no device reachable' }
}

function devInbox(channels: NotificationChannels, n: ClaimedNotification, channel: Channel): Outcome {
  if (!channels.devInbox) return { result: 'failed', error: `no ${channel} provider configured` }
  return { result: 'sent', provider: DEV_INBOX, providerMessageId: `dev-${n.id}` }
}

function classify(error: unknown): Outcome {
  if (error instanceof NotificationError) {
    if (error.retryable) return { result: 'retry', error: error.message, ...(error.retryAfterSeconds !== undefined ? { retryAfterMs: error.retryAfterSeconds * 1000 } : {}) }
    return { result: 'failed', error: error.message }
  }
  // An adapter bug or no provider for a device kind: retrying may help after a deploy; max attempts bounds it.
  return { result: 'retry', error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }
}

async function record(deps: ProcessorDeps, n: ClaimedNotification, token: string, outcome: Outcome, now: Date): Promise<string> {
  const at = now.toISOString()
  if (outcome.result === 'sent') {
    await deps.db.orm.execute(sql`
      update notifications set status = 'sent', provider = ${outcome.provider}, provider_message_id = ${outcome.providerMessageId},
        sent_at = ${at}::timestamptz, last_error = null, claim_token = null, updated_at = ${at}::timestamptz
      where id = ${n.id} and claim_token = ${token}::uuid`)
    return 'sent'
  }
  const error = outcome.error.slice(0, 1000)
  if (outcome.result === 'retry' && n.attempts < deps.config.NOTIFY_MAX_ATTEMPTS) {
    const backoff = backoffDelayMs(n.attempts, { baseMs: deps.config.NOTIFY_BACKOFF_BASE_SECONDS * 1000, maxMs: deps.config.NOTIFY_BACKOFF_MAX_SECONDS * 1000 })
    const retryAt = new Date(now.getTime() + Math.max(backoff, outcome.retryAfterMs ?? 0))
    await deps.db.orm.execute(sql`
      update notifications set status = 'queued', last_error = ${error}, next_attempt_at = ${retryAt.toISOString()}::timestamptz,
        claim_token = null, updated_at = ${at}::timestamptz
      where id = ${n.id} and claim_token = ${token}::uuid`)
    return 'queued'
  }
  const status = outcome.result === 'retry' ? 'dead' : 'failed'
  await deps.db.orm.transaction(async (tx) => {
    const rows = await queryRows(
      tx,
      sql`update notifications set status = ${status}, last_error = ${error}, claim_token = null, updated_at = ${at}::timestamptz
          where id = ${n.id} and claim_token = ${token}::uuid returning 1 as updated`,
    )
    if (rows.length) {
      await publish(tx, {
        type: 'notification.failed',
        data: { notificationId: n.id, channel: n.channel, kind: n.kind, reason: `${status}: ${error}`.slice(0, 500) },
        aggregate: { type: 'notification', id: n.id },
        actor: { type: 'system', id: 'notifications' },
      })
    }
  })
  deps.logger.warn({ notificationId: n.id, kind: n.kind, channel: n.channel, status, attempts: n.attempts, error }, 'notification not sent')
  return status
}
