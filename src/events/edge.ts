/**
 * Event delivery where no process lives between requests (Cloudflare Workers): due deliveries are claimed and handed
 * to QStash, which POSTs each one back, signed, to `POST /internal/events/deliver`; that request runs the handler.
 * The database stays the ledger: QStash only carries "run delivery N now" and a retry clock.
 *
 * Claims and leases. The claim (`claimDeliveries`, owner `qstash`) counts the attempt QStash is about to make and
 * leases the row for `leaseMs`: long enough for QStash to get the message through (flow control may queue it).
 * An arrival re-takes the row by id under its own owner (`qstash:<uuid>`) for the length of one request, so two
 * copies of a message cannot run the handler side by side. A failed attempt that QStash will retry keeps the row
 * with QStash (owner `qstash`, the next attempt counted, lease = backoff + `leaseMs`) and answers 503 with
 * `Retry-After` = the subscription's backoff, so QStash's retries follow the same schedule as the dispatcher's.
 * When QStash has no retry left the outcome is recorded as on a server (pending, lease released, due after the
 * backoff) and the cron sweep publishes it again. A message QStash loses costs nothing but time: its lease runs out
 * and the sweep claims the row again (counted as a crash, like a worker that died).
 *
 * Deduplication. `Upstash-Deduplication-Id` is `<delivery id>.<attempt>`: the id of one claim, not of the delivery.
 * A publish that failed ambiguously (QStash took the batch, the answer was lost) is released without consuming the
 * attempt, so the sweep's re-publish carries the same id and QStash drops the copy; a genuine new attempt (after a
 * lost message or a handoff) has a new number, so the 10-minute dedupe window never swallows a legitimate retry.
 * The endpoint is idempotent besides: a delivery already delivered or dead answers 200 without running anything.
 *
 * The message body is `{ deliveryId }` only: the endpoint loads the event from the database, so a replayed or forged
 * body cannot inject data, and the signature (HS256 JWT over the raw body and the deliver URL) is checked first.
 * WebCrypto and fetch only (through @upstash/qstash): the same code runs on Node, Deno and Workers.
 */
import { Client, Receiver } from '@upstash/qstash'
import { sql } from 'drizzle-orm'
import { queryRows, type Database, type Executor } from '../core/db/index.ts'
import type { Logger } from '../core/monitoring/logger.ts'
import { CLAIMABLE, CLAIMED_COLUMNS, CLAIMED_RETURNING, DUE_AT, claimDeliveries, recordOutcomes, toClaimed, type ClaimedDelivery, type ClaimRow, type Outcome } from './deliveries.ts'
import { uuidv7 } from './envelope.ts'
import type { EventMetrics } from './metrics.ts'
import { errorMessage, runDelivery } from './run-delivery.ts'
import { pgTextArray, registerSubscriptions, type CodeSubscription, type EventHandler } from './subscription.ts'
import type { WebhookTarget } from './webhooks.ts'

/** The lease owner of a delivery handed to QStash and not yet arrived. */
export const QSTASH_OWNER = 'qstash'
export const DELIVER_PATH = '/internal/events/deliver'

/** QStash's batch endpoint takes many messages per call; more per call than this makes one slow, all-or-nothing request. */
const MAX_BATCH = 100

export interface QStashConfig {
  PUBLIC_URL?: string
  QSTASH_URL: string
  QSTASH_TOKEN?: string
  QSTASH_CURRENT_SIGNING_KEY?: string
  QSTASH_NEXT_SIGNING_KEY?: string
  QSTASH_RETRIES: number
  QSTASH_PARALLELISM: number
  QSTASH_LEASE_MS: number
}

export interface QStashPublishSettings {
  baseUrl: string
  token: string
  deliverUrl: string
  retries: number
  parallelism: number
  leaseMs: number
}

/** What publishing needs, or undefined when QStash is not configured (parseConfig checks the variables go together). */
export function qstashPublishSettings(config: QStashConfig): QStashPublishSettings | undefined {
  if (!config.QSTASH_TOKEN || !config.PUBLIC_URL) return undefined
  return {
    baseUrl: config.QSTASH_URL,
    token: config.QSTASH_TOKEN,
    deliverUrl: deliverUrlFor(config.PUBLIC_URL),
    retries: config.QSTASH_RETRIES,
    parallelism: config.QSTASH_PARALLELISM,
    leaseMs: config.QSTASH_LEASE_MS,
  }
}

export interface QStashReceiverSettings {
  currentSigningKey: string
  nextSigningKey: string
  /** The URL QStash was asked to call: the JWT's `sub` must be exactly this. */
  deliverUrl: string
  retries: number
  leaseMs: number
}

export function qstashReceiverSettings(config: QStashConfig): QStashReceiverSettings | undefined {
  if (!config.QSTASH_CURRENT_SIGNING_KEY || !config.QSTASH_NEXT_SIGNING_KEY || !config.PUBLIC_URL) return undefined
  return {
    currentSigningKey: config.QSTASH_CURRENT_SIGNING_KEY,
    nextSigningKey: config.QSTASH_NEXT_SIGNING_KEY,
    deliverUrl: deliverUrlFor(config.PUBLIC_URL),
    retries: config.QSTASH_RETRIES,
    leaseMs: config.QSTASH_LEASE_MS,
  }
}

/** PUBLIC_URL may carry a path prefix (a proxy in front), so the path is appended rather than resolved. */
export function deliverUrlFor(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '') + DELIVER_PATH
}

/**
 * The SDK client, pinned to the configured credentials: `devMode: false` so a stray QSTASH_DEV in the environment
 * can never make it download and start the local dev server; one quick retry of a failed connection, then the
 * claims are released and the sweep tries again (a long SDK backoff would only hold a `waitUntil` open).
 */
export function createQStashClient({ baseUrl, token }: { baseUrl: string; token: string }): Client {
  return new Client({ baseUrl, token, devMode: false, enableTelemetry: false, retry: { retries: 1, backoff: () => 100 } })
}

export interface DispatchViaQStashOptions {
  db: Database
  qstash: Client
  deliverUrl: string
  /** Code subscriptions this deployment can run; HTTP subscriptions (partner webhooks) are included too. */
  subscriptionNames: string[]
  includeWebhooks?: boolean
  limit: number
  /** How long QStash has to get a message through before the sweep may claim the delivery again. */
  leaseMs: number
  /** QStash's retries per message (Upstash-Retries); further attempts go back through the sweep. */
  retries: number
  /** Flow control per subscription: at most `parallelism` of its deliveries in flight at once. */
  flowControl: { parallelism: number }
  logger: Logger
}

export interface DispatchResult {
  claimed: number
  published: number
  /** Claims given back because QStash refused them (or could not be reached). */
  released: number
  /** Messages QStash already had (same claim published twice). */
  deduplicated: number
}

/**
 * Claims up to `limit` due deliveries and publishes them with ONE batch call. If QStash refuses the call, or single
 * messages of it, those claims are released (due now, the attempt not consumed) for the sweep to publish again.
 */
export async function dispatchViaQStash(options: DispatchViaQStashOptions): Promise<DispatchResult> {
  const { db, qstash, deliverUrl, subscriptionNames, includeWebhooks = true, leaseMs, retries, flowControl, logger } = options
  const limit = Math.min(Math.max(1, options.limit), MAX_BATCH)
  const claimed = await claimDeliveries(db.orm, { subscriptions: subscriptionNames, limit, leaseMs, owner: QSTASH_OWNER, includeWebhooks })
  const result: DispatchResult = { claimed: claimed.length, published: 0, released: 0, deduplicated: 0 }
  if (!claimed.length) return result
  const messages = claimed.map((d) => ({
    url: deliverUrl,
    body: { deliveryId: d.id },
    deduplicationId: dedupeId(d),
    retries,
    flowControl: { key: d.subscription, parallelism: flowControl.parallelism },
  }))
  let answers: unknown[]
  try {
    answers = await qstash.batchJSON(messages)
  } catch (error) {
    result.released = await release(db.orm, claimed.map((d) => d.id))
    logger.warn({ claimed: claimed.length, released: result.released, error: errorMessage(error) }, 'QStash refused the batch; claims released for the sweep')
    return result
  }
  const refused: string[] = []
  claimed.forEach((d, i) => {
    const answer = answers[i] as { error?: unknown; deduplicated?: boolean } | undefined
    if (!answer || answer.error !== undefined) refused.push(d.id)
    else if (answer.deduplicated) result.deduplicated++
  })
  if (refused.length) {
    result.released = await release(db.orm, refused)
    logger.warn({ refused: refused.length }, 'QStash refused some messages of the batch; their claims released for the sweep')
  }
  result.published = claimed.length - refused.length
  return result
}

/** One claim of one delivery: a re-publish of the same claim is dropped by QStash, a new attempt is not. */
export function dedupeId(d: Pick<ClaimedDelivery, 'id' | 'attempt'>): string {
  return `${d.id}.${d.attempt}`
}

function release(ex: Executor, ids: string[]): Promise<number> {
  return recordOutcomes(ex, QSTASH_OWNER, ids.map((id) => ({ id, result: 'released' as const })))
}

/**
 * Checks `Upstash-Signature` against the raw body with the SDK's Receiver: HS256 under the current signing key,
 * then the next one (rotation), issuer "Upstash", `sub` exactly the deliver URL, `body` the SHA-256 of these bytes,
 * `exp`/`nbf` with a few seconds of clock tolerance. False on any failure: the caller answers 401 and runs nothing.
 */
export async function verifyQStashSignature({
  signature,
  body,
  settings,
  clockToleranceSeconds = 5,
}: {
  signature: string | undefined
  body: string
  settings: Pick<QStashReceiverSettings, 'currentSigningKey' | 'nextSigningKey' | 'deliverUrl'>
  clockToleranceSeconds?: number
}): Promise<boolean> {
  if (!signature) return false
  const receiver = new Receiver({ currentSigningKey: settings.currentSigningKey, nextSigningKey: settings.nextSigningKey, devMode: false })
  try {
    return await receiver.verify({ signature, body, url: settings.deliverUrl, clockTolerance: clockToleranceSeconds })
  } catch {
    return false
  }
}

export interface DeliverFromQStashOptions {
  db: Database
  deliveryId: string
  /** `Upstash-Retried`: how often QStash has retried this message (0 on the first delivery). */
  retried: number
  settings: Pick<QStashReceiverSettings, 'retries' | 'leaseMs'>
  subscriptions: CodeSubscription[]
  webhookHandler?: (target: WebhookTarget) => EventHandler
  metrics: EventMetrics
  logger: Logger
  poisonAfterCrashes?: number
  handlerTimeoutMs: number
  /** How long an arrival holds the row: past it, a crashed request's delivery can be taken over. */
  runLeaseMs: number
}

export type DeliverResult =
  | { status: 'delivered' | 'dead'; ran: boolean }
  /** Failed; QStash retries after `retryAfterSeconds` (or the sweep does, once QStash has no retry left). */
  | { status: 'retry'; ran: true; retryAfterSeconds: number; error: string }
  /** Another copy of this message is running it now. */
  | { status: 'busy'; ran: false; retryAfterSeconds: number }
  /** Not QStash's to run (another deliverer holds it, it is waiting for its backoff, or unknown here). */
  | { status: 'skipped'; ran: false; reason: string }

/** Runs one delivery that QStash brought back: take the row, run the handler through `runDelivery`, record. */
export async function deliverFromQStash(options: DeliverFromQStashOptions): Promise<DeliverResult> {
  const { db, deliveryId, retried, settings, subscriptions, webhookHandler, metrics, logger, poisonAfterCrashes = 3, handlerTimeoutMs, runLeaseMs } = options
  const log = logger.child({ component: 'qstash-deliver' })
  const owner = `${QSTASH_OWNER}:${uuidv7()}`
  const bySubscription = new Map(subscriptions.map((s) => [s.name, s]))
  const d = await takeDelivery(db.orm, { id: deliveryId, owner, names: [...bySubscription.keys()], includeWebhooks: Boolean(webhookHandler), runLeaseMs })
  if (!d) return explainNotTaken(db.orm, deliveryId)

  const outcome = await runDelivery(d, {
    resolveHandler: (x) => (x.webhook ? webhookHandler!(x.webhook) : bySubscription.get(x.subscription)!.handler),
    metrics,
    logger: log,
    poisonAfterCrashes,
    handlerTimeoutMs,
  })
  if (outcome.result === 'retry' && retried < settings.retries) {
    const kept = await keepWithQStash(db.orm, { id: d.id, owner, error: outcome.error, delayMs: outcome.delayMs, leaseMs: settings.leaseMs })
    if (!kept) log.warn({ deliveryId: d.id }, 'lease lost while the handler ran; the outcome was not recorded')
    return { status: 'retry', ran: true, retryAfterSeconds: Math.max(1, Math.ceil(outcome.delayMs / 1000)), error: outcome.error }
  }
  // Delivered, dead, or QStash's last retry failed: recorded as any dispatcher does; a retry is then the sweep's.
  const recorded = await recordOutcomes(db.orm, owner, [outcome])
  if (!recorded) log.warn({ deliveryId: d.id, result: outcome.result }, 'lease lost while the handler ran; the outcome was not recorded')
  return outcomeResult(outcome)
}

function outcomeResult(outcome: Outcome): DeliverResult {
  switch (outcome.result) {
    case 'delivered':
      return { status: 'delivered', ran: true }
    case 'dead':
      return { status: 'dead', ran: true }
    case 'retry':
      return { status: 'retry', ran: true, retryAfterSeconds: Math.max(1, Math.ceil(outcome.delayMs / 1000)), error: outcome.error }
    default:
      throw new Error(`unexpected outcome ${outcome.result}`)
  }
}

/**
 * Takes one delivery by id for this arrival, or nothing. It may run when it is QStash's (claimed for QStash, its
 * attempt already counted) or when it is due and nobody's lease is live — then it is claimed as `claimDeliveries`
 * would (an attempt counted; a crash if a lease ran out), order by aggregate respected. That second case covers a
 * copy of a message whose publish looked failed and was released, and a retry after a request that died.
 */
async function takeDelivery(
  ex: Executor,
  { id, owner, names, includeWebhooks, runLeaseMs }: { id: string; owner: string; names: string[]; includeWebhooks: boolean; runLeaseMs: number },
): Promise<ClaimedDelivery | undefined> {
  const rows = await queryRows<ClaimRow>(
    ex,
    sql`with taken as (
          update event_deliveries d
          set lease_owner = ${owner},
              attempts = d.attempts + case when d.lease_owner = ${QSTASH_OWNER} then 0 else 1 end,
              crashes = d.crashes + case when d.lease_owner is null or d.lease_owner = ${QSTASH_OWNER} then 0 else 1 end,
              leased_until = now() + ${runLeaseMs} * interval '1 millisecond'
          from event_subscriptions s
          where d.id = ${id}::bigint and s.name = d.subscription and d.status = 'pending'
            and (d.subscription = any(${pgTextArray(names)}::text[]) or (${includeWebhooks}::boolean and s.kind = 'http' and s.active))
            and (d.lease_owner = ${QSTASH_OWNER} or (${CLAIMABLE} and (d.ordering_key is null or not exists (
              select 1 from event_deliveries p
              where p.subscription = d.subscription and p.ordering_key = d.ordering_key
                and p.status = 'pending' and p.event_seq < d.event_seq))))
          returning ${CLAIMED_RETURNING}
        )
        select ${CLAIMED_COLUMNS}
        from taken d join event_outbox e on e.seq = d.event_seq join event_subscriptions s on s.name = d.subscription`,
  )
  return rows[0] && toClaimed(rows[0])
}

async function explainNotTaken(ex: Executor, id: string): Promise<DeliverResult> {
  const [row] = await queryRows<{ status: string; lease_owner: string | null; lease_left_ms: number | string }>(
    ex,
    sql`select d.status, d.lease_owner, greatest(0, extract(epoch from ${DUE_AT} - now()) * 1000)::float8 as lease_left_ms
        from event_deliveries d where d.id = ${id}::bigint`,
  )
  if (!row) return { status: 'skipped', ran: false, reason: 'no such delivery (pruned, or another database)' }
  if (row.status === 'delivered' || row.status === 'dead') return { status: row.status, ran: false }
  if (row.lease_owner?.startsWith(`${QSTASH_OWNER}:`)) {
    return { status: 'busy', ran: false, retryAfterSeconds: Math.max(1, Math.ceil(Number(row.lease_left_ms) / 1000)) }
  }
  return { status: 'skipped', ran: false, reason: row.lease_owner ? 'claimed by another deliverer' : 'not due, or not deliverable here' }
}

/**
 * A failed attempt QStash will retry: the next attempt is counted now (as a claim would) and the row stays QStash's,
 * leased through the backoff and the message's flight (only unindexed columns change: a HOT update, like a claim).
 */
async function keepWithQStash(ex: Executor, { id, owner, error, delayMs, leaseMs }: { id: string; owner: string; error: string; delayMs: number; leaseMs: number }): Promise<boolean> {
  const rows = await queryRows(
    ex,
    sql`update event_deliveries
        set lease_owner = ${QSTASH_OWNER}, attempts = attempts + 1, last_error = ${error.slice(0, 2000)},
            leased_until = now() + ${delayMs + leaseMs} * interval '1 millisecond'
        where id = ${id}::bigint and lease_owner = ${owner} and status = 'pending'
        returning 1 as kept`,
  )
  return rows.length === 1
}

export interface EdgeEventsOptions {
  config: QStashConfig & { EVENTS_BATCH_SIZE: number }
  /** Code subscriptions this deployment runs (their rows are upserted so publishers fan out to them). */
  subscriptions: CodeSubscription[]
  logger: Logger
  /** After QStash refused a batch, after-commit kicks stand aside this long and leave the work to the sweep. */
  cooldownMs?: number
  /** Batches one sweep publishes at most (each one claim + one QStash call). */
  maxSweepBatches?: number
  now?: () => number
}

export interface EdgeEvents {
  readonly configured: boolean
  /** After a commit (inside `waitUntil`): one batch, never throws. */
  kick(db: Database): Promise<void>
  /** The cron sweep: registers the code subscriptions, then publishes batches until nothing is due. */
  sweep(db: Database): Promise<DispatchResult>
}

/**
 * Workers' side of event delivery, one per isolate. Without QStash configured it warns once and leaves deliveries
 * pending: running handlers inline in `waitUntil` would have no retry clock but the minute cron, a request-sized time
 * budget, and an evicted isolate would count as a crash — a server-side dispatcher on the same database delivers
 * them properly, and readiness reports the lag meanwhile.
 */
export function createEdgeEvents({ config, subscriptions, logger, cooldownMs = 30_000, maxSweepBatches = 20, now = Date.now }: EdgeEventsOptions): EdgeEvents {
  const settings = qstashPublishSettings(config)
  const log = logger.child({ component: 'qstash-dispatch' })
  const client = settings && createQStashClient(settings)
  const names = subscriptions.map((s) => s.name)
  let warned = false
  let coolUntil = 0
  let registered = false

  function unconfigured(): DispatchResult {
    if (!warned) {
      warned = true
      log.warn('QStash is not configured (QSTASH_TOKEN, QSTASH_*_SIGNING_KEY, PUBLIC_URL): events stay pending until a server-side dispatcher delivers them')
    }
    return { claimed: 0, published: 0, released: 0, deduplicated: 0 }
  }

  function dispatch(db: Database): Promise<DispatchResult> {
    return dispatchViaQStash({
      db,
      qstash: client!,
      deliverUrl: settings!.deliverUrl,
      subscriptionNames: names,
      limit: config.EVENTS_BATCH_SIZE,
      leaseMs: settings!.leaseMs,
      retries: settings!.retries,
      flowControl: { parallelism: settings!.parallelism },
      logger: log,
    })
  }

  async function register(db: Database): Promise<void> {
    await registerSubscriptions(db.orm, subscriptions)
  }

  return {
    configured: Boolean(settings),
    async kick(db) {
      if (!settings) return void unconfigured()
      if (now() < coolUntil) return
      try {
        // Once per isolate, so events published before the first cron tick still fan out to code subscriptions. A flag,
        // not a shared promise: on Workers a promise must not outlive the request whose I/O settles it.
        if (!registered) {
          await register(db)
          registered = true
        }
        const result = await dispatch(db)
        if (result.released) coolUntil = now() + cooldownMs
      } catch (error) {
        log.warn({ error: errorMessage(error) }, 'after-commit dispatch failed; the cron sweep will publish')
      }
    },
    async sweep(db) {
      if (!settings) return unconfigured()
      await register(db)
      const total: DispatchResult = { claimed: 0, published: 0, released: 0, deduplicated: 0 }
      for (let batch = 0; batch < maxSweepBatches; batch++) {
        const r = await dispatch(db)
        total.claimed += r.claimed
        total.published += r.published
        total.released += r.released
        total.deduplicated += r.deduplicated
        // Nothing more due, or QStash is refusing: the next tick tries again.
        if (r.claimed < Math.min(config.EVENTS_BATCH_SIZE, MAX_BATCH) || r.released) break
      }
      if (total.released) coolUntil = now() + cooldownMs
      else coolUntil = 0
      return total
    },
  }
}
