/**
 * The subscription registry as admins see it: partner webhooks (kind `http`) created, edited, rotated and
 * deactivated here; code subscriptions listed read-only (their definition lives in code and is upserted when a
 * dispatcher starts).
 *
 * Guarantees: a secret is returned exactly once — by the create or rotate call that made it — and never by a read;
 * a rotation keeps the previous secret signing for a grace period so a partner can switch without a failed
 * delivery; deactivation stops fan-out at once and parks the pending deliveries as dead (`deactivated`) so they
 * can be redriven after reactivation instead of silently waiting.
 */
import { sql } from 'drizzle-orm'
import { z } from 'zod'
import { queryRows, type Executor } from '../core/db/index.ts'
import { DomainError } from '../core/errors.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'
import { patternToRegexSource } from './pattern.ts'
import { pgTextArray } from './subscription.ts'
import { generateWebhookSecret } from './webhook-signing.ts'

/**
 * Partner endpoints get a longer schedule than in-process handlers: 15 attempts from 5 s doubling to a 10 h cap
 * span about a day, long enough to ride out a partner's outage (Standard Webhooks suggests a day-scale schedule).
 */
export const WEBHOOK_DEFAULTS = { maxAttempts: 15, backoffBaseMs: 5_000, backoffMaxMs: 36_000_000, ordered: false }

export const SUBSCRIPTION_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/

export interface SubscriptionView {
  name: string
  kind: 'code' | 'http'
  url: string | null
  patterns: string[]
  active: boolean
  ordered: boolean
  maxAttempts: number
  backoffBaseMs: number
  backoffMaxMs: number
  /** HTTP subscriptions: how many secrets sign deliveries now (2 during a rotation) and until when the previous one does. */
  signing: { secrets: number; previousSecretExpiresAt: string | null } | null
  deliveries: { pending: number; dead: number }
  createdAt: string
  updatedAt: string
}

export interface WebhookOptions {
  maxAttempts?: number
  backoffBaseMs?: number
  backoffMaxMs?: number
  ordered?: boolean
}

export interface CreateWebhookInput extends WebhookOptions {
  name: string
  url: string
  patterns: string[]
}

/** Rules on a partner URL: http(s) only, https when `requireHttps` (production), no credentials in it. */
export function checkWebhookUrl(url: string, { requireHttps }: { requireHttps: boolean }): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw invalid('url', 'not a URL')
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalid('url', 'must be an http(s) URL')
  if (requireHttps && u.protocol !== 'https:') throw invalid('url', 'must be https in production')
  // The signature authenticates KamHub to the partner; credentials in the URL would be readable by every admin.
  if (u.username || u.password) throw invalid('url', 'must not carry credentials; the webhook signature authenticates KamHub')
  return u.toString()
}

export async function createWebhookSubscription(
  ex: Executor,
  input: CreateWebhookInput,
  { requireHttps = false }: { requireHttps?: boolean } = {},
): Promise<{ subscription: SubscriptionView; secret: string }> {
  if (!SUBSCRIPTION_NAME.test(input.name)) throw invalid('name', 'lower-case letters, digits, ".", "_" and "-", starting with a letter or digit')
  const url = checkWebhookUrl(input.url, { requireHttps })
  const regexes = compilePatterns(input.patterns)
  const o = { ...WEBHOOK_DEFAULTS, ...definedOnly(input) }
  checkBackoff(o)
  const secret = generateWebhookSecret()
  const rows = await queryRows<{ name: string }>(
    ex,
    sql`insert into event_subscriptions (name, kind, url, secrets, patterns, pattern_regexes, ordered, max_attempts, backoff_base_ms, backoff_max_ms)
        values (${input.name}, 'http', ${url}, ${pgTextArray([secret])}::text[], ${pgTextArray(input.patterns)}::text[], ${pgTextArray(regexes)}::text[],
          ${o.ordered}, ${o.maxAttempts}, ${o.backoffBaseMs}, ${o.backoffMaxMs})
        on conflict (name) do nothing
        returning name`,
  )
  if (!rows.length) throw new DomainError('conflict', `A subscription named "${input.name}" already exists`)
  return { subscription: await getSubscription(ex, input.name), secret }
}

export interface UpdateWebhookInput extends WebhookOptions {
  url?: string
  patterns?: string[]
  /** true reactivates a deactivated subscription (its parked deliveries come back with a redrive). */
  active?: boolean
}

export async function updateWebhookSubscription(
  ex: Executor,
  name: string,
  patch: UpdateWebhookInput,
  { requireHttps = false }: { requireHttps?: boolean } = {},
): Promise<SubscriptionView> {
  const current = await getSubscription(ex, name)
  if (current.kind !== 'http') throw codeOwned(name)
  if (patch.active === false) {
    await deactivateSubscription(ex, name, 'deactivated by an admin')
  }
  const url = patch.url === undefined ? null : checkWebhookUrl(patch.url, { requireHttps })
  const regexes = patch.patterns === undefined ? null : compilePatterns(patch.patterns)
  const o = { ...current, ...definedOnly(patch) }
  checkBackoff(o)
  await ex.execute(sql`
    update event_subscriptions set
      url = coalesce(${url}::text, url),
      patterns = coalesce(${patch.patterns ? pgTextArray(patch.patterns) : null}::text[], patterns),
      pattern_regexes = coalesce(${regexes ? pgTextArray(regexes) : null}::text[], pattern_regexes),
      ordered = ${o.ordered}, max_attempts = ${o.maxAttempts}, backoff_base_ms = ${o.backoffBaseMs}, backoff_max_ms = ${o.backoffMaxMs},
      active = case when ${patch.active === true} then true else active end,
      updated_at = now()
    where name = ${name}`)
  return getSubscription(ex, name)
}

/**
 * Puts a new secret first and keeps the current one signing for `graceSeconds` (0 revokes it at once — the answer
 * to a leaked secret). Older secrets are dropped: at most two ever sign.
 */
export async function rotateWebhookSecret(
  ex: Executor,
  name: string,
  { graceSeconds }: { graceSeconds: number },
): Promise<{ secret: string; previousSecretExpiresAt: string | null }> {
  const secret = generateWebhookSecret()
  const rows = await queryRows<{ kind: string; expires: string | Date | null }>(
    ex,
    sql`update event_subscriptions set
          secrets = case when ${graceSeconds} > 0 then array[${secret}::text] || secrets[1:1] else array[${secret}::text] end,
          previous_secrets_expire_at = case when ${graceSeconds} > 0 then now() + ${graceSeconds} * interval '1 second' end,
          updated_at = now()
        where name = ${name} and kind = 'http'
        returning kind, previous_secrets_expire_at as expires`,
  )
  if (!rows.length) {
    await getSubscription(ex, name) // 404 for an unknown name
    throw codeOwned(name)
  }
  return { secret, previousSecretExpiresAt: iso(rows[0]!.expires) }
}

/** Deactivates a partner webhook (DELETE): the row stays, so its history and deliveries keep their subscription. */
export async function deactivateWebhookSubscription(ex: Executor, name: string): Promise<void> {
  const current = await getSubscription(ex, name)
  if (current.kind !== 'http') throw codeOwned(name)
  await deactivateSubscription(ex, name, 'deactivated by an admin')
}

/**
 * Stops fan-out to a subscription and parks its pending deliveries as dead `deactivated`, so they neither wait
 * forever nor count as dispatcher lag. `except` leaves one delivery alone (the one whose answer caused this).
 * Returns false for an unknown name.
 */
export async function deactivateSubscription(ex: Executor, name: string, reason: string, { except }: { except?: string } = {}): Promise<boolean> {
  const rows = await queryRows(
    ex,
    sql`with sub as (
          update event_subscriptions set active = false, updated_at = now() where name = ${name} returning name
        ), parked as (
          update event_deliveries set status = 'dead', dead_reason = 'deactivated', completed_at = now(), lease_owner = null, leased_until = null,
            last_error = ${`subscription deactivated: ${reason}`}
          where subscription in (select name from sub) and status = 'pending' and id <> ${except ?? '0'}::bigint
          returning 1
        )
        select name, (select count(*) from parked)::int as parked from sub`,
  )
  return rows.length === 1
}

const listCursor = z.object({ after: z.string().regex(SUBSCRIPTION_NAME) })

export async function listSubscriptions(
  ex: Executor,
  { cursor, limit = 50 }: { cursor?: string; limit?: number } = {},
): Promise<{ items: SubscriptionView[]; nextCursor: string | null; hasMore: boolean }> {
  const after = cursor ? decodeCursor(cursor, listCursor).after : null
  const rows = await selectSubscriptions(ex, sql`(${after}::text is null or s.name > ${after}::text)`, limit + 1)
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  return { items, nextCursor: last ? encodeCursor({ after: last.name }) : cursor ?? null, hasMore: rows.length > limit }
}

export async function getSubscription(ex: Executor, name: string): Promise<SubscriptionView> {
  const [found] = await selectSubscriptions(ex, sql`s.name = ${name}`, 1)
  if (!found) throw new DomainError('not_found', `No subscription named "${name}"`)
  return found
}

interface SubscriptionRow {
  name: string
  kind: 'code' | 'http'
  url: string | null
  patterns: unknown
  active: boolean
  ordered: boolean
  max_attempts: number
  backoff_base_ms: number
  backoff_max_ms: number
  live_secrets: number | null
  previous_secrets_expire_at: string | Date | null
  pending: number
  dead: number
  created_at: string | Date
  updated_at: string | Date
}

async function selectSubscriptions(ex: Executor, where: ReturnType<typeof sql>, limit: number): Promise<SubscriptionView[]> {
  // Secrets are never selected here: only how many of them sign now.
  const rows = await queryRows<SubscriptionRow>(
    ex,
    sql`select s.name, s.kind, s.url, to_jsonb(s.patterns) as patterns, s.active, s.ordered, s.max_attempts, s.backoff_base_ms, s.backoff_max_ms,
          case when s.kind = 'http' then case when s.previous_secrets_expire_at > now() then cardinality(s.secrets) else 1 end end as live_secrets,
          case when s.previous_secrets_expire_at > now() then s.previous_secrets_expire_at end as previous_secrets_expire_at,
          (select count(*) from event_deliveries d where d.subscription = s.name and d.status = 'pending')::int as pending,
          (select count(*) from event_deliveries d where d.subscription = s.name and d.status = 'dead')::int as dead,
          s.created_at, s.updated_at
        from event_subscriptions s
        where ${where}
        order by s.name
        limit ${limit}`,
  )
  return rows.map((r) => ({
    name: r.name,
    kind: r.kind,
    url: r.url,
    patterns: jsonValue(r.patterns) as string[],
    active: r.active,
    ordered: r.ordered,
    maxAttempts: Number(r.max_attempts),
    backoffBaseMs: Number(r.backoff_base_ms),
    backoffMaxMs: Number(r.backoff_max_ms),
    signing: r.kind === 'http' ? { secrets: Number(r.live_secrets), previousSecretExpiresAt: iso(r.previous_secrets_expire_at) } : null,
    deliveries: { pending: Number(r.pending), dead: Number(r.dead) },
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
  }))
}

function compilePatterns(patterns: string[]): string[] {
  if (!patterns.length) throw invalid('patterns', 'at least one pattern')
  try {
    return patterns.map(patternToRegexSource)
  } catch (error) {
    throw invalid('patterns', (error as Error).message)
  }
}

function checkBackoff(o: { backoffBaseMs: number; backoffMaxMs: number }) {
  if (o.backoffMaxMs < o.backoffBaseMs) throw invalid('backoffMaxMs', 'must not be below backoffBaseMs')
}

function definedOnly(o: WebhookOptions): WebhookOptions {
  const { maxAttempts, backoffBaseMs, backoffMaxMs, ordered } = o
  return Object.fromEntries(Object.entries({ maxAttempts, backoffBaseMs, backoffMaxMs, ordered }).filter(([, v]) => v !== undefined))
}

function codeOwned(name: string) {
  return new DomainError('conflict', `"${name}" is a code subscription: it is defined in code, not through this API`)
}

function invalid(field: string, message: string) {
  return new DomainError('invalid', `${field}: ${message}`, { errors: [{ path: `body.${field}`, message }] })
}

/** Timestamps arrive as Date (postgres.js) or text (PGlite, raw queries); answers carry ISO 8601. */
export function iso(value: string | Date | null | undefined): string | null {
  return value === null || value === undefined ? null : new Date(value).toISOString()
}

/** json/jsonb arrives parsed on one driver and as text on the other. */
export function jsonValue(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value
}
