/**
 * The chart of accounts of the marketplace (signs: debit positive, credit negative).
 *
 *   provider_receivable  asset      money the provider (owner = provider name) holds for us: captures in, refunds,
 *                                    fees and payouts out
 *   provider_fees        expense    what providers keep per payment; the platform bears it
 *   platform_revenue     income     our commission
 *   operator_payable     liability  an operator's earnings still on hold (pending)
 *   operator_available   liability  an operator's released earnings, payable now
 *   payouts_in_transit   liability  claimed by a payout row, with (or about to be with) the provider
 *
 * Liabilities carry credit (negative) balances; `balances()` reports them as positive amounts owed.
 */
import type { AccountRef } from '../../../core/ledger/index.ts'

export const ACCOUNT_KINDS = {
  providerReceivable: 'provider_receivable',
  providerFees: 'provider_fees',
  platformRevenue: 'platform_revenue',
  operatorPayable: 'operator_payable',
  operatorAvailable: 'operator_available',
  payoutsInTransit: 'payouts_in_transit',
} as const

export const accounts = {
  providerReceivable: (provider: string, currency: string): AccountRef => ({ kind: ACCOUNT_KINDS.providerReceivable, owner: provider, currency }),
  providerFees: (currency: string): AccountRef => ({ kind: ACCOUNT_KINDS.providerFees, currency }),
  platformRevenue: (currency: string): AccountRef => ({ kind: ACCOUNT_KINDS.platformRevenue, currency }),
  operatorPayable: (operatorId: string, currency: string): AccountRef => ({ kind: ACCOUNT_KINDS.operatorPayable, owner: operatorId, currency }),
  operatorAvailable: (operatorId: string, currency: string): AccountRef => ({ kind: ACCOUNT_KINDS.operatorAvailable, owner: operatorId, currency }),
  payoutsInTransit: (operatorId: string, currency: string): AccountRef => ({ kind: ACCOUNT_KINDS.payoutsInTransit, owner: operatorId, currency }),
}
