/**
 * Critical alerts climb channels: a critical notification not confirmed delivered by its `escalate_at` (or that
 * failed outright: no device, a rejected number) creates the same message on the next channel — push → SMS →
 * e-mail — which carries its own `escalate_at`. Each row escalates once (`escalated_at`, under a row lock that
 * other sweepers skip), and the new row's dedupe key makes a repeated sweep harmless. A channel the user turned
 * off, or has no address for, is skipped in favour of the next one.
 */
import { sql } from 'drizzle-orm'
import type { Deps } from '../../../deps.ts'
import { queryRows } from '../../../core/db/index.ts'
import type { Channel } from '../../../core/notifications/provider.ts'
import type { NotificationKind } from '../../../core/notifications/templates/index.ts'
import { ESCALATION } from './catalog.ts'
import { enqueueNotification, type Contact } from './enqueue.ts'

/** Not yet escalated, not delivered, and overdue or failed outright: shared by the sweep and its peek. */
const escalationDue = (at: string) =>
  sql`escalate_at is not null and escalated_at is null and status not in ('delivered', 'cancelled')
      and (escalate_at <= ${at}::timestamptz or status in ('failed', 'dead'))`

export async function escalateNotifications(deps: Pick<Deps, 'db' | 'config' | 'logger'>, now: Date, limit = 100): Promise<number> {
  const at = now.toISOString()
  // Most rounds nothing is due: a plain read says so without the transaction the locking read needs.
  if ((await queryRows(deps.db.orm, sql`select 1 from notifications where ${escalationDue(at)} limit 1`)).length === 0) return 0
  const escalated = await deps.db.orm.transaction(async (tx) => {
    const due = await queryRows<{ id: string; dedupe_key: string; user_id: string; channel: Channel; kind: NotificationKind; payload: unknown; subject_id: string | null }>(
      tx,
      sql`select id, dedupe_key, user_id, channel, kind, payload, subject_id from notifications
          where ${escalationDue(at)}
          order by escalate_at limit ${limit}
          for update skip locked`,
    )
    let count = 0
    for (const row of due) {
      const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as { variables: Record<string, unknown>; contact: Contact }
      // dedupe_key = <source>:<user>:<channel>:<kind>; the escalated copy shares the source
      const source = row.dedupe_key.split(':').slice(0, -3).join(':')
      for (let next = ESCALATION[row.channel]; next; next = ESCALATION[next]) {
        const created = await enqueueNotification(tx, {
          source,
          userId: row.user_id,
          kind: row.kind,
          channels: [next],
          variables: payload.variables,
          contact: payload.contact,
          ...(row.subject_id ? { subjectId: row.subject_id } : {}),
          now,
          escalateAfterSeconds: deps.config.NOTIFY_ESCALATE_AFTER_SECONDS,
        })
        if (created) break
      }
      await tx.execute(sql`update notifications set escalated_at = ${at}::timestamptz, updated_at = ${at}::timestamptz where id = ${row.id}`)
      deps.logger.info({ notificationId: row.id, channel: row.channel, kind: row.kind }, 'critical notification not confirmed delivered; escalated')
      count++
    }
    return count
  })
  return escalated
}
