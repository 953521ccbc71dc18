/**
 * publish(tx, event): writes the outbox row and one delivery per matching active subscription in the caller's
 * transaction, then NOTIFYs — delivered by PostgreSQL at commit; a hint, or the push of leased deliveries to the
 * push owner (push.ts). A rollback leaves nothing behind.
 */
import { sql } from 'drizzle-orm'
import type { Executor } from '../core/db/index.ts'
import { compileQuery } from '../core/db/compiled.ts'
import { EVENT_CATALOG, type EventData, type EventType } from './catalog.ts'
import { ENVELOPE_COLUMNS } from './deliveries.ts'
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

/**
 * NOTIFY payloads end at 8000 bytes. An event is pushed (see below) only when its envelope plus this much per
 * delivery id fits; a larger one is leased to nobody and claimed as before.
 */
const PUSH_PAYLOAD_LIMIT = 7900
const PUSH_BYTES_PER_DELIVERY = 100

/**
 * Compiled once (see compileQuery): every domain change runs it, often several times per request. Constants (the
 * source, the channel) are parameters fixed at compile time; placeholders are what changes per event.
 *
 * When a dispatcher owns pushes (sql/0015_event_push_owner.sql), each delivery to one of its subscriptions that is
 * not ordered is leased to it here, as its claim would lease it, and the NOTIFY carries the event and those delivery
 * ids (PushNotice): the owner runs the handlers without a claim round trip. Otherwise — no live owner, an ordered or
 * HTTP subscription, an event too large for a payload — the delivery is left for claims and the NOTIFY is the usual
 * empty hint.
 */
const PUBLISH = compileQuery<PublishValues>(() => {
  const p = (name: keyof PublishValues & string) => sql.placeholder(name)
  return sql`with event as (
          insert into event_outbox (id, type, source, subject, time, data, data_version,
            aggregate_type, aggregate_id, aggregate_version, traceparent, actor_type, actor_id)
          values (${p('id')}, ${p('type')}, ${EVENT_SOURCE}, ${p('subject')}, ${p('time')}::timestamptz,
            ${p('data')}::jsonb, ${p('dataVersion')}, ${p('aggregateType')}, ${p('aggregateId')},
            ${p('aggregateVersion')}::integer, ${p('traceparent')}, ${p('actorType')}, ${p('actorId')})
          returning seq, id, type, source, subject, time, data, data_version, aggregate_type, aggregate_id,
            aggregate_version, traceparent, actor_type, actor_id
        ), targets as (
          select s.name, case when s.ordered then event.aggregate_type || ':' || event.aggregate_id end as ordering_key,
            owner.owner, owner.lease_ms
          from event cross join event_subscriptions s
          left join event_push_owner owner on owner.until > now() and not s.ordered and s.name = any(owner.subscriptions)
          where s.active and exists (select 1 from unnest(s.pattern_regexes) r where ('.' || event.type) ~ r)
        ), envelope as (
          -- the claim's own envelope columns, so the owner reads it as a claim's row (toEnvelope); built only to push
          select row_to_json(r) as json from (select ${ENVELOPE_COLUMNS} from event e) r
          where exists (select 1 from targets where owner is not null)
        ), pushable as (
          select envelope.json from envelope
          where octet_length(envelope.json::text) + ${PUSH_BYTES_PER_DELIVERY} * (select count(*) from targets where owner is not null) < ${PUSH_PAYLOAD_LIMIT}
        ), fanout as (
          insert into event_deliveries (event_seq, subscription, ordering_key, lease_owner, leased_until, attempts)
          select event.seq, t.name, t.ordering_key, pushed.owner, now() + pushed.lease_ms * interval '1 millisecond',
            case when pushed.owner is null then 0 else 1 end
          from event cross join targets t
          left join lateral (select t.owner, t.lease_ms where exists (select 1 from pushable)) pushed on true
          returning id, subscription, lease_owner
        ), notice as (
          select json_build_object('o', max(f.lease_owner), 'r', bool_or(f.lease_owner is null),
            'c', floor(extract(epoch from now()) * 1000), 'e', (select json from pushable),
            'd', json_agg(json_build_array(f.id::text, f.subscription)) filter (where f.lease_owner is not null))::text as payload
          from fanout f
          having bool_or(f.lease_owner is not null)
        )
        -- Without a push, one constant payload: PostgreSQL folds identical notifications of a transaction into one
        -- wake-up.
        select event.seq::text as seq, (select count(*)::int from fanout) as deliveries,
          (select 1 from (select pg_notify(${EVENTS_CHANNEL}, coalesce((select payload from notice), ''))) as n) as notified
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
