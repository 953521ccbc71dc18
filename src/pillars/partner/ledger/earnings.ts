/**
 * What a payment means for the operator and the platform, posted to the ledger in the caller's transaction.
 *
 * Flow of an operator's share: capture → operator_payable (pending) → release, PAYOUT_HOLD_DAYS after the
 * departure completed → operator_available → payout. The release schedule is `operator_earnings` (one row per
 * captured payment): the capture may name `availableAt` when it is already known, otherwise `booking.completed`
 * sets it (markDepartureCompleted). Release is a posting of its own, so the ledger itself says what is pending and
 * what is available, and a payout only ever reads one account balance under a row lock.
 *
 * Every posting is idempotent on its business id (payment, refund, earning), so redelivered events are harmless.
 * Refunds reverse pro rata (see split.ts): the platform returns its commission share; the provider fee is not
 * returned (the platform bears it). A refund after release comes out of operator_available, which may go negative
 * after a payout — a debt the operator's next earnings settle.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../../../core/db/index.ts'
import { DomainError } from '../../../core/errors.ts'
import { lockAccount, ownerBalances, postTransaction, type EntryInput } from '../../../core/ledger/index.ts'
import type { Money } from '../../../core/payments/provider.ts'
import { accounts, ACCOUNT_KINDS } from './accounts.ts'
import { splitCommission, splitRefund } from './split.ts'

export interface PaymentCapturedInput {
  paymentId: string
  bookingId: string
  operatorId: string
  provider: string
  gross: Money
  /** Platform commission in basis points (1500 = 15 %). */
  commissionBps: number
  /** What the provider kept; booked as the platform's expense. */
  providerFee?: Money
  /** When the operator's share becomes available, if already known; otherwise booking.completed decides. */
  availableAt?: Date | null
  occurredAt: Date
}

export interface CaptureRecorded {
  transactionId: string
  created: boolean
  commission: number
  operatorShare: number
}

export async function recordPaymentCaptured(tx: Executor, input: PaymentCapturedInput): Promise<CaptureRecorded> {
  const { gross, provider, operatorId } = input
  const currency = gross.currency
  if (input.providerFee && input.providerFee.currency !== currency) throw new DomainError('invalid', 'The provider fee must be in the payment currency')
  const fee = input.providerFee?.amount ?? 0
  if (!Number.isSafeInteger(fee) || fee < 0 || fee > gross.amount) throw new DomainError('invalid', 'The provider fee must be between 0 and the gross amount')
  let split
  try {
    split = splitCommission(gross.amount, input.commissionBps)
  } catch (error) {
    throw new DomainError('invalid', (error as Error).message)
  }
  const entries: EntryInput[] = [
    { account: accounts.providerReceivable(provider, currency), amount: gross.amount },
    { account: accounts.platformRevenue(currency), amount: -split.commission },
    { account: accounts.operatorPayable(operatorId, currency), amount: -split.operatorShare },
    { account: accounts.providerFees(currency), amount: fee },
    { account: accounts.providerReceivable(provider, currency), amount: -fee },
  ].filter((e) => e.amount !== 0)
  const posted = await postTransaction(tx, {
    kind: 'payment_captured',
    reference: { type: 'payment', id: input.paymentId },
    idempotencyKey: `payment_captured:${input.paymentId}`,
    occurredAt: input.occurredAt,
    entries,
    metadata: { bookingId: input.bookingId, operatorId, provider, commissionBps: input.commissionBps, providerFee: fee },
  })
  if (posted.created) {
    await tx.execute(sql`
      insert into operator_earnings (id, operator_id, payment_id, booking_id, currency, amount, pending, gross, commission, provider,
        available_at, capture_transaction_id)
      values (${crypto.randomUUID()}, ${operatorId}, ${input.paymentId}, ${input.bookingId}, ${currency}, ${split.operatorShare},
        ${split.operatorShare}, ${gross.amount}, ${split.commission}, ${provider}, ${input.availableAt?.toISOString() ?? null}::timestamptz,
        ${posted.transactionId})`)
  }
  return { ...posted, ...split }
}

export interface RefundInput {
  refundId: string
  paymentId: string
  amount: Money
  occurredAt: Date
}

export interface RefundRecorded {
  transactionId: string
  created: boolean
  /** Commission the platform gave back. */
  commission: number
  /** What came out of the operator's share: from pending first, the rest from available. */
  operator: number
}

interface EarningRow {
  id: string
  operator_id: string
  currency: string
  amount: string
  pending: string
  gross: string
  commission: string
  refunded: string
  commission_refunded: string
  provider: string
  available_at: string | Date | null
  released_at: string | Date | null
}

export async function recordRefund(tx: Executor, input: RefundInput): Promise<RefundRecorded> {
  // The earning row lock serialises refunds of one payment against each other and against its release.
  const [row] = await queryRows<EarningRow>(tx, sql`select * from operator_earnings where payment_id = ${input.paymentId} for update`)
  if (!row) throw new DomainError('not_found', 'No captured payment with this id is in the ledger')
  if (row.currency !== input.amount.currency) throw new DomainError('invalid', `The refund must be in the payment currency (${row.currency})`)
  const state = { gross: Number(row.gross), commission: Number(row.commission), refunded: Number(row.refunded), commissionRefunded: Number(row.commission_refunded) }
  const key = `refund:${input.refundId}`
  const existing = await queryRows<{ id: string }>(tx, sql`select id from ledger_transactions where idempotency_key = ${key}`)
  if (existing[0]) return { transactionId: existing[0].id, created: false, commission: 0, operator: 0 }
  let split
  try {
    split = splitRefund(state, input.amount.amount)
  } catch (error) {
    throw new DomainError('invalid', (error as Error).message)
  }
  const currency = row.currency
  const fromPending = Math.min(split.operator, Number(row.pending))
  const fromAvailable = split.operator - fromPending
  if (fromAvailable > 0) await lockAccount(tx, accounts.operatorAvailable(row.operator_id, currency))
  const entries: EntryInput[] = [
    { account: accounts.providerReceivable(row.provider, currency), amount: -input.amount.amount },
    { account: accounts.platformRevenue(currency), amount: split.commission },
    { account: accounts.operatorPayable(row.operator_id, currency), amount: fromPending },
    { account: accounts.operatorAvailable(row.operator_id, currency), amount: fromAvailable },
  ].filter((e) => e.amount !== 0)
  const posted = await postTransaction(tx, {
    kind: 'refund',
    reference: { type: 'refund', id: input.refundId },
    idempotencyKey: key,
    occurredAt: input.occurredAt,
    entries,
    metadata: { paymentId: input.paymentId, operatorId: row.operator_id, commission: split.commission, fromPending, fromAvailable },
  })
  if (posted.created) {
    await tx.execute(sql`
      update operator_earnings set refunded = refunded + ${input.amount.amount}, commission_refunded = commission_refunded + ${split.commission},
        pending = pending - ${fromPending}
      where id = ${row.id}`)
  }
  return { ...posted, ...split }
}

/**
 * The departure of a booking took place: its operator earnings become available `holdDays` later.
 * Idempotent (a redelivered booking.completed sets the same date). Returns how many earnings were scheduled.
 */
export async function markDepartureCompleted(tx: Executor, input: { bookingId: string; completedAt: Date; holdDays: number }): Promise<number> {
  const availableAt = new Date(input.completedAt.getTime() + input.holdDays * 86_400_000)
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update operator_earnings set available_at = ${availableAt.toISOString()}::timestamptz
        where booking_id = ${input.bookingId} and released_at is null returning id`,
  )
  return rows.length
}

export interface Released {
  operatorId: string
  paymentId: string
  amount: Money
}

/**
 * Moves every earning due by `now` from pending to available: one release posting per earning, under a
 * `FOR UPDATE SKIP LOCKED` claim so concurrent runs split the work instead of waiting.
 */
export async function releaseOperatorFunds(tx: Executor, now: Date, { limit = 1000 } = {}): Promise<Released[]> {
  const due = await queryRows<EarningRow & { payment_id: string }>(
    tx,
    sql`select * from operator_earnings where released_at is null and available_at <= ${now.toISOString()}::timestamptz
        order by available_at limit ${limit} for update skip locked`,
  )
  const released: Released[] = []
  for (const row of due) {
    const pending = Number(row.pending)
    let transactionId: string | null = null
    if (pending > 0) {
      const posted = await postTransaction(tx, {
        kind: 'release',
        reference: { type: 'operator_earning', id: row.id },
        idempotencyKey: `release:${row.id}`,
        occurredAt: now,
        entries: [
          { account: accounts.operatorPayable(row.operator_id, row.currency), amount: pending },
          { account: accounts.operatorAvailable(row.operator_id, row.currency), amount: -pending },
        ],
        metadata: { paymentId: row.payment_id, operatorId: row.operator_id },
      })
      transactionId = posted.transactionId
      released.push({ operatorId: row.operator_id, paymentId: row.payment_id, amount: { amount: pending, currency: row.currency } })
    }
    await tx.execute(sql`update operator_earnings set pending = 0, released_at = ${now.toISOString()}::timestamptz,
      release_transaction_id = ${transactionId} where id = ${row.id}`)
  }
  return released
}

export interface OperatorBalance {
  currency: string
  /** Earned, still on hold. */
  pending: number
  /** Payable now (negative: a refund after payout left a debt). */
  available: number
  /** Claimed by payouts not yet confirmed. */
  inTransit: number
}

/** An operator's balances per currency, read from the ledger (the only source of truth). */
export async function balances(ex: Executor, operatorId: string): Promise<OperatorBalance[]> {
  const rows = await ownerBalances(ex, operatorId, [ACCOUNT_KINDS.operatorPayable, ACCOUNT_KINDS.operatorAvailable, ACCOUNT_KINDS.payoutsInTransit])
  const byCurrency = new Map<string, OperatorBalance>()
  for (const r of rows) {
    const line = byCurrency.get(r.currency) ?? { currency: r.currency, pending: 0, available: 0, inTransit: 0 }
    // liabilities carry credit balances: owed to the operator = −balance
    const owed = r.balance === 0 ? 0 : -r.balance
    if (r.kind === ACCOUNT_KINDS.operatorPayable) line.pending = owed
    else if (r.kind === ACCOUNT_KINDS.operatorAvailable) line.available = owed
    else line.inTransit = owed
    byCurrency.set(r.currency, line)
  }
  return [...byCurrency.values()]
}
