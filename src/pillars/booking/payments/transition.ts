/**
 * The one way a payment's state changes, whoever reports it (a webhook, a capture answer, reconciliation):
 * `converge` moves it FORWARD ONLY, by rank, and `applyRefund` adds refunds by amount. Both run in the caller's
 * transaction on a locked payment row, and write the ledger and the payment.* event of the change in that same
 * transaction, so a state, its money and its event commit together or not at all.
 *
 * Order-independence: webhooks arrive in any order and more than once. A lower-ranked report after a higher one
 * changes nothing (captured never returns to authorized); a refund reported before the capture is kept as an
 * amount, and the capture arriving later posts the capture and then the refunds already recorded (each ledger
 * posting is idempotent on its business id).
 */
import type { Deps } from '../../../deps.ts'
import type { Executor } from '../../../core/db/index.ts'
import type { ProviderPaymentStatus } from '../../../core/payments/provider.ts'
import type { Actor } from '../../../events/envelope.ts'
import { uuidv7 } from '../../../events/envelope.ts'
import { publish } from '../../../events/publish.ts'
import { commissionFor } from '../../partner/ledger/commission.ts'
import { recordPaymentCaptured, recordRefund } from '../../partner/ledger/earnings.ts'
import * as bookingRepo from '../repo.ts'
import * as repo from './repo.ts'
import type { PaymentPatch, PaymentRow } from './repo.ts'

export type TransitionDeps = Pick<Deps, 'config'>

/** Forward-only order. failed and cancelled share a rank: neither overrides the other; captured overrides both. */
export const STATUS_RANK: Record<ProviderPaymentStatus, number> = {
  pending: 0,
  requires_action: 1,
  authorized: 2,
  failed: 3,
  cancelled: 3,
  captured: 4,
}

export interface Observation {
  status?: ProviderPaymentStatus
  providerPaymentId?: string
  capturedAmount?: number
  authorizationExpiresAt?: Date
  failureReason?: string
}

export interface Converged {
  payment: PaymentRow
  /** The status entered, when it changed. */
  entered?: ProviderPaymentStatus
}

/** True when `next` is a move forward from `current`. */
export function isForward(current: ProviderPaymentStatus, next: ProviderPaymentStatus): boolean {
  return STATUS_RANK[next] > STATUS_RANK[current]
}

const providerActor = (payment: PaymentRow): Actor => ({ type: 'provider', id: payment.provider })

/** Moves `payment` (locked by the caller) towards what was observed; a backward or equal report changes nothing. */
export async function converge(tx: Executor, deps: TransitionDeps, payment: PaymentRow, seen: Observation, at: Date): Promise<Converged> {
  const patch: PaymentPatch = {}
  if (!payment.providerPaymentId && seen.providerPaymentId && !seen.providerPaymentId.startsWith('invoice:')) {
    patch.providerPaymentId = seen.providerPaymentId
  }
  const entered = seen.status && isForward(payment.status, seen.status) ? seen.status : undefined
  if (entered) {
    patch.status = entered
    if (entered === 'authorized' && seen.authorizationExpiresAt) patch.authorizationExpiresAt = seen.authorizationExpiresAt
    if (entered === 'captured') {
      patch.capturedAmount = seen.capturedAmount && seen.capturedAmount > 0 ? seen.capturedAmount : payment.amount
      patch.captureAfter = null
      patch.authorizationExpiresAt = null
    }
    if (entered === 'failed' || entered === 'cancelled') patch.failureReason = seen.failureReason ?? entered
  }
  if (Object.keys(patch).length === 0) return { payment }
  const updated = await repo.updatePayment(tx, payment.id, patch, at)
  if (!entered) return { payment: updated }

  if (entered === 'captured') await postCapture(tx, deps, updated, at)
  if (entered === 'authorized' || entered === 'captured' || entered === 'failed' || entered === 'cancelled') {
    await publish(tx, {
      // A cancelled hold is a void: the catalogue's word for releasing authorized money.
      type: entered === 'cancelled' ? 'payment.voided' : `payment.${entered}`,
      data: {
        paymentId: updated.id,
        bookingId: updated.bookingId,
        provider: updated.provider,
        amount: { amount: entered === 'captured' ? updated.capturedAmount : updated.amount, currency: updated.currency },
        ...((entered === 'failed' || entered === 'cancelled') && updated.failureReason ? { reason: updated.failureReason } : {}),
      },
      aggregate: { type: 'payment', id: updated.id, version: updated.version },
      actor: providerActor(updated),
      time: at,
    })
  }
  return { payment: updated, entered }
}

/** The capture in the ledger (commission split, operator's share pending), then any refund recorded before it. */
async function postCapture(tx: Executor, deps: TransitionDeps, payment: PaymentRow, at: Date): Promise<void> {
  const booking = await bookingRepo.findBooking(tx, payment.bookingId)
  await recordPaymentCaptured(tx, {
    paymentId: payment.id,
    bookingId: payment.bookingId,
    operatorId: booking!.operatorId,
    provider: payment.provider,
    gross: { amount: payment.capturedAmount, currency: payment.currency },
    commissionBps: await commissionFor(tx, booking!.operatorId, deps.config.PLATFORM_COMMISSION_BPS),
    occurredAt: at,
  })
  for (const refund of await repo.refundsOf(tx, payment.id)) {
    if (refund.status === 'succeeded') {
      await recordRefund(tx, { refundId: refund.id, paymentId: payment.id, amount: { amount: refund.amount, currency: payment.currency }, occurredAt: at })
    }
  }
}

export interface RefundObservation {
  /** The provider's refund id; a refund we asked for and its notification share it, so it is counted once. */
  providerRefundId?: string
  /** What this refund returned. */
  amount?: number
  /** The payment's cumulative refunded amount after it (Stripe's charge.refunded): keep the maximum seen. */
  refundedTotal?: number
  reason?: string
  /** Names the refund when the provider gave no id (the notification's event id). */
  fallbackId: string
}

/**
 * Records a refund once: by provider refund id when there is one, else by the growth of the cumulative total.
 * Posts it to the ledger when the capture is already there (otherwise the capture posts it), and publishes
 * payment.refunded. Answers the amount newly recorded (0 for a refund already known).
 */
export async function applyRefund(tx: Executor, payment: PaymentRow, seen: RefundObservation, at: Date): Promise<number> {
  const delta = seen.refundedTotal !== undefined ? seen.refundedTotal - payment.refundedAmount : (seen.amount ?? 0)
  const known = seen.providerRefundId ? (await repo.refundsOf(tx, payment.id)).some((r) => r.providerRefundId === seen.providerRefundId) : false
  if (known || delta <= 0) {
    if (seen.refundedTotal !== undefined && seen.refundedTotal > payment.refundedAmount) {
      await repo.updatePayment(tx, payment.id, { refundedAmount: seen.refundedTotal }, at)
    }
    return 0
  }
  const refund = await repo.insertRefund(tx, {
    id: uuidv7(at.getTime()),
    paymentId: payment.id,
    providerRefundId: seen.providerRefundId ?? seen.fallbackId,
    amount: delta,
    status: 'succeeded',
    reason: seen.reason ?? null,
    now: at,
  })
  if (!refund) return 0
  const updated = await repo.updatePayment(tx, payment.id, { refundedAmount: payment.refundedAmount + delta }, at)
  if (updated.status === 'captured') {
    await recordRefund(tx, { refundId: refund.id, paymentId: payment.id, amount: { amount: delta, currency: payment.currency }, occurredAt: at })
  }
  await publish(tx, {
    type: 'payment.refunded',
    data: {
      paymentId: payment.id,
      bookingId: payment.bookingId,
      provider: payment.provider,
      amount: { amount: delta, currency: payment.currency },
      ...(seen.reason ? { reason: seen.reason } : {}),
    },
    aggregate: { type: 'payment', id: payment.id, version: updated.version },
    actor: providerActor(payment),
    time: at,
  })
  return delta
}
