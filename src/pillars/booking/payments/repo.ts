/** Rows of sql/0008_payments.sql, read and written with parameters only (the SQL file is the source of truth). */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../../../core/db/index.ts'
import type { ClientAction, ProviderName, ProviderPaymentStatus } from '../../../core/payments/provider.ts'

export interface PaymentRow {
  id: string
  bookingId: string
  provider: ProviderName
  providerPaymentId: string | null
  status: ProviderPaymentStatus
  amount: number
  currency: string
  capturedAmount: number
  refundedAmount: number
  authorizationExpiresAt: Date | null
  captureAfter: Date | null
  failureReason: string | null
  clientAction: ClientAction | null
  ticket: string | null
  createdAt: Date
  updatedAt: Date
  version: number
}

interface DbRow {
  id: string
  booking_id: string
  provider: ProviderName
  provider_payment_id: string | null
  status: ProviderPaymentStatus
  amount: string | number
  currency: string
  captured_amount: string | number
  refunded_amount: string | number
  authorization_expires_at: string | Date | null
  capture_after: string | Date | null
  failure_reason: string | null
  client_action: ClientAction | string | null
  ticket: string | null
  created_at: string | Date
  updated_at: string | Date
  version: number
}

const date = (v: string | Date) => (v instanceof Date ? v : new Date(v))
const maybeDate = (v: string | Date | null) => (v === null ? null : date(v))

function fromRow(r: DbRow): PaymentRow {
  return {
    id: r.id,
    bookingId: r.booking_id,
    provider: r.provider,
    providerPaymentId: r.provider_payment_id,
    status: r.status,
    amount: Number(r.amount),
    currency: r.currency,
    capturedAmount: Number(r.captured_amount),
    refundedAmount: Number(r.refunded_amount),
    authorizationExpiresAt: maybeDate(r.authorization_expires_at),
    captureAfter: maybeDate(r.capture_after),
    failureReason: r.failure_reason,
    clientAction: typeof r.client_action === 'string' ? (JSON.parse(r.client_action) as ClientAction) : r.client_action,
    ticket: r.ticket,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    version: Number(r.version),
  }
}

export const LIVE_STATUSES = ['pending', 'requires_action', 'authorized', 'captured'] as const

export async function insertPayment(
  tx: Executor,
  p: { id: string; bookingId: string; provider: ProviderName; amount: number; currency: string; now: Date },
): Promise<PaymentRow | undefined> {
  const rows = await queryRows<DbRow>(
    tx,
    sql`insert into payments (id, booking_id, provider, status, amount, currency, created_at, updated_at)
        values (${p.id}, ${p.bookingId}, ${p.provider}, 'pending', ${p.amount}, ${p.currency}, ${p.now.toISOString()}::timestamptz, ${p.now.toISOString()}::timestamptz)
        on conflict do nothing returning *`,
  )
  return rows[0] && fromRow(rows[0])
}

export async function findPayment(ex: Executor, id: string, { lock = false } = {}): Promise<PaymentRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined // provider-echoed ids are untrusted text
  const rows = await queryRows<DbRow>(ex, lock ? sql`select * from payments where id = ${id} for update` : sql`select * from payments where id = ${id}`)
  return rows[0] && fromRow(rows[0])
}

export async function findByProviderId(ex: Executor, provider: ProviderName, providerPaymentId: string): Promise<PaymentRow | undefined> {
  const rows = await queryRows<DbRow>(ex, sql`select * from payments where provider = ${provider} and provider_payment_id = ${providerPaymentId}`)
  return rows[0] && fromRow(rows[0])
}

/** The booking's live attempt (pending … captured), if any. */
export async function findLivePayment(ex: Executor, bookingId: string): Promise<PaymentRow | undefined> {
  const rows = await queryRows<DbRow>(
    ex,
    sql`select * from payments where booking_id = ${bookingId} and status in ('pending', 'requires_action', 'authorized', 'captured')`,
  )
  return rows[0] && fromRow(rows[0])
}

/** The booking's most recent attempt, whatever its status. */
export async function findLatestPayment(ex: Executor, bookingId: string): Promise<PaymentRow | undefined> {
  const rows = await queryRows<DbRow>(ex, sql`select * from payments where booking_id = ${bookingId} order by created_at desc, id desc limit 1`)
  return rows[0] && fromRow(rows[0])
}

export async function paymentsOfBooking(ex: Executor, bookingId: string): Promise<PaymentRow[]> {
  const rows = await queryRows<DbRow>(ex, sql`select * from payments where booking_id = ${bookingId} order by created_at`)
  return rows.map(fromRow)
}

export interface PaymentPatch {
  provider?: ProviderName
  providerPaymentId?: string | null
  status?: ProviderPaymentStatus
  capturedAmount?: number
  refundedAmount?: number
  authorizationExpiresAt?: Date | null
  captureAfter?: Date | null
  failureReason?: string | null
  clientAction?: ClientAction | null
  ticket?: string | null
  reconciledAt?: Date
}

/** Applies the set fields (undefined = keep), bumps version and updated_at. */
export async function updatePayment(tx: Executor, id: string, patch: PaymentPatch, now: Date): Promise<PaymentRow> {
  const has = (k: keyof PaymentPatch) => patch[k] !== undefined
  const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null)
  const rows = await queryRows<DbRow>(
    tx,
    sql`update payments set
          provider = case when ${has('provider')} then ${patch.provider ?? null}::text else provider end,
          provider_payment_id = case when ${has('providerPaymentId')} then ${patch.providerPaymentId ?? null}::text else provider_payment_id end,
          status = case when ${has('status')} then ${patch.status ?? null}::text else status end,
          captured_amount = case when ${has('capturedAmount')} then ${patch.capturedAmount ?? 0}::bigint else captured_amount end,
          refunded_amount = case when ${has('refundedAmount')} then ${patch.refundedAmount ?? 0}::bigint else refunded_amount end,
          authorization_expires_at = case when ${has('authorizationExpiresAt')} then ${iso(patch.authorizationExpiresAt)}::timestamptz else authorization_expires_at end,
          capture_after = case when ${has('captureAfter')} then ${iso(patch.captureAfter)}::timestamptz else capture_after end,
          failure_reason = case when ${has('failureReason')} then ${patch.failureReason?.slice(0, 500) ?? null}::text else failure_reason end,
          client_action = case when ${has('clientAction')} then ${patch.clientAction ? JSON.stringify(patch.clientAction) : null}::jsonb else client_action end,
          ticket = case when ${has('ticket')} then ${patch.ticket ?? null}::text else ticket end,
          reconciled_at = case when ${has('reconciledAt')} then ${iso(patch.reconciledAt)}::timestamptz else reconciled_at end,
          updated_at = ${now.toISOString()}::timestamptz,
          version = version + 1
        where id = ${id} returning *`,
  )
  return fromRow(rows[0]!)
}

/** Records a provider notification; false when it was seen before (the duplicate changes nothing). */
export async function recordWebhookEvent(
  tx: Executor,
  e: { provider: ProviderName; eventId: string; kind: string; paymentId: string | null; now: Date },
): Promise<boolean> {
  const rows = await queryRows(
    tx,
    sql`insert into provider_webhook_events (provider, event_id, received_at, kind, payment_id)
        values (${e.provider}, ${e.eventId}, ${e.now.toISOString()}::timestamptz, ${e.kind}, ${e.paymentId})
        on conflict do nothing returning 1 as inserted`,
  )
  return rows.length === 1
}

export interface RefundRow {
  id: string
  paymentId: string
  providerRefundId: string | null
  amount: number
  status: 'pending' | 'succeeded' | 'failed'
}

/** Inserts a refund unless one with the same provider refund id exists; answers the new row, or undefined. */
export async function insertRefund(
  tx: Executor,
  r: { id: string; paymentId: string; providerRefundId: string | null; amount: number; status: RefundRow['status']; reason?: string | null; now: Date },
): Promise<RefundRow | undefined> {
  const rows = await queryRows<{ id: string; payment_id: string; provider_refund_id: string | null; amount: string; status: RefundRow['status'] }>(
    tx,
    sql`insert into payment_refunds (id, payment_id, provider_refund_id, amount, status, reason, created_at)
        values (${r.id}, ${r.paymentId}, ${r.providerRefundId}, ${r.amount}, ${r.status}, ${r.reason ?? null}, ${r.now.toISOString()}::timestamptz)
        on conflict do nothing returning *`,
  )
  const row = rows[0]
  return row && { id: row.id, paymentId: row.payment_id, providerRefundId: row.provider_refund_id, amount: Number(row.amount), status: row.status }
}

export async function refundsOf(ex: Executor, paymentId: string): Promise<RefundRow[]> {
  const rows = await queryRows<{ id: string; payment_id: string; provider_refund_id: string | null; amount: string; status: RefundRow['status'] }>(
    ex,
    sql`select * from payment_refunds where payment_id = ${paymentId} order by created_at, id`,
  )
  return rows.map((row) => ({ id: row.id, paymentId: row.payment_id, providerRefundId: row.provider_refund_id, amount: Number(row.amount), status: row.status }))
}

/** Authorized payments of live bookings whose capture date has come, oldest first. */
export async function dueCaptures(ex: Executor, now: Date, limit: number): Promise<PaymentRow[]> {
  const rows = await queryRows<DbRow>(
    ex,
    sql`select p.* from payments p join bookings b on b.id = p.booking_id and b.status in ('confirmed', 'completed')
        where p.status = 'authorized' and p.capture_after <= ${now.toISOString()}::timestamptz
        order by p.capture_after limit ${limit}`,
  )
  return rows.map(fromRow)
}

/** Unsettled and not heard of for `olderThan`: shared by the claim and its peek. */
const stale = (olderThan: Date) =>
  sql`status in ('pending', 'requires_action', 'authorized') and coalesce(reconciled_at, updated_at) <= ${olderThan.toISOString()}::timestamptz`

/** Whether any payment is stale (reconciliation's peek: most minutes none is, and the claim needs a transaction). */
export async function anyStalePayment(ex: Executor, olderThan: Date): Promise<boolean> {
  return (await queryRows(ex, sql`select 1 from payments where ${stale(olderThan)} limit 1`)).length > 0
}

/** Unsettled payments not heard of for `olderThan`, stamped as checked now so the next run moves on. */
export async function claimStalePayments(tx: Executor, now: Date, olderThan: Date, limit: number): Promise<PaymentRow[]> {
  const rows = await queryRows<DbRow>(
    tx,
    sql`update payments set reconciled_at = ${now.toISOString()}::timestamptz
        where id in (select id from payments where ${stale(olderThan)}
                     order by coalesce(reconciled_at, updated_at) limit ${limit} for update skip locked)
        returning *`,
  )
  return rows.map(fromRow)
}
