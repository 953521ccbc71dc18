/**
 * Delivery tracking. A provider's webhook, verified by its adapter (verifyDeliveryWebhook: an invalid signature
 * throws DomainError('unauthorized') before anything is read from the body), moves the notification it reports on
 * — found by (provider, provider message id), or by our id where the provider echoes it — forward only:
 * sent → delivered | failed; a late "sent" never undoes "delivered". Each provider event is applied once
 * (notification_webhook_events). The app's own receipt (a push shown on the device) is the push channel's
 * "delivered": it stops a critical alert's escalation.
 */
import { sql } from 'drizzle-orm'
import type { Deps } from '../../../deps.ts'
import { DomainError } from '../../../core/errors.ts'
import { queryRows } from '../../../core/db/index.ts'
import type { DeliveryEvent, DeliveryWebhookRequest, NotificationProviderName } from '../../../core/notifications/provider.ts'

export const WEBHOOK_PROVIDERS = ['resend', 'sendgrid', 'twilio', 'smsru'] as const
export type WebhookProvider = (typeof WEBHOOK_PROVIDERS)[number]

export async function handleDeliveryWebhook(deps: Pick<Deps, 'db' | 'notifications' | 'clock'>, provider: WebhookProvider, request: DeliveryWebhookRequest): Promise<{ applied: number }> {
  const channels = deps.notifications?.channels
  const adapter = [...(channels?.email ?? []), ...(channels?.sms ?? [])].find((p) => p.name === provider)
  if (!adapter?.verifyDeliveryWebhook) throw new DomainError('not_found', `${provider} is not configured`)
  const events = await adapter.verifyDeliveryWebhook(request)
  let applied = 0
  let failed = false
  for (const event of events) {
    if (!(await applyDeliveryEvent(deps, event))) continue
    applied++
    if (TARGET[event.status] === 'failed') failed = true
  }
  // A failed critical alert escalates at the queue's next round: wake the worker now, not at its backstop.
  if (failed) deps.notifications?.kick?.()
  return { applied }
}

const TARGET: Record<DeliveryEvent['status'], 'sent' | 'delivered' | 'failed'> = { sent: 'sent', delivered: 'delivered', failed: 'failed', bounced: 'failed', complained: 'delivered' }

async function applyDeliveryEvent(deps: Pick<Deps, 'db' | 'clock'>, event: DeliveryEvent): Promise<boolean> {
  const now = deps.clock.now().toISOString()
  const target = TARGET[event.status]
  return deps.db.orm.transaction(async (tx) => {
    const [n] = await queryRows<{ id: string }>(
      tx,
      sql`select id from notifications
          where (provider = ${event.provider} and provider_message_id = ${event.providerMessageId})
             or (${event.notificationId ?? null}::text is not null and id::text = ${event.notificationId ?? null}::text)
          limit 1 for update`,
    )
    const fresh = await queryRows(
      tx,
      sql`insert into notification_webhook_events (provider, event_id, received_at, notification_id, status)
          values (${event.provider}, ${event.eventId}, ${now}::timestamptz, ${n?.id ?? null}::uuid, ${event.status})
          on conflict do nothing returning 1 as inserted`,
    )
    if (!fresh.length || !n) return false
    // forward only: delivered is final; failed only replaces a not-yet-delivered state
    const from = target === 'delivered' ? ['queued', 'sending', 'sent', 'failed'] : target === 'failed' ? ['queued', 'sending', 'sent'] : []
    if (!from.length) return false
    const rows = await queryRows(
      tx,
      sql`update notifications set status = ${target}, updated_at = ${now}::timestamptz,
            delivered_at = case when ${target} = 'delivered' then ${event.occurredAt.toISOString()}::timestamptz else delivered_at end,
            last_error = case when ${target} = 'failed' then ${event.reason ?? event.status} else last_error end
          where id = ${n.id} and status = any(${`{${from.join(',')}}`}::text[]) returning 1 as updated`,
    )
    return rows.length === 1
  })
}

/** The app saw the push (or the user opened the message): delivered, which stops a critical alert's escalation. */
export async function confirmReceipt(deps: Pick<Deps, 'db' | 'clock'>, userId: string, notificationId: string): Promise<void> {
  const now = deps.clock.now().toISOString()
  const rows = await queryRows<{ status: string }>(
    deps.db.orm,
    sql`update notifications set status = case when status in ('sending', 'sent', 'failed') then 'delivered' else status end,
          delivered_at = coalesce(delivered_at, ${now}::timestamptz), updated_at = ${now}::timestamptz
        where id::text = ${notificationId} and user_id = ${userId} returning status`,
  )
  if (!rows.length) throw new DomainError('not_found', 'No such notification')
}

export const isWebhookProvider = (name: string): name is WebhookProvider => (WEBHOOK_PROVIDERS as readonly string[]).includes(name)
export type { NotificationProviderName }
