/**
 * Operator payouts. A run first releases due earnings, retries payouts left pending, then pays every operator
 * whose available balance reaches the minimum and who has a verified payout method.
 *
 * Guarantees:
 * - never paid twice: claiming a payout is one transaction that locks the operator's available account
 *   (`FOR UPDATE SKIP LOCKED` — a concurrent run skips that operator), re-reads the balance under the lock, inserts
 *   the payout row and posts available → in transit. Whatever a second run sees afterwards is the balance net of it;
 * - the provider is called outside any transaction, with idempotencyKey = payout id, and with the destination
 *   stored on the payout row: a retry sends exactly the first request again, so the provider dedupes it;
 * - a crash (or a thrown provider call) between the call and the settlement leaves the payout `pending`; a later run
 *   retries it once `retryAfterMs` passed since the last attempt, with the same key;
 * - settlement is one transaction with its event: paid → in transit → provider receivable, `payout.paid`;
 *   failed → in transit back to available, `payout.failed` with the reason. Settling twice is a no-op, so a
 *   provider webhook and a run may race (markPayoutPaid / markPayoutFailed are exported for the webhook handler).
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Database, type Executor } from '../../../core/db/index.ts'
import { accountBalance, lockAccount, postTransaction } from '../../../core/ledger/index.ts'
import type { Logger } from '../../../core/monitoring/logger.ts'
import type { Money, PaymentProvider, PayoutDestination } from '../../../core/payments/provider.ts'
import { publish } from '../../../events/publish.ts'
import { uuidv7 } from '../../../events/envelope.ts'
import type { Deps } from '../../../deps.ts'
import { accounts, ACCOUNT_KINDS } from './accounts.ts'
import { releaseOperatorFunds } from './earnings.ts'

export interface PayoutDeps {
  db: Database
  logger?: Logger
}

/** `provider`: the one the operator's payout method (or the pending payout) names. */
export type PayoutProviderLookup = (operatorId: string, currency: string, provider?: string) => PaymentProvider | undefined

export interface RunPayoutsOptions {
  providerFor: PayoutProviderLookup
  now: Date
  /** Smallest payout in minor units: one number for every currency, or per currency (others: 1). */
  minAmount?: number | Record<string, number>
  /** A pending payout is retried once this long has passed since its last attempt. */
  retryAfterMs?: number
  /** Operators (and pending payouts) handled per run. */
  limit?: number
}

export interface PayoutOutcome {
  payoutId: string
  operatorId: string
  amount: Money
  status: 'paid' | 'failed' | 'pending'
  reason?: string
  /** true when this was a retry of a payout claimed by an earlier run. */
  retried: boolean
}

export interface PayoutRunReport {
  released: number
  paid: PayoutOutcome[]
  failed: PayoutOutcome[]
  /** Still pending: the provider accepted it asynchronously, or the call failed and will be retried. */
  pending: PayoutOutcome[]
  skipped: Array<{ operatorId: string; currency: string; reason: string }>
}

export interface PayoutRow {
  id: string
  operatorId: string
  amount: number
  currency: string
  status: 'pending' | 'paid' | 'failed'
  provider: string
  destination: PayoutDestination
  providerPayoutId: string | null
  failureReason: string | null
  attempts: number
}

export async function runPayouts(deps: PayoutDeps, options: RunPayoutsOptions): Promise<PayoutRunReport> {
  const { now, providerFor, limit = 500, retryAfterMs = 300_000 } = options
  const report: PayoutRunReport = { released: 0, paid: [], failed: [], pending: [], skipped: [] }
  report.released = (await deps.db.orm.transaction((tx) => releaseOperatorFunds(tx, now))).length

  for (const payout of await claimRetries(deps.db.orm, now, retryAfterMs, limit)) {
    const provider = providerFor(payout.operatorId, payout.currency, payout.provider)
    if (!provider?.payout || provider.name !== payout.provider) {
      report.skipped.push({ operatorId: payout.operatorId, currency: payout.currency, reason: `payout ${payout.id} waits for its provider ${payout.provider}` })
      continue
    }
    record(report, await executePayout(deps, payout, provider, now, true))
  }

  for (const candidate of await payoutCandidates(deps.db.orm, limit)) {
    const min = minimumFor(options.minAmount, candidate.currency)
    if (candidate.available < min) continue
    const provider = providerFor(candidate.operatorId, candidate.currency, candidate.provider)
    if (!provider?.payout || provider.name !== candidate.provider || !provider.supports(candidate.currency)) {
      report.skipped.push({ operatorId: candidate.operatorId, currency: candidate.currency, reason: `no ${candidate.provider} payout provider for ${candidate.currency}` })
      continue
    }
    const claimed = await claimPayout(deps.db, candidate.operatorId, candidate.currency, min, now)
    if (!claimed) continue // another run holds or has just paid this balance
    record(report, await executePayout(deps, claimed, provider, now, false))
  }
  return report
}

function record(report: PayoutRunReport, outcome: PayoutOutcome) {
  report[outcome.status].push(outcome)
}

function minimumFor(min: RunPayoutsOptions['minAmount'], currency: string): number {
  const value = typeof min === 'number' ? min : (min?.[currency] ?? 1)
  return Math.max(1, value)
}

interface Candidate {
  operatorId: string
  currency: string
  available: number
  provider: string
}

/** Operators with a positive available balance and a verified method (a hint: re-checked under the lock). */
async function payoutCandidates(ex: Executor, limit: number): Promise<Candidate[]> {
  const rows = await queryRows<{ operator_id: string; currency: string; available: string; provider: string }>(
    ex,
    sql`select a.owner as operator_id, a.currency, (-sum(e.amount))::text as available, m.provider
        from ledger_accounts a
        join ledger_entries e on e.account_id = a.id
        join operator_payout_methods m on m.operator_id::text = a.owner and m.verified
        where a.kind = ${ACCOUNT_KINDS.operatorAvailable}
        group by a.owner, a.currency, m.provider
        having -sum(e.amount) > 0
        order by a.owner, a.currency
        limit ${limit}`,
  )
  return rows.map((r) => ({ operatorId: r.operator_id, currency: r.currency, available: Number(r.available), provider: r.provider }))
}

/** One transaction: lock the available account, re-read it, insert the payout and move the money to in transit. */
async function claimPayout(db: Database, operatorId: string, currency: string, min: number, now: Date): Promise<PayoutRow | undefined> {
  return db.orm.transaction(async (tx) => {
    const locked = await lockAccount(tx, accounts.operatorAvailable(operatorId, currency), { skipLocked: true })
    if (!locked) return undefined
    const [method] = await queryRows<{ provider: string; destination: PayoutDestination | string }>(
      tx,
      sql`select provider, destination from operator_payout_methods where operator_id = ${operatorId} and verified`,
    )
    if (!method) return undefined
    const available = -(await accountBalance(tx, accounts.operatorAvailable(operatorId, currency)))
    if (available < min) return undefined
    const id = uuidv7(now.getTime())
    const posted = await postTransaction(tx, {
      kind: 'payout',
      reference: { type: 'payout', id },
      idempotencyKey: `payout:${id}`,
      occurredAt: now,
      entries: [
        { account: accounts.operatorAvailable(operatorId, currency), amount: available },
        { account: accounts.payoutsInTransit(operatorId, currency), amount: -available },
      ],
      metadata: { operatorId, provider: method.provider },
    })
    const destination = typeof method.destination === 'string' ? method.destination : JSON.stringify(method.destination)
    const [row] = await queryRows<PayoutDbRow>(
      tx,
      sql`insert into payouts (id, operator_id, amount, currency, status, provider, destination, attempts, created_at, attempted_at, claim_transaction_id)
          values (${id}, ${operatorId}, ${available}, ${currency}, 'pending', ${method.provider}, ${destination}::jsonb, 1,
            ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz, ${posted.transactionId})
          returning *`,
    )
    return fromRow(row!)
  })
}

/** Pending payouts whose last attempt is older than the retry delay, claimed (attempt stamped) so runs split them. */
async function claimRetries(ex: Executor, now: Date, retryAfterMs: number, limit: number): Promise<PayoutRow[]> {
  const due = new Date(now.getTime() - retryAfterMs).toISOString()
  const rows = await queryRows<PayoutDbRow>(
    ex,
    sql`update payouts set attempted_at = ${now.toISOString()}::timestamptz, attempts = attempts + 1
        where id in (select id from payouts where status = 'pending' and attempted_at <= ${due}::timestamptz
                     order by attempted_at limit ${limit} for update skip locked)
        returning *`,
  )
  return rows.map(fromRow)
}

async function executePayout(deps: PayoutDeps, payout: PayoutRow, provider: PaymentProvider, now: Date, retried: boolean): Promise<PayoutOutcome> {
  const base = { payoutId: payout.id, operatorId: payout.operatorId, amount: { amount: payout.amount, currency: payout.currency }, retried }
  let result
  try {
    result = await provider.payout!({
      payoutId: payout.id,
      amount: base.amount,
      destination: payout.destination,
      description: `KamHub payout ${payout.id}`,
      idempotencyKey: payout.id,
    })
  } catch (error) {
    // Unknown outcome: the provider may have paid. Stay pending; the retry sends the same key.
    const message = error instanceof Error ? error.message.slice(0, 500) : 'provider call failed'
    deps.logger?.warn({ payoutId: payout.id, err: message }, 'payout call failed; will retry with the same idempotency key')
    await deps.db.orm.execute(sql`update payouts set last_error = ${message} where id = ${payout.id}`)
    return { ...base, status: 'pending', reason: message }
  }
  if (result.status === 'succeeded') {
    await markPayoutPaid(deps.db, { payoutId: payout.id, providerPayoutId: result.providerPayoutId, at: now })
    return { ...base, status: 'paid' }
  }
  if (result.status === 'failed') {
    const reason = result.failureReason ?? 'the provider declined the payout'
    await markPayoutFailed(deps.db, { payoutId: payout.id, providerPayoutId: result.providerPayoutId, reason, at: now })
    return { ...base, status: 'failed', reason }
  }
  await deps.db.orm.execute(sql`update payouts set provider_payout_id = ${result.providerPayoutId} where id = ${payout.id}`)
  return { ...base, status: 'pending' }
}

/** A payout run with the deployment's settings: what the admin endpoint and the daily maintenance run. */
export function runPayoutsFromConfig(deps: Pick<Deps, 'db' | 'logger' | 'config' | 'clock' | 'payoutProviderFor'>): Promise<PayoutRunReport> {
  const { db, logger, config, clock, payoutProviderFor } = deps
  return runPayouts(
    { db, logger },
    {
      providerFor: payoutProviderFor ?? (() => undefined),
      now: clock.now(),
      minAmount: config.PAYOUT_MIN_AMOUNT,
      retryAfterMs: config.PAYOUT_RETRY_AFTER_SECONDS * 1000,
    },
  )
}

export interface SettleInput {
  payoutId: string
  providerPayoutId?: string
  at: Date
}

/** The provider paid: in transit → provider receivable, status paid, `payout.paid`. A no-op once settled. */
export async function markPayoutPaid(db: Database, input: SettleInput): Promise<PayoutRow | undefined> {
  return settle(db, input, 'paid')
}

/** The provider refused: the money returns to available, status failed, `payout.failed` with the reason. */
export async function markPayoutFailed(db: Database, input: SettleInput & { reason: string }): Promise<PayoutRow | undefined> {
  return settle(db, input, 'failed', input.reason)
}

async function settle(db: Database, input: SettleInput, outcome: 'paid' | 'failed', reason?: string): Promise<PayoutRow | undefined> {
  return db.orm.transaction(async (tx) => {
    const [locked] = await queryRows<PayoutDbRow>(tx, sql`select * from payouts where id = ${input.payoutId} for update`)
    if (!locked || locked.status !== 'pending') return locked && fromRow(locked)
    const payout = fromRow(locked)
    const { operatorId, currency, amount } = payout
    const counter = outcome === 'paid' ? accounts.providerReceivable(payout.provider, currency) : accounts.operatorAvailable(operatorId, currency)
    const posted = await postTransaction(tx, {
      kind: outcome === 'paid' ? 'payout_paid' : 'payout_failed',
      reference: { type: 'payout', id: payout.id },
      idempotencyKey: `payout_${outcome}:${payout.id}`,
      occurredAt: input.at,
      entries: [
        { account: accounts.payoutsInTransit(operatorId, currency), amount },
        { account: counter, amount: -amount },
      ],
      metadata: { operatorId, provider: payout.provider, ...(reason ? { reason } : {}) },
    })
    const at = input.at.toISOString()
    const [row] = await queryRows<PayoutDbRow>(
      tx,
      outcome === 'paid'
        ? sql`update payouts set status = 'paid', paid_at = ${at}::timestamptz, settle_transaction_id = ${posted.transactionId},
                provider_payout_id = coalesce(${input.providerPayoutId ?? null}, provider_payout_id)
              where id = ${payout.id} returning *`
        : sql`update payouts set status = 'failed', failed_at = ${at}::timestamptz, failure_reason = ${reason!.slice(0, 500)},
                settle_transaction_id = ${posted.transactionId}, provider_payout_id = coalesce(${input.providerPayoutId ?? null}, provider_payout_id)
              where id = ${payout.id} returning *`,
    )
    await publish(tx, {
      type: outcome === 'paid' ? 'payout.paid' : 'payout.failed',
      data: { payoutId: payout.id, operatorId, amount: { amount, currency }, ...(reason ? { reason: reason.slice(0, 500) } : {}) },
      aggregate: { type: 'payout', id: payout.id },
      time: input.at,
      actor: { type: 'system', id: 'payouts' },
    })
    return fromRow(row!)
  })
}

/** The payout a provider's notification speaks of (its own id for it, learned when the payout was sent). */
export async function findPayoutByProviderId(ex: Executor, provider: string, providerPayoutId: string): Promise<PayoutRow | undefined> {
  const [row] = await queryRows<PayoutDbRow>(ex, sql`select * from payouts where provider = ${provider} and provider_payout_id = ${providerPayoutId}`)
  return row && fromRow(row)
}

export async function getPayout(ex: Executor, payoutId: string): Promise<PayoutRow | undefined> {
  const [row] = await queryRows<PayoutDbRow>(ex, sql`select * from payouts where id = ${payoutId}`)
  return row && fromRow(row)
}

interface PayoutDbRow {
  id: string
  operator_id: string
  amount: string | number
  currency: string
  status: 'pending' | 'paid' | 'failed'
  provider: string
  destination: PayoutDestination | string
  provider_payout_id: string | null
  failure_reason: string | null
  attempts: number
}

function fromRow(r: PayoutDbRow): PayoutRow {
  return {
    id: r.id,
    operatorId: r.operator_id,
    amount: Number(r.amount),
    currency: r.currency,
    status: r.status,
    provider: r.provider,
    destination: typeof r.destination === 'string' ? (JSON.parse(r.destination) as PayoutDestination) : r.destination,
    providerPayoutId: r.provider_payout_id,
    failureReason: r.failure_reason,
    attempts: Number(r.attempts),
  }
}
