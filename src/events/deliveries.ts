/**
 * The delivery store: claim due deliveries in batches (`FOR UPDATE SKIP LOCKED`, so several dispatchers share
 * the work without taking the same row), then record each outcome. A claim is a lease: it sets `leased_until`, so a
 * delivery whose worker died becomes claimable again on its own when the lease ends; an outcome clears it.
 *
 * A claim writes only columns no index reads (attempts, crashes, lease_owner, leased_until), so it is a HOT update:
 * the new row version stays on its page and no index is touched (sql/0014_event_lease.sql). Writing status or
 * next_attempt_at in a claim would make every claim cold again; outcomes change them, once per attempt.
 */
import { sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import { queryRows, type Executor } from '../core/db/index.ts'
import { compileQuery } from '../core/db/compiled.ts'
import type { EventEnvelope } from './envelope.ts'
import { dataSchemaUri } from './envelope.ts'
import { pgTextArray } from './subscription.ts'
import type { WebhookTarget } from './webhooks.ts'

export interface ClaimedDelivery {
  id: string
  subscription: string
  attempt: number
  maxAttempts: number
  backoffBaseMs: number
  backoffMaxMs: number
  /** A previous claim ended without an outcome this many times (the worker crashed mid-handler). */
  crashes: number
  /** Its subscription delivers an aggregate's events one at a time: its outcome lets the next one be claimed. */
  ordered: boolean
  event: EventEnvelope
  createdAt: Date
  /** Set for an HTTP subscription: where to POST and the secrets that sign now, as they were at claim time. */
  webhook?: WebhookTarget
}

/** Thrown by a handler when retrying cannot help (the receiver answered 410 Gone): dead at once, reason `rejected`. */
export class RejectedDeliveryError extends Error {
  override name = 'RejectedDeliveryError'
}

export interface ClaimOptions {
  subscriptions: string[]
  limit: number
  leaseMs: number
  owner: string
  /** Also claim deliveries of active HTTP subscriptions (partner webhooks), whatever their names. */
  includeWebhooks?: boolean
  /**
   * Deliveries of `owner` whose handlers succeeded, recorded in the claim's own statement (see `deliveredUpdate`):
   * under steady load the dispatcher's outcomes ride on its next claim instead of a round trip of their own.
   * The claim does not see these rows change: an ordered successor becomes claimable only from the next claim on.
   */
  delivered?: string[]
}

/**
 * A claimed delivery as the claim statement returns it: 18 columns, and never more than 19. V8 builds a driver's row
 * object key by key, and an object given more than 19 keys that way drops to dictionary mode — on the 26 columns this
 * row once had, reading a 500-row batch cost the dispatcher twice the CPU per row and most of its garbage. So what
 * is per subscription travels as one JSON value (`policy`), and the envelope attributes most events lack as
 * another (`extra`, null when all of them are).
 */
export interface ClaimRow extends EnvelopeRow {
  id: string
  subscription: string
  attempts: number
  crashes: number
  ordered?: boolean
  created_at: string | Date
  policy: string | DeliveryPolicy
}

/** How a subscription is delivered to: its retry budget and, for an HTTP subscription, where and how to sign. */
interface DeliveryPolicy {
  max_attempts: number
  backoff_base_ms: number
  backoff_max_ms: number
  /** HTTP subscriptions only. */
  url?: string | null
  secrets?: string[] | null
}

/** An outbox event as claims and the history read it (ENVELOPE_COLUMNS); `toEnvelope` makes it an EventEnvelope. */
export interface EnvelopeRow {
  seq: string
  event_id: string
  type: string
  source: string
  subject: string | null
  time: string | Date
  data: unknown
  data_version: number
  aggregate_type: string
  aggregate_id: string
  /** The optional attributes, null when the event has none of them. */
  extra: string | EnvelopeExtra | null
}

interface EnvelopeExtra {
  aggregate_version: number | null
  traceparent: string | null
  actor_type: EventEnvelope['actortype'] | null
  actor_id: string | null
}

/** The event columns of an EnvelopeRow, from `event_outbox e`. */
export const ENVELOPE_COLUMNS = sql`e.seq::text as seq, e.id::text as event_id, e.type, e.source, e.subject, e.time, e.data, e.data_version,
  e.aggregate_type, e.aggregate_id,
  case when e.aggregate_version is not null or e.traceparent is not null or e.actor_type is not null
    then json_build_object('aggregate_version', e.aggregate_version, 'traceparent', e.traceparent, 'actor_type', e.actor_type, 'actor_id', e.actor_id)
  end as extra`

/** A pending delivery may be claimed once it is due and nobody's lease on it is live (`d` is event_deliveries). */
export const CLAIMABLE = sql`d.status = 'pending' and d.next_attempt_at <= now() and (d.leased_until is null or d.leased_until < now())`
/** When a pending delivery becomes claimable: its next attempt, or the end of its lease if that is later. */
export const DUE_AT = sql`greatest(d.next_attempt_at, d.leased_until)`

/**
 * What every claim path (the dispatcher's batch claim, the edge's take by id) returns: the claiming UPDATE's
 * RETURNING list, then the select that joins it (as `d`) to its event (`e`) and subscription (`s`) into a ClaimRow.
 */
export const CLAIMED_RETURNING = sql`d.id, d.event_seq, d.subscription, d.attempts, d.crashes, d.created_at, d.ordering_key is not null as ordered`
export const CLAIMED_COLUMNS = sql`d.id::text as id, d.subscription, d.attempts, d.crashes, d.created_at, d.ordered,
  json_build_object('max_attempts', s.max_attempts, 'backoff_base_ms', s.backoff_base_ms, 'backoff_max_ms', s.backoff_max_ms,
    -- the previous secret of a rotation signs only until its grace period ends
    'url', case when s.kind = 'http' then s.url end,
    'secrets', case when s.kind = 'http' then (case when s.previous_secrets_expire_at > now() then s.secrets else s.secrets[1:1] end) end) as policy,
  ${ENVELOPE_COLUMNS}`

/** The claim statement, compiled once in its two forms: carrying the outcomes of earlier deliveries, or not. */
function claimStatement(recording: boolean) {
  const p = (name: keyof ClaimValues & string) => sql.placeholder(name)
  return compileQuery<ClaimValues>(
    () => sql`with ${recording ? sql`recorded as (${deliveredUpdate(p('delivered'), p('owner'), ASYNCHRONOUS_COMMIT)}), ` : sql``}due as (
          select d.id from event_deliveries d
          where ${CLAIMABLE}
            and (d.subscription = any(${p('subscriptions')}::text[])
              or (${p('includeWebhooks')}::boolean and d.subscription in (select name from event_subscriptions where kind = 'http' and active)))
            and (d.ordering_key is null or not exists (
              select 1 from event_deliveries p
              where p.subscription = d.subscription and p.ordering_key = d.ordering_key
                and p.status = 'pending' and p.event_seq < d.event_seq))
          order by d.next_attempt_at, d.id
          limit ${p('limit')}
          for update of d skip locked
        ), claimed as (
          -- by primary key: joined to the CTE instead, the planner expects the full limit of rows and may hash-join a
          -- sequential scan of the whole table (delivered rows included) into every claim
          update event_deliveries d
          set attempts = d.attempts + 1,
              crashes = d.crashes + case when d.lease_owner is null then 0 else 1 end,
              lease_owner = ${p('owner')},
              leased_until = now() + ${p('leaseMs')} * interval '1 millisecond'
          where d.id = any(array(select id from due))
            -- A lease need not survive a PostgreSQL crash: forgotten, the delivery is simply claimed and run again,
            -- which at-least-once allows. Committing it without waiting for the disk takes a WAL flush off the path
            -- from commit to handler. (The dispatcher records outcomes the same way: see recordOutcomes.)
            and (select set_config('synchronous_commit', 'off', true)) = 'off'
          returning ${CLAIMED_RETURNING}
        )
        select ${CLAIMED_COLUMNS}
        from claimed d join event_outbox e on e.seq = d.event_seq join event_subscriptions s on s.name = d.subscription`,
  )
}

interface ClaimValues extends Record<string, unknown> {
  /** Text array literals (pgTextArray). */
  subscriptions: string
  delivered: string
  includeWebhooks: boolean
  limit: number
  leaseMs: number
  owner: string
}

const CLAIM = claimStatement(false)
const CLAIM_AND_RECORD = claimStatement(true)

/**
 * Claims up to `limit` due deliveries for `owner`. Run it on its own, not inside a business transaction: the
 * claim commits without waiting for the WAL flush (see below), and so would everything else in that transaction.
 * The statement is compiled once (see compileQuery): the dispatcher runs it for every batch.
 */
export async function claimDeliveries(ex: Executor, { subscriptions, limit, leaseMs, owner, includeWebhooks = false, delivered = [] }: ClaimOptions): Promise<ClaimedDelivery[]> {
  if (!subscriptions.length && !includeWebhooks && !delivered.length) return []
  // A data-modifying WITH runs to completion whether or not the rest of the statement reads it.
  const statement = delivered.length ? CLAIM_AND_RECORD : CLAIM
  const rows = await statement.rows<ClaimRow>(ex, {
    subscriptions: pgTextArray(subscriptions),
    delivered: pgTextArray(delivered),
    includeWebhooks,
    limit,
    leaseMs,
    owner,
  })
  return rows.map(toClaimed)
}

/*
 * toClaimed and toEnvelope run once per delivered event. Each builds one object shape whatever the row holds: an
 * absent field is `undefined` (JSON leaves it out, as it left out the omitted key before) rather than a key added by
 * a conditional spread — a spread builds a temporary object per field and gives envelopes several shapes, and in
 * drain profiles the two functions were the largest of the dispatcher's own costs after the driver's row parsing.
 */
export function toClaimed(r: ClaimRow): ClaimedDelivery {
  const policy = parsedJson<DeliveryPolicy>(r.policy)
  return {
    id: r.id,
    subscription: r.subscription,
    attempt: Number(r.attempts),
    crashes: Number(r.crashes),
    ordered: r.ordered === true,
    maxAttempts: Number(policy.max_attempts),
    backoffBaseMs: Number(policy.backoff_base_ms),
    backoffMaxMs: Number(policy.backoff_max_ms),
    createdAt: asDate(r.created_at),
    event: toEnvelope(r),
    webhook: policy.url ? { subscription: r.subscription, url: policy.url, secrets: policy.secrets ?? [] } : undefined,
  }
}

export function toEnvelope(r: EnvelopeRow): EventEnvelope {
  const extra = r.extra === null ? undefined : parsedJson<EnvelopeExtra>(r.extra)
  return {
    specversion: '1.0',
    id: r.event_id,
    source: r.source,
    type: r.type,
    subject: r.subject || undefined,
    time: asDate(r.time).toISOString(),
    datacontenttype: 'application/json',
    dataschema: dataSchemaUri(r.type, Number(r.data_version)),
    data: parsedJson(r.data),
    sequence: r.seq,
    aggregatetype: r.aggregate_type,
    aggregateid: r.aggregate_id,
    aggregateversion: extra?.aggregate_version != null ? Number(extra.aggregate_version) : undefined,
    traceparent: extra?.traceparent || undefined,
    actortype: extra?.actor_type || undefined,
    actorid: extra?.actor_type ? (extra.actor_id ?? undefined) : undefined,
  }
}

/** Both drivers parse json columns already; a string (a driver set to leave them as text) is parsed here. */
const parsedJson = <T>(value: unknown): T => (typeof value === 'string' ? JSON.parse(value) : value) as T

/** Both drivers parse timestamptz into a Date already; a string (a JSON path, say) is parsed here. */
const asDate = (value: string | Date): Date => (value instanceof Date ? value : new Date(value))

export type Outcome =
  | { id: string; result: 'delivered' }
  | { id: string; result: 'retry'; error: string; delayMs: number }
  | { id: string; result: 'dead'; error: string; reason: 'max_attempts' | 'poison' | 'rejected' }
  /** Shutdown: give the lease back untouched (the attempt not counted) so another dispatcher takes it at once. */
  | { id: string; result: 'released' }

export interface RecordOptions {
  /**
   * false: commit without waiting for the WAL flush (run it on its own, not inside a business transaction). An
   * outcome lost in a PostgreSQL crash leaves its delivery leased, so it runs again when the lease ends: the
   * at-least-once redelivery handlers already tolerate. WAL is flushed in order, so a lost outcome never leaves a
   * later one of the same aggregate standing (that one was only claimable after this one committed).
   */
  synchronousCommit?: boolean
}

/** A condition that makes the statement's transaction commit without waiting for the WAL flush (see RecordOptions). */
const ASYNCHRONOUS_COMMIT = sql`and (select set_config('synchronous_commit', 'off', true)) = 'off'`

/**
 * Ends the leases of `owner`'s deliveries whose handlers succeeded (`and …` conditions in `extra`): the UPDATE of
 * recordOutcomes and of a claim that carries outcomes. Only rows still leased by `owner` change. An id array is about
 * a fifth cheaper per row than unpacking JSON records (both parsed and joined by PostgreSQL).
 */
function deliveredUpdate(ids: SQLWrapper, owner: SQLWrapper, extra: SQL) {
  return sql`update event_deliveries d
    set status = 'delivered', completed_at = now(), dead_reason = null, lease_owner = null, leased_until = null
    where d.id = any(${ids}::bigint[]) and d.lease_owner = ${owner} and d.status = 'pending' ${extra}
    returning 1`
}

/** The UPDATE of successful outcomes, compiled once per commit mode: the dispatcher runs it for every batch. */
const recordDeliveredStatement = (extra: SQL) =>
  compileQuery<{ ids: string; owner: string }>(
    () => sql`with done as (${deliveredUpdate(sql.placeholder('ids'), sql.placeholder('owner'), extra)}) select count(*)::int as recorded from done`,
  )
const RECORD_DELIVERED = recordDeliveredStatement(sql``)
const RECORD_DELIVERED_ASYNCHRONOUSLY = recordDeliveredStatement(ASYNCHRONOUS_COMMIT)

/**
 * Records a batch of outcomes and ends their leases; only rows still leased by `owner` change (a stale worker whose
 * lease expired cannot overwrite a newer claim). Deliveries that succeeded — nearly all of them — go in one UPDATE by
 * an id array; any other outcomes in a second one that carries each outcome's details.
 */
export async function recordOutcomes(ex: Executor, owner: string, outcomes: Outcome[], { synchronousCommit = true }: RecordOptions = {}): Promise<number> {
  const delivered: string[] = []
  const others: Outcome[] = []
  for (const o of outcomes) (o.result === 'delivered' ? delivered.push(o.id) : others.push(o))
  const asynchronous = synchronousCommit ? sql`` : ASYNCHRONOUS_COMMIT
  let recorded = 0
  if (delivered.length) {
    // One count row comes back instead of a row per delivery.
    const statement = synchronousCommit ? RECORD_DELIVERED : RECORD_DELIVERED_ASYNCHRONOUSLY
    const [row] = await statement.rows<{ recorded: number }>(ex, { ids: pgTextArray(delivered), owner })
    recorded += Number(row?.recorded ?? 0)
  }
  if (!others.length) return recorded
  const payload = JSON.stringify(
    others.map((o) => ({
      id: o.id,
      result: o.result,
      error: 'error' in o ? o.error.slice(0, 2000) : null,
      delay_ms: o.result === 'retry' ? o.delayMs : null,
      reason: o.result === 'dead' ? o.reason : null,
    })),
  )
  const rows = await queryRows(
    ex,
    sql`update event_deliveries d
        set status = case o.result when 'dead' then 'dead' else 'pending' end,
            completed_at = case when o.result = 'dead' then now() end,
            -- released: its next attempt has come already (it was claimed), so ending the lease makes it claimable
            next_attempt_at = case when o.result = 'retry' then now() + o.delay_ms * interval '1 millisecond' else d.next_attempt_at end,
            attempts = case when o.result = 'released' then d.attempts - 1 else d.attempts end,
            last_error = coalesce(o.error, d.last_error),
            dead_reason = o.reason,
            lease_owner = null,
            leased_until = null
        from jsonb_to_recordset(${payload}::jsonb) as o(id bigint, result text, error text, delay_ms bigint, reason text)
        where d.id = o.id and d.lease_owner = ${owner} and d.status = 'pending' ${asynchronous}
        returning 1 as recorded`,
  )
  return recorded + rows.length
}

/**
 * Moves dead deliveries back to pending with a fresh attempt budget. Returns how many were redriven. An event
 * never gets a second pending delivery to one subscription: a dead delivery whose event is already pending there
 * again (a replay) stays dead, and of several dead ones only the newest comes back.
 */
export async function redriveDead(ex: Executor, { subscription, ids }: { subscription?: string; ids?: string[] } = {}): Promise<number> {
  const rows = await queryRows(
    ex,
    sql`update event_deliveries d
        set status = 'pending', attempts = 0, crashes = 0, next_attempt_at = now(), completed_at = null, dead_reason = null,
            lease_owner = null, leased_until = null
        where d.status = 'dead'
          and (${subscription ?? null}::text is null or d.subscription = ${subscription ?? null}::text)
          and (${ids ? pgTextArray(ids) : null}::bigint[] is null or d.id = any(${ids ? pgTextArray(ids) : null}::bigint[]))
          and not exists (
            select 1 from event_deliveries o
            where o.event_seq = d.event_seq and o.subscription = d.subscription and o.id <> d.id
              and (o.status = 'pending' or (o.status = 'dead' and o.id > d.id)))
        returning 1 as redriven`,
  )
  return rows.length
}

/** Seconds the oldest claimable delivery has waited since it became claimable (0 when none): the dispatcher's lag. */
export async function lagSeconds(ex: Executor | { orm: Executor }): Promise<number> {
  const executor = 'orm' in ex ? ex.orm : ex
  const [row] = await queryRows<{ lag: number | string | null }>(
    executor,
    sql`select extract(epoch from (now() - min(${DUE_AT})))::float8 as lag
        from event_deliveries d where ${CLAIMABLE}`,
  )
  return Math.max(0, Number(row?.lag ?? 0))
}
