/**
 * publish(tx, event): writes the outbox row and one delivery per matching active subscription in the caller's
 * transaction, then NOTIFYs — a hint only, delivered by PostgreSQL at commit. A rollback leaves nothing behind.
 */
import { sql } from 'drizzle-orm'
import type { Executor } from '../core/db/index.ts'
import { compileQuery } from '../core/db/compiled.ts'
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

interface PublishValues extends Record<string, unknown> {
  id: string
  type: string
  subject: string
  time: string
  /** JSON text. */
  data: string
  dataVersion: number
  aggregateType: string
  aggregateId: string
  aggregateVersion: number | null
  traceparent: string | null
  actorType: string | null
  actorId: string | null
}

/** Compiled once (see compileQuery): every domain change runs it, often several times per request. Constants (the
 * source, the channel) are parameters fixed at compile time; placeholders are what changes per event. */
const PUBLISH = compileQuery<PublishValues>(() => {
  const p = (name: keyof PublishValues & string) => sql.placeholder(name)
  return sql`with event as (
          insert into event_outbox (id, type, source, subject, time, data, data_version,
            aggregate_type, aggregate_id, aggregate_version, traceparent, actor_type, actor_id)
          values (${p('id')}, ${p('type')}, ${EVENT_SOURCE}, ${p('subject')}, ${p('time')}::timestamptz,
            ${p('data')}::jsonb, ${p('dataVersion')}, ${p('aggregateType')}, ${p('aggregateId')},
            ${p('aggregateVersion')}::integer, ${p('traceparent')}, ${p('actorType')}, ${p('actorId')})
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
        from event`
})

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
  const [row] = await PUBLISH.rows<{ seq: string; deliveries: number }>(tx, {
    id,
    type: input.type,
    subject: input.subject ?? input.aggregate.id,
    time,
    data: JSON.stringify(parsed.data),
    dataVersion: definition.version,
    aggregateType: input.aggregate.type,
    aggregateId: input.aggregate.id,
    aggregateVersion: input.aggregate.version ?? null,
    traceparent: input.traceparent ?? null,
    actorType: input.actor?.type ?? null,
    actorId: input.actor?.id ?? null,
  })
  return { id, seq: row!.seq, type: input.type, deliveries: Number(row!.deliveries) }
}
