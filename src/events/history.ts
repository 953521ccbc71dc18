/**
 * Event history: the outbox read back for admins and for consumers that walk it (exports, reconciliations, the CLI).
 *
 * Two orders, because a person and a program want different things:
 * - `desc` (default) — newest first by `seq`, for browsing. It shows everything committed, the freshest included.
 *   Like any newest-first feed, an event that commits late with a seq among the pages already read shows up
 *   there on a refresh, not further down.
 * - `asc` — the feed: a walk that never skips an event, however the writers' commits interleave. The ordering
 *   trap: seq is taken at insert but transactions commit in another order, so "seq > last seen" would step over
 *   a row that commits late with a lower seq. Bounding a seq cursor by `pg_snapshot_xmin` is not enough either:
 *   a transaction gets its xid at its first write and its seq at the outbox insert, so one that wrote a booking
 *   row first holds the older xid yet may take the higher seq — a seq cursor below the horizon can still be
 *   passed by a lower seq whose xid is above it. So
 *   the walk is ordered and cursored by `(tx_id, seq)` and shows only rows with
 *   `tx_id < pg_snapshot_xmin(pg_current_snapshot())`: every transaction below that horizon has finished, so no
 *   row can ever appear behind the cursor — rows committed later all have `tx_id` at or above the horizon, hence
 *   after any position already returned. The price: an event becomes visible to the walk only when every older
 *   writing transaction has ended (one long transaction holds the tail back), and the order is xid order — close
 *   to, but not exactly, seq order.
 *
 * Cursors are opaque and tied to their order; a cursor that does not decode, or comes from the other order, is a
 * 400. Every page answers `nextCursor` (the position after its last row, or the given one when the page is empty)
 * so a feed can resume from it later, and `hasMore` when the page was full. An `asc` page that is not full also
 * says `heldBack` when committed events matching the filter wait behind the horizon: poll again soon, the feed
 * is not caught up. The horizon is cluster-wide (xids are), so a long *writing* transaction anywhere on the
 * server, even in another database, delays the feed — it never makes it skip.
 */
import { sql, type SQL } from 'drizzle-orm'
import { z } from 'zod'
import { queryRows, type Executor } from '../core/db/index.ts'
import { DomainError } from '../core/errors.ts'
import { bigintText, decodeCursor, encodeCursor } from './cursor.ts'
import { DUE_AT, ENVELOPE_COLUMNS, toEnvelope, type EnvelopeRow } from './deliveries.ts'
import type { EventEnvelope } from './envelope.ts'
import { iso } from './http-subscriptions.ts'
import { patternToRegexSource } from './pattern.ts'

export interface EventFilter {
  /** A subscription pattern over types (`booking.*`, `*.cancelled`, `#`). */
  type?: string
  subject?: string
  aggregateType?: string
  aggregateId?: string
  /** Event time, inclusive. */
  from?: string
  /** Event time, exclusive. */
  to?: string
  /** Inclusive seq bounds. */
  fromSeq?: string
  toSeq?: string
}

export interface Page<T> {
  items: T[]
  nextCursor: string | null
  hasMore: boolean
}

export interface EventPage extends Page<EventEnvelope> {
  /** asc only: committed events after this page wait for older transactions to end (see the header). */
  heldBack: boolean
}

const eventCursor = z.discriminatedUnion('o', [
  z.object({ o: z.literal('asc'), tx: bigintText, seq: bigintText }),
  z.object({ o: z.literal('desc'), seq: bigintText }),
])

type EventRow = EnvelopeRow & { tx: string }
type EventRowOrNone = { [K in keyof EventRow]: EventRow[K] | null } & { held: boolean }

export async function listEvents(
  ex: Executor,
  { order = 'desc', cursor, limit = 50, ...filter }: EventFilter & { order?: 'asc' | 'desc'; cursor?: string; limit?: number },
): Promise<EventPage> {
  const position = cursor ? decodeCursor(cursor, eventCursor) : undefined
  if (position && position.o !== order) throw new DomainError('invalid', `This cursor belongs to order=${position.o}`, { errors: [{ path: 'query.cursor', message: 'made for the other order' }] })
  const where = [eventFilterSql(filter)]
  let orderBy: SQL
  if (order === 'asc') {
    where.push(sql`e.tx_id < pg_snapshot_xmin(pg_current_snapshot())`)
    if (position?.o === 'asc') where.push(sql`(e.tx_id, e.seq) > (${position.tx}::xid8, ${position.seq}::bigint)`)
    orderBy = sql`e.tx_id, e.seq`
  } else {
    if (position?.o === 'desc') where.push(sql`e.seq < ${position.seq}::bigint`)
    orderBy = sql`e.seq desc`
  }
  // heldBack is computed in the same statement, so against the same snapshot and horizon as the page: asked
  // separately, the horizon could move in between and a page held back would look caught up. Rows at or above
  // the horizon come after any position the feed has returned, so it needs no cursor condition. The lateral
  // join yields one all-null row when the page is empty, to carry it.
  const held = order === 'asc' ? sql`exists (select 1 from event_outbox e where ${eventFilterSql(filter)} and e.tx_id >= pg_snapshot_xmin(pg_current_snapshot()))` : sql`false`
  const result = await queryRows<EventRowOrNone>(
    ex,
    sql`select page.*, ${held} as held
        from (select 1) as one
        left join lateral (
          select ${ENVELOPE_COLUMNS}, e.tx_id::text as tx from event_outbox e where ${sql.join(where, sql` and `)} order by ${orderBy} limit ${limit + 1}
        ) as page on true`,
  )
  const rows = result.filter((r): r is EventRow & { held: boolean } => r.seq !== null)
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  const next = last ? encodeCursor(order === 'asc' ? { o: 'asc', tx: last.tx, seq: last.seq } : { o: 'desc', seq: last.seq }) : (cursor ?? null)
  const hasMore = rows.length > limit
  return { items: items.map(toEnvelope), nextCursor: next, hasMore, heldBack: !hasMore && Boolean(result[0]?.held) }
}

/** The filter as one SQL condition over `event_outbox e` (shared with replay). */
export function eventFilterSql(f: EventFilter): SQL {
  const parts: SQL[] = [sql`true`]
  if (f.type) parts.push(sql`('.' || e.type) ~ ${patternToRegexSource(f.type)}`)
  if (f.subject) parts.push(sql`e.subject = ${f.subject}`)
  if (f.aggregateType) parts.push(sql`e.aggregate_type = ${f.aggregateType}`)
  if (f.aggregateId) parts.push(sql`e.aggregate_id = ${f.aggregateId}`)
  if (f.from) parts.push(sql`e.time >= ${f.from}::timestamptz`)
  if (f.to) parts.push(sql`e.time < ${f.to}::timestamptz`)
  if (f.fromSeq) parts.push(sql`e.seq >= ${f.fromSeq}::bigint`)
  if (f.toSeq) parts.push(sql`e.seq <= ${f.toSeq}::bigint`)
  return sql.join(parts, sql` and `)
}

export interface DeliveryView {
  id: string
  eventId: string
  eventType: string
  subscription: string
  status: 'pending' | 'delivered' | 'dead'
  attempts: number
  lastError: string | null
  /** When a pending delivery may next run (the end of its lease while one holds it). */
  nextAttemptAt: string | null
  deadReason: string | null
  /** The earlier delivery of the same event this one replays. */
  replayOf: string | null
  createdAt: string
  completedAt: string | null
}

interface DeliveryRow {
  id: string
  event_id: string
  event_type: string
  subscription: string
  status: DeliveryView['status']
  attempts: number
  last_error: string | null
  next_attempt_at: string | Date
  dead_reason: string | null
  replay_of: string | null
  created_at: string | Date
  completed_at: string | Date | null
}

const DELIVERY_COLUMNS = sql`d.id::text as id, e.id::text as event_id, e.type as event_type, d.subscription, d.status, d.attempts, d.last_error,
  ${DUE_AT} as next_attempt_at, d.dead_reason, d.replay_of::text as replay_of, d.created_at, d.completed_at`

function toDeliveryView(r: DeliveryRow): DeliveryView {
  return {
    id: r.id,
    eventId: r.event_id,
    eventType: r.event_type,
    subscription: r.subscription,
    status: r.status,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null,
    deadReason: r.dead_reason,
    replayOf: r.replay_of,
    createdAt: iso(r.created_at)!,
    completedAt: iso(r.completed_at),
  }
}

/** One event and every delivery of it, oldest first; not_found for an unknown id. */
export async function getEvent(ex: Executor, id: string): Promise<{ event: EventEnvelope; deliveries: DeliveryView[] }> {
  const [row] = await queryRows<EventRow>(ex, sql`select ${ENVELOPE_COLUMNS}, e.tx_id::text as tx from event_outbox e where e.id = ${id}::uuid`)
  if (!row) throw new DomainError('not_found', `No event with id ${id}`)
  const deliveries = await queryRows<DeliveryRow>(
    ex,
    sql`select ${DELIVERY_COLUMNS} from event_deliveries d join event_outbox e on e.seq = d.event_seq where d.event_seq = ${row.seq}::bigint order by d.id`,
  )
  return { event: toEnvelope(row), deliveries: deliveries.map(toDeliveryView) }
}

const deliveryCursor = z.object({ before: bigintText })

/** Deliveries newest first, by status and/or subscription (the dead-letter view is `status=dead`). */
export async function listDeliveries(
  ex: Executor,
  { status, subscription, cursor, limit = 50 }: { status?: DeliveryView['status']; subscription?: string; cursor?: string; limit?: number },
): Promise<Page<DeliveryView>> {
  const before = cursor ? decodeCursor(cursor, deliveryCursor).before : null
  const rows = await queryRows<DeliveryRow>(
    ex,
    sql`select ${DELIVERY_COLUMNS} from event_deliveries d join event_outbox e on e.seq = d.event_seq
        where (${status ?? null}::text is null or d.status = ${status ?? null}::text)
          and (${subscription ?? null}::text is null or d.subscription = ${subscription ?? null}::text)
          and (${before}::bigint is null or d.id < ${before}::bigint)
        order by d.id desc
        limit ${limit + 1}`,
  )
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return { items: items.map(toDeliveryView), nextCursor: last ? encodeCursor({ before: last.id }) : (cursor ?? null), hasMore: rows.length > limit }
}
