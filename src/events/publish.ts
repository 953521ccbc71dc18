/**
 * publish(tx, event): writes the outbox row and one delivery per matching active subscription in the caller's
 * transaction, then NOTIFYs — a hint only, delivered by PostgreSQL at commit. A rollback leaves nothing behind.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../core/db/index.ts'
import { EVENT_CATALOG, type EventData, type EventType } from './catalog.ts'
import { uuidv7, type Actor } from './envelope.ts'

export const EVENTS_CHANNEL = 'kamhub_events'
export const EVENT_SOURCE = '/kamhub'

export interface PublishInput<T extends EventType> {
  type: T
  data: EventData<T>
  aggregate: { type: string; id: string; version?: number }
  /** CloudEvents `subject`; defaults to the aggregate id. */
  subject?: string
  actor?: Actor
  traceparent?: string
  /** Event time; defaults to now. */
  time?: Date
  /** A fixed id (tests, imports); otherwise a fresh UUIDv7. */
  id?: string
}

export interface PublishedEvent {
  id: string
  seq: string
  type: EventType
  deliveries: number
}

export class EventSchemaError extends Error {
  override name = 'EventSchemaError'
}

export async function publish<T extends EventType>(tx: Executor, input: PublishInput<T>): Promise<PublishedEvent> {
  const definition = EVENT_CATALOG[input.type]
  if (!definition) throw new EventSchemaError(`unknown event type "${input.type}"`)
  const parsed = definition.schema.safeParse(input.data)
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')
    throw new EventSchemaError(`${input.type} data does not match its v${definition.version} schema: ${issues}`)
  }
  const id = input.id ?? uuidv7()
  const time = (input.time ?? new Date()).toISOString()
  const [row] = await queryRows<{ seq: string; deliveries: number }>(
    tx,
    sql`with event as (
          insert into event_outbox (id, type, source, subject, time, data, data_version,
            aggregate_type, aggregate_id, aggregate_version, traceparent, actor_type, actor_id)
          values (${id}, ${input.type}, ${EVENT_SOURCE}, ${input.subject ?? input.aggregate.id}, ${time}::timestamptz,
            ${JSON.stringify(parsed.data)}::jsonb, ${definition.version}, ${input.aggregate.type}, ${input.aggregate.id},
            ${input.aggregate.version ?? null}::integer, ${input.traceparent ?? null}, ${input.actor?.type ?? null}, ${input.actor?.id ?? null})
          returning seq, type, aggregate_type, aggregate_id
        ), fanout as (
          insert into event_deliveries (event_seq, subscription, ordering_key)
          select event.seq, s.name, case when s.ordered then event.aggregate_type || ':' || event.aggregate_id end
          from event, event_subscriptions s
          where s.active and exists (select 1 from unnest(s.pattern_regexes) r where ('.' || event.type) ~ r)
          returning 1
        )
        -- one constant payload: PostgreSQL folds identical notifications of a transaction into one wake-up
        select event.seq::text as seq, (select count(*)::int from fanout) as deliveries,
          (select 1 from (select pg_notify(${EVENTS_CHANNEL}, '')) as n) as notified
        from event`,
  )
  return { id, seq: row!.seq, type: input.type, deliveries: Number(row!.deliveries) }
}
