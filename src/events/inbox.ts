/**
 * The inbox, for handlers whose effect is not naturally idempotent (send an email, charge a card): call
 * `firstDelivery(tx, subscription, eventId)` inside the transaction that applies the effect; it answers false
 * when this event was already applied, and commits or rolls back together with the effect.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../core/db/index.ts'

export async function firstDelivery(tx: Executor, subscription: string, eventId: string): Promise<boolean> {
  const rows = await queryRows(
    tx,
    sql`insert into event_inbox (subscription, event_id) values (${subscription}, ${eventId})
        on conflict do nothing returning 1 as inserted`,
  )
  return rows.length === 1
}
