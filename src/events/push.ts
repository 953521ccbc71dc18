/**
 * Pushed deliveries: the push owner (sql/0015_event_push_owner.sql) and the NOTIFY payload that carries an event to
 * it. publish() leases a fresh delivery to the owner in the publisher's transaction and puts the event and the
 * delivery ids in the NOTIFY; the owner runs the handlers straight from it, so the time from commit to handler is
 * the NOTIFY alone, not the NOTIFY plus a claim round trip. Outcomes are recorded as for claimed deliveries (the
 * lease is the owner's). A push whose NOTIFY the owner missed (its listener reconnected) is adopted after the
 * reconnect; one the owner never runs (it died) is an expired lease that any dispatcher claims later.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../core/db/index.ts'
import { CLAIMED_COLUMNS, CLAIMED_RETURNING, toClaimed, toEnvelope, type ClaimedDelivery, type ClaimRow, type EnvelopeRow } from './deliveries.ts'
import type { CodeSubscription } from './subscription.ts'
import { pgTextArray } from './subscription.ts'

/** What publish() NOTIFYs when it leased deliveries to the push owner. */
export interface PushNotice {
  /** The owner the deliveries are leased to. */
  o: string
  /** The event had deliveries that were not pushed (they wait for a claim). */
  r: boolean
  /** When the deliveries were written, ms since the epoch (the publisher's transaction time). */
  c: number
  e: EnvelopeRow
  /** [delivery id, subscription] of each pushed delivery. */
  d: Array<[string, string]>
}

/** A notification's payload as a push, or undefined for a plain wake-up hint (an empty payload). */
export function parsePushNotice(payload: string): PushNotice | undefined {
  if (!payload.startsWith('{')) return undefined
  try {
    const notice = JSON.parse(payload) as PushNotice
    return typeof notice.o === 'string' && Array.isArray(notice.d) && notice.e ? notice : undefined
  } catch {
    return undefined
  }
}

/**
 * The pushed deliveries as if claimed: first attempt, no crash so far (publish wrote attempts = 1, and a delivery
 * whose owner died is claimed again with its crash counted). The policy is the subscription's own definition, which
 * the owner registered. A subscription this process does not know is skipped (its lease runs out).
 */
export function pushedDeliveries(notice: PushNotice, bySubscription: ReadonlyMap<string, CodeSubscription>): ClaimedDelivery[] {
  const event = toEnvelope(notice.e)
  const createdAt = new Date(notice.c)
  const out: ClaimedDelivery[] = []
  for (const [id, name] of notice.d) {
    const s = bySubscription.get(name)
    if (!s) continue
    out.push({
      id,
      subscription: name,
      attempt: 1,
      crashes: 0,
      ordered: false,
      maxAttempts: s.maxAttempts,
      backoffBaseMs: s.backoffBaseMs,
      backoffMaxMs: s.backoffMaxMs,
      createdAt,
      event,
      webhook: undefined,
    })
  }
  return out
}

export interface OwnershipOptions {
  owner: string
  subscriptions: string[]
  /** The lease publishers give a pushed delivery. */
  leaseMs: number
  /** How long the ownership lasts without a renewal. */
  ttlMs: number
}

/** Takes the push ownership if it is free, expired or already ours, and renews it if ours. */
export async function claimPushOwnership(ex: Executor, { owner, subscriptions, leaseMs, ttlMs }: OwnershipOptions): Promise<void> {
  await ex.execute(
    sql`insert into event_push_owner (owner, subscriptions, lease_ms, until)
        values (${owner}, ${pgTextArray(subscriptions)}::text[], ${leaseMs}, now() + ${ttlMs} * interval '1 millisecond')
        on conflict (singleton) do update
          set owner = excluded.owner, subscriptions = excluded.subscriptions, lease_ms = excluded.lease_ms, until = excluded.until
          where event_push_owner.owner = excluded.owner or event_push_owner.until < now()`,
  )
}

/** Gives the ownership up (if ours): publishers stop pushing to this dispatcher from their next transaction on. */
export async function resignPushOwnership(ex: Executor, owner: string): Promise<void> {
  await ex.execute(sql`delete from event_push_owner where owner = ${owner}`)
}

/**
 * Hands deliveries pushed to `owner` back, unstarted: the lease and the attempt publish wrote are undone, so any
 * dispatcher claims them at once and no crash is counted. `ids`: those deliveries (pushes the owner has no room
 * for); without, every pending delivery leased to `owner` — run it only when none of its deliveries are running
 * (after stop), when whatever is still leased to it was pushed after it stopped listening.
 */
export async function releasePushes(ex: Executor, owner: string, ids?: string[]): Promise<number> {
  const only = ids ? pgTextArray(ids) : null
  const rows = await queryRows(
    ex,
    sql`update event_deliveries d set lease_owner = null, leased_until = null, attempts = d.attempts - 1
        where d.lease_owner = ${owner} and d.status = 'pending' and (${only}::bigint[] is null or d.id = any(${only}::bigint[]))
        returning 1 as released`,
  )
  return rows.length
}

/**
 * After the owner's listener reconnects: its pending deliveries whose push it may never have heard (committed while
 * nobody listened), renewed and returned as claimed, except `busy` (running, or their outcome not recorded yet).
 * Pushes committed since the new LISTEN are returned too and also arrive as NOTIFYs: the caller runs each id once.
 */
export async function adoptPushes(ex: Executor, { owner, leaseMs, busy }: { owner: string; leaseMs: number; busy: string[] }): Promise<ClaimedDelivery[]> {
  const rows = await queryRows<ClaimRow>(
    ex,
    sql`with adopted as (
          update event_deliveries d set leased_until = now() + ${leaseMs} * interval '1 millisecond'
          where d.lease_owner = ${owner} and d.status = 'pending' and not (d.id = any(${pgTextArray(busy)}::bigint[]))
          returning ${CLAIMED_RETURNING}
        )
        select ${CLAIMED_COLUMNS}
        from adopted d join event_outbox e on e.seq = d.event_seq join event_subscriptions s on s.name = d.subscription`,
  )
  return rows.map(toClaimed)
}
