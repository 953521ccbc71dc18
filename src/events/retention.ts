/**
 * Retention: keeps the event tables from growing without bound. Meant to run on a schedule (dispatcher timer on
 * servers, cron on Workers) and from `npm run events -- prune`.
 *
 * What goes: delivered deliveries completed more than `deliveredOlderThanDays` ago; events older (by event time)
 * than `eventsOlderThanDays`, the replay window — together with their remaining delivered deliveries; inbox
 * entries whose event is gone and that are past the same window; previous webhook secrets whose grace ended.
 * What stays, whatever its age: an event with a pending delivery (it is still being delivered) or a dead one (it
 * is the material of a redrive; an admin resolves it first), and every pending or dead delivery.
 *
 * Deletes run in batches, each its own statement, so a large backlog never holds one long transaction or a lock
 * on many rows at once.
 */
import { sql, type SQL } from 'drizzle-orm'
import { queryRows, type Executor } from '../core/db/index.ts'

export interface RetentionOptions {
  deliveredOlderThanDays: number
  eventsOlderThanDays: number
  batchSize?: number
}

export interface RetentionResult {
  deliveries: number
  events: number
  inbox: number
  secrets: number
}

export async function pruneDeliveries(ex: Executor, { deliveredOlderThanDays, eventsOlderThanDays, batchSize = 5000 }: RetentionOptions): Promise<RetentionResult> {
  const deliveredBefore = sql`now() - ${deliveredOlderThanDays} * interval '1 day'`
  const eventsBefore = sql`now() - ${eventsOlderThanDays} * interval '1 day'`
  const deliveries = await deleteInBatches(
    ex,
    (limit) => sql`delete from event_deliveries where id in (
      select id from event_deliveries where status = 'delivered' and completed_at < ${deliveredBefore} limit ${limit})`,
    batchSize,
  )
  const events = await deleteInBatches(
    ex,
    (limit) => sql`delete from event_outbox where seq in (
      select e.seq from event_outbox e
      where e.time < ${eventsBefore}
        and not exists (select 1 from event_deliveries d where d.event_seq = e.seq and d.status in ('pending', 'dead'))
      limit ${limit})`,
    batchSize,
  )
  const inbox = await deleteInBatches(
    ex,
    (limit) => sql`delete from event_inbox where (subscription, event_id) in (
      select i.subscription, i.event_id from event_inbox i
      where i.processed_at < ${eventsBefore} and not exists (select 1 from event_outbox e where e.id = i.event_id)
      limit ${limit})`,
    batchSize,
  )
  // A secret past its grace no longer signs (claims ignore it); dropping it means it is not kept at rest either.
  const secrets = await queryRows(
    ex,
    sql`update event_subscriptions set secrets = secrets[1:1], previous_secrets_expire_at = null, updated_at = now()
        where previous_secrets_expire_at <= now() returning 1`,
  )
  return { deliveries, events, inbox, secrets: secrets.length }
}

async function deleteInBatches(ex: Executor, statement: (limit: number) => SQL, batchSize: number): Promise<number> {
  let total = 0
  for (;;) {
    const rows = await queryRows(ex, sql`with gone as (${statement(batchSize)} returning 1) select count(*)::int as n from gone`)
    const n = Number((rows[0] as { n: number } | undefined)?.n ?? 0)
    total += n
    if (n < batchSize) return total
  }
}

/** The retention periods from configuration (EVENTS_DELIVERED_RETENTION_DAYS, EVENTS_RETENTION_DAYS). */
export function retentionFromConfig(config: { EVENTS_DELIVERED_RETENTION_DAYS: number; EVENTS_RETENTION_DAYS: number }): RetentionOptions {
  return { deliveredOlderThanDays: config.EVENTS_DELIVERED_RETENTION_DAYS, eventsOlderThanDays: config.EVENTS_RETENTION_DAYS }
}
