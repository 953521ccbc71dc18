/** Helpers for ledger tests: operators as rows (payouts reference them), captures with defaults. */
import { sql } from 'drizzle-orm'
import type { Database, Executor } from '../../../src/core/db/index.ts'
import { recordPaymentCaptured, type PaymentCapturedInput } from '../../../src/pillars/partner/ledger/earnings.ts'

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
