/**
 * Subscriptions: code handlers registered with patterns, and partner HTTP endpoints stored in the database.
 * Both live in `event_subscriptions` so fan-out happens in SQL at publish time; a code subscription's row is
 * upserted from its definition when a dispatcher starts.
 */
import { sql } from 'drizzle-orm'
import type { Executor } from '../core/db/index.ts'
import type { EventEnvelope } from './envelope.ts'
import { patternToRegexSource, validatePattern } from './pattern.ts'

export interface DeliveryContext {
  /** The event id: the idempotency key for handlers (see inbox.ts). */
  eventId: string
  deliveryId: string
  attempt: number
  subscription: string
}

export type EventHandler = (event: EventEnvelope, ctx: DeliveryContext) => Promise<void>

export interface SubscriptionOptions {
  maxAttempts?: number
  backoffBaseMs?: number
  backoffMaxMs?: number
  /** Deliver events of one aggregate one at a time, in seq order, retries included. */
  ordered?: boolean
}

export interface CodeSubscription extends Required<SubscriptionOptions> {
  name: string
  patterns: string[]
  handler: EventHandler
}

export const SUBSCRIPTION_DEFAULTS: Required<SubscriptionOptions> = {
  maxAttempts: 10,
  backoffBaseMs: 1000,
  backoffMaxMs: 3_600_000,
  ordered: false,
}

export function defineSubscription(name: string, patterns: string[], handler: EventHandler, options: SubscriptionOptions = {}): CodeSubscription {
  if (!/^[a-z0-9][a-z0-9._-]{0,99}$/.test(name)) throw new Error(`invalid subscription name "${name}"`)
  patterns.forEach(validatePattern)
  return { name, patterns, handler, ...SUBSCRIPTION_DEFAULTS, ...options }
}

/** Upserts code subscriptions so publishers fan out to them; events published before a subscription existed are not delivered to it (replay does that). */
export async function registerSubscriptions(ex: Executor, subscriptions: CodeSubscription[]): Promise<void> {
  for (const s of subscriptions) {
    const regexes = s.patterns.map(patternToRegexSource)
    await ex.execute(sql`
      insert into event_subscriptions (name, kind, patterns, pattern_regexes, ordered, max_attempts, backoff_base_ms, backoff_max_ms)
      values (${s.name}, 'code', ${pgTextArray(s.patterns)}::text[], ${pgTextArray(regexes)}::text[], ${s.ordered}, ${s.maxAttempts}, ${s.backoffBaseMs}, ${s.backoffMaxMs})
      on conflict (name) do update set patterns = excluded.patterns, pattern_regexes = excluded.pattern_regexes,
        ordered = excluded.ordered, max_attempts = excluded.max_attempts, backoff_base_ms = excluded.backoff_base_ms,
        backoff_max_ms = excluded.backoff_max_ms, active = true, updated_at = now()
      where event_subscriptions.kind = 'code'`)
  }
}

/**
 * A PostgreSQL array literal passed as ONE text parameter: Drizzle expands JS arrays into parameter lists, and
 * the two drivers serialise arrays differently, so a literal is the form that means the same on both.
 */
export function pgTextArray(values: string[]): string {
  return `{${values.map((v) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}`
}
