/**
 * Creating notifications: always inside the caller's transaction (a subscriber's, a maintenance step's), one row
 * per recipient × channel keyed by `<source>:<user>:<channel>:<kind>`. The unique key makes a redelivered event a
 * no-op, and a rollback takes the rows with it — never a message for a change that did not commit.
 *
 * Rules applied here: a channel the user switched off for the category gets no row; e-mail needs an address and
 * SMS a phone number (push is resolved to devices at send time); a non-critical message waits out the user's
 * quiet hours (`not_before`), a critical one never waits and gets `escalate_at`.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../../../core/db/index.ts'
import type { Channel } from '../../../core/notifications/provider.ts'
import type { NotificationKind } from '../../../core/notifications/templates/index.ts'
import type { Locale } from '../../../core/notifications/templates/i18n.ts'
import { uuidv7 } from '../../../events/envelope.ts'
import { KIND_POLICY } from './catalog.ts'
import { afterQuietHours, recipientSettings, wants } from './recipients.ts'

export interface Contact {
  email?: string | undefined
  phone?: string | undefined
}

export interface EnqueueInput {
  /** The event id (or a schedule key such as `manifest:<departure>`): the first part of the dedupe key. */
  source: string
  userId: string
  kind: NotificationKind
  /** Template variables, or a function of the recipient's locale (a tour title in their language). */
  variables: Record<string, unknown> | ((locale: Locale) => Record<string, unknown>)
  contact: Contact
  /** Default: the kind's channels (catalog.ts). */
  channels?: readonly Channel[]
  subjectId?: string
  /** Scheduled sends (a reminder): not before this instant. */
  notBefore?: Date
  now: Date
  /** Seconds a critical message has to be confirmed delivered before the next channel. */
  escalateAfterSeconds: number
}

export const dedupeKey = (source: string, userId: string, channel: Channel, kind: string) => `${source}:${userId}:${channel}:${kind}`

/** Returns the rows created (0 for a redelivery, or when the user wants none of it). */
export async function enqueueNotification(tx: Executor, input: EnqueueInput): Promise<number> {
  const policy = KIND_POLICY[input.kind]
  const settings = await recipientSettings(tx, input.userId)
  const variables = typeof input.variables === 'function' ? input.variables(settings.locale) : input.variables
  let created = 0
  for (const channel of input.channels ?? policy.channels) {
    if (!wants(settings, policy.category, channel)) continue
    const address = channel === 'email' ? input.contact.email : channel === 'sms' ? input.contact.phone : null
    if (channel !== 'push' && !address) continue
    const scheduled = input.notBefore && input.notBefore > input.now ? input.notBefore : input.now
    const notBefore = policy.critical ? scheduled : afterQuietHours(scheduled, settings.timezone, settings.quietHours)
    const escalateAt = policy.critical ? new Date(notBefore.getTime() + input.escalateAfterSeconds * 1000) : null
    const rows = await queryRows(
      tx,
      sql`insert into notifications (id, dedupe_key, user_id, channel, kind, category, locale, address, payload, subject_id,
            status, next_attempt_at, critical, not_before, escalate_at, created_at, updated_at)
          values (${uuidv7()}, ${dedupeKey(input.source, input.userId, channel, input.kind)}, ${input.userId}, ${channel}, ${input.kind},
            ${policy.category}, ${settings.locale}, ${address ?? null}, ${JSON.stringify({ variables, contact: input.contact })}::jsonb,
            ${input.subjectId ?? null}, 'queued', ${notBefore.toISOString()}::timestamptz, ${policy.critical},
            ${notBefore > input.now ? notBefore.toISOString() : null}::timestamptz, ${escalateAt?.toISOString() ?? null}::timestamptz,
            ${input.now.toISOString()}::timestamptz, ${input.now.toISOString()}::timestamptz)
          on conflict (dedupe_key) do nothing
          returning 1 as created`,
    )
    created += rows.length
  }
  return created
}

/** A booking cancelled: its reminder (and anything else still waiting about it) will not go out. */
export async function cancelPendingFor(tx: Executor, subjectId: string, kinds: NotificationKind[], now: Date): Promise<number> {
  const rows = await queryRows(
    tx,
    sql`update notifications set status = 'cancelled', updated_at = ${now.toISOString()}::timestamptz
        where subject_id = ${subjectId} and status = 'queued' and kind = any(${`{${kinds.join(',')}}`}::text[])
        returning 1 as cancelled`,
  )
  return rows.length
}
