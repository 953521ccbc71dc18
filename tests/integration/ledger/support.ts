/** Helpers for ledger tests: operators as rows (payouts reference them), captures with defaults. */
import { sql } from 'drizzle-orm'
import { queryRows, type Database, type Executor } from '../../../src/core/db/index.ts'
import type { PaymentProvider, PayoutInput, PayoutResult, ProviderName } from '../../../src/core/payments/provider.ts'
import { recordPaymentCaptured, releaseOperatorFunds, type PaymentCapturedInput } from '../../../src/pillars/partner/ledger/earnings.ts'
import { setPayoutMethod, verifyPayoutMethod } from '../../../src/pillars/partner/ledger/payout-methods.ts'

let n = 0
export const uid = () => crypto.randomUUID()

/** A user + operator row, without going through HTTP (ledger tests need only the ids). */
export async function insertOperator(ex: Executor, userId = uid()): Promise<string> {
  const id = uid()
  const k = ++n
  await ex.execute(sql`insert into users (id, email, password_hash, role, display_name) values (${userId}, ${`ledger-op-${k}-${id.slice(0, 8)}@example.com`}, 'x', 'operator', 'Op')`)
  await ex.execute(sql`insert into operators (id, user_id, name, slug, contact) values (${id}, ${userId}, 'Op', ${`ledger-op-${k}-${id.slice(0, 8)}`}, '{}')`)
  return id
}

export function capture(db: Database, input: Partial<PaymentCapturedInput> & { operatorId: string }) {
  return db.orm.transaction((tx) =>
    recordPaymentCaptured(tx, {
      paymentId: uid(),
      bookingId: uid(),
      provider: 'sandbox',
      gross: { amount: 10_000, currency: 'RUB' },
      commissionBps: 1500,
      occurredAt: new Date('2026-07-01T00:00:00Z'),
      ...input,
    }),
  )
}

/** A fake PaymentProvider with only `payout`: records every call and answers what the test's script says. */
export function fakePayoutProvider(
  answer: (input: PayoutInput, call: number) => PayoutResult | Promise<PayoutResult> = (input) => ({ providerPayoutId: `po_${input.payoutId}`, status: 'succeeded' }),
  name: ProviderName = 'sandbox',
) {
  const calls: PayoutInput[] = []
  const unused = () => Promise.reject(new Error('not used by payouts'))
  const provider: PaymentProvider = {
    name,
    supports: () => true,
    createHold: unused,
    capture: unused,
    cancel: unused,
    refund: unused,
    retrieve: unused,
    verifyWebhook: unused,
    async payout(input) {
      calls.push(input)
      return answer(input, calls.length)
    },
  }
  return { provider, calls }
}

/** An operator with a verified sandbox method and `amount` already available. */
export async function operatorWithAvailable(db: Database, amount: number, currency = 'RUB'): Promise<string> {
  const operatorId = await insertOperator(db.orm)
  await setPayoutMethod(db.orm, operatorId, { provider: 'sandbox', destination: { type: 'card_token', token: 'tok_test_4242' } }, new Date('2026-07-01T00:00:00Z'))
  await verifyPayoutMethod(db.orm, operatorId, new Date('2026-07-01T00:00:00Z'))
  await capture(db, { operatorId, gross: { amount, currency }, commissionBps: 0, availableAt: new Date('2026-07-01T00:00:00Z') })
  await db.orm.transaction((tx) => releaseOperatorFunds(tx, new Date('2026-07-01T00:00:00Z')))
  return operatorId
}

export async function eventsOf(ex: Executor, type: string, aggregateId: string) {
  return queryRows<{ data: { payoutId: string; operatorId: string; amount: { amount: number; currency: string }; reason?: string } }>(
    ex,
    sql`select data from event_outbox where type = ${type} and aggregate_id = ${aggregateId}`,
  )
}
