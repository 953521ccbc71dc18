/**
 * Commission arithmetic in integer minor units (BigInt inside, so gross × basis points never loses precision).
 *
 * Rounding always favours the operator:
 * - at capture the platform's commission is rounded DOWN (1 kopeck at 15 % → commission 0, operator 1);
 * - on a refund the platform returns its commission pro rata, rounded UP, so the operator gives back the smaller
 *   share. Refund shares are computed on cumulative totals (refunded so far + this refund), so several partial
 *   refunds never drift from one refund of the same total, and a full refund returns exactly the whole commission.
 */

export const MAX_BPS = 10_000

export interface Split {
  commission: number
  operatorShare: number
}

export function splitCommission(gross: number, commissionBps: number): Split {
  if (!Number.isSafeInteger(gross) || gross <= 0) throw new RangeError('gross must be a positive integer of minor units')
  if (!Number.isInteger(commissionBps) || commissionBps < 0 || commissionBps > MAX_BPS) throw new RangeError('commissionBps must be an integer in 0..10000')
  const commission = Number((BigInt(gross) * BigInt(commissionBps)) / BigInt(MAX_BPS))
  return { commission, operatorShare: gross - commission }
}

export interface RefundState {
  gross: number
  commission: number
  /** Refunded before this refund (all parts). */
  refunded: number
  /** Commission already returned by earlier refunds. */
  commissionRefunded: number
}

export interface RefundSplit {
  /** What the platform gives back of its commission. */
  commission: number
  /** What comes out of the operator's share. */
  operator: number
}

export function splitRefund(state: RefundState, amount: number): RefundSplit {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new RangeError('a refund is a positive integer of minor units')
  if (state.refunded + amount > state.gross) throw new RangeError('a refund cannot exceed what is left of the payment')
  const total = BigInt(state.refunded + amount)
  const num = BigInt(state.commission) * total
  const den = BigInt(state.gross)
  const commissionTotal = Number((num + den - 1n) / den) // ceil
  const commission = commissionTotal - state.commissionRefunded
  return { commission, operator: amount - commission }
}
