/**
 * Replay: fresh pending deliveries of past events for ONE subscription — after a bug fix in a handler, for a
 * partner who lost data, or for a subscription created after the events. Event ids are kept (receivers dedupe
 * on them: an inbox-guarded handler or a partner that already applied an event will skip it again, by design);
 * `replay_of` links a new delivery to the latest earlier delivery of the same event to that subscription.
 *
 * Guarantees: only events matching both the requested pattern and the subscription's own patterns are replayed
 * (a handler never receives a type it did not subscribe to); an event that already has a pending delivery to
 * the subscription is skipped, so running the same replay twice does not double the work; concurrent replays
 * of one subscription are serialised by an advisory lock per chunk, so that check holds under concurrency too.
 * The outbox is walked by seq in chunks, each its own short transaction, with progress reported after each.
 * Events still in flight when the replay runs are not missed: their own commit fans out to the subscription.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Database } from '../core/db/index.ts'
import { DomainError } from '../core/errors.ts'
import { eventFilterSql } from './history.ts'
import { getSubscription } from './http-subscriptions.ts'
import { patternToRegexSource } from './pattern.ts'
import { pgTextArray } from './subscription.ts'
import { EVENTS_CHANNEL } from './publish.ts'
import { redriveDead } from './deliveries.ts'

export interface ReplayRange {
  /** Pattern over types; defaults to everything the subscription matches. */
  pattern?: string
  fromSeq?: string
  toSeq?: string
  /** Event time, inclusive. */
  from?: string
  /** Event time, exclusive. */
  to?: string
}

export interface ReplayProgress {
  /** Matching events looked at so far, of `total` counted at the start. */
  scanned: number
  total: number
  /** New deliveries created so far (scanned minus those already pending). */
  created: number
}

export interface ReplayOptions {
  batchSize?: number
  onProgress?: (progress: ReplayProgress) => void
}

// Namespaces the advisory lock key (hashtext gives an int4): any fixed number shared by every KamHub process.
const REPLAY_LOCK_SPACE = 727_003

export async function replayEvents(
  db: Pick<Database, 'orm'>,
  subscription: string,
  range: ReplayRange,
  { batchSize = 1000, onProgress }: ReplayOptions = {},
): Promise<ReplayProgress> {
  if (!range.fromSeq && !range.toSeq && !range.from && !range.to) {
    throw new DomainError('invalid', 'A replay needs a range: fromSeq/toSeq and/or from/to', { errors: [{ path: 'body', message: 'give at least one bound' }] })
  }
  const sub = await getSubscription(db.orm, subscription)
  if (!sub.active) throw new DomainError('conflict', `Subscription "${subscription}" is inactive; reactivate it before replaying`)
  const where = sql`${eventFilterSql({ ...range, type: range.pattern })}
    and exists (select 1 from unnest(${pgTextArray(sub.patterns.map(patternToRegexSource))}::text[]) r where ('.' || e.type) ~ r)`

  const [count] = await queryRows<{ n: number }>(db.orm, sql`select count(*)::int as n from event_outbox e where ${where}`)
  const progress: ReplayProgress = { scanned: 0, total: Number(count?.n ?? 0), created: 0 }
  onProgress?.({ ...progress })
  let after = '0'
  for (;;) {
    const chunk = await db.orm.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${REPLAY_LOCK_SPACE}, hashtext(${subscription}))`)
      const [row] = await queryRows<{ last_seq: string | null; scanned: number; created: number }>(
        tx,
        sql`with chunk as (
              select e.seq, e.aggregate_type, e.aggregate_id from event_outbox e
              where ${where} and e.seq > ${after}::bigint
              order by e.seq
              limit ${batchSize}
            ), created as (
              insert into event_deliveries (event_seq, subscription, ordering_key, replay_of)
              select c.seq, s.name, case when s.ordered then c.aggregate_type || ':' || c.aggregate_id end,
                (select max(p.id) from event_deliveries p where p.event_seq = c.seq and p.subscription = s.name)
              from chunk c join event_subscriptions s on s.name = ${subscription}
              where not exists (
                select 1 from event_deliveries p where p.event_seq = c.seq and p.subscription = s.name and p.status = 'pending')
              returning 1
            )
            select (select max(seq) from chunk)::text as last_seq, (select count(*) from chunk)::int as scanned,
              (select count(*) from created)::int as created`,
      )
      return row!
    })
    const scanned = Number(chunk.scanned)
    if (scanned === 0 || chunk.last_seq === null) break
    progress.scanned += scanned
    progress.created += Number(chunk.created)
    after = chunk.last_seq
    onProgress?.({ ...progress, total: Math.max(progress.total, progress.scanned) })
    if (scanned < batchSize) break
  }
  if (progress.created) await wakeDispatchers(db)
  return { ...progress, total: Math.max(progress.total, progress.scanned) }
}

/** Dead deliveries of one subscription (all, or the given ids) back to pending; the subscription must be active. */
export async function redriveSubscription(db: Pick<Database, 'orm'>, subscription: string, { ids }: { ids?: string[] } = {}): Promise<number> {
  const sub = await getSubscription(db.orm, subscription)
  if (!sub.active) throw new DomainError('conflict', `Subscription "${subscription}" is inactive; reactivate it before redriving`)
  const redriven = await redriveDead(db.orm, { subscription, ids })
  if (redriven) await wakeDispatchers(db)
  return redriven
}

/** The same hint publish gives: dispatchers listening pick the new work up now instead of at the next poll. */
async function wakeDispatchers(db: Pick<Database, 'orm'>) {
  await db.orm.execute(sql`select pg_notify(${EVENTS_CHANNEL}, '')`)
}
