import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { trialBalance } from '../../../src/core/ledger/index.ts'
import { balances, markDepartureCompleted, recordRefund, releaseOperatorFunds } from '../../../src/pillars/partner/ledger/earnings.ts'
import { runPayouts } from '../../../src/pillars/partner/ledger/payouts.ts'
import { setPayoutMethod, verifyPayoutMethod } from '../../../src/pillars/partner/ledger/payout-methods.ts'
import { capture, fakePayoutProvider, insertOperator, uid } from './support.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await openTestDatabase()
})
afterAll(() => db.close())

/** mulberry32: a seeded PRNG, so a failing sequence can be replayed from its seed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe('ledger invariants under random operations', () => {
  it('the trial balance is zero after every capture, refund, release and payout, and operators are owed exactly what they earned net of refunds and payouts', async () => {
    const seed = 20260710
    const rand = prng(seed)
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!
    const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1))
    const operators = [await insertOperator(db.orm), await insertOperator(db.orm), await insertOperator(db.orm)]
    for (const operatorId of operators) {
      await setPayoutMethod(db.orm, operatorId, { provider: 'sandbox', destination: { type: 'card_token', token: 'tok_inv' } }, new Date(0))
      await verifyPayoutMethod(db.orm, operatorId, new Date(0))
    }
    const fake = fakePayoutProvider((input, call) =>
      call % 3 === 0 ? { providerPayoutId: `po_${call}`, status: 'failed', failureReason: 'declined' } : { providerPayoutId: `po_${call}`, status: 'succeeded' },
    )
    const payments: Array<{ paymentId: string; bookingId: string; operatorId: string; currency: string; left: number }> = []
    const owed = new Map<string, number>() // operator|currency → share − operator part of refunds − paid out
    const key = (o: string, c: string) => `${o}|${c}`
    let now = Date.parse('2026-07-01T00:00:00Z')

    for (let step = 0; step < 45; step++) {
      const op = rand()
      let did = ''
      if (op < 0.4 || payments.length === 0) {
        const operatorId = pick(operators)
        const currency = pick(['RUB', 'USD'])
        const gross = pick([1, 2, 7, 99, 1001, int(1, 500_000)])
        const p = { paymentId: uid(), bookingId: uid(), operatorId, currency, left: gross }
        const r = await capture(db, { operatorId, paymentId: p.paymentId, bookingId: p.bookingId, gross: { amount: gross, currency }, commissionBps: pick([0, 1, 1500, 3333, 10_000]), occurredAt: new Date(now) })
        owed.set(key(operatorId, currency), (owed.get(key(operatorId, currency)) ?? 0) + r.operatorShare)
        payments.push(p)
        did = 'capture'
      } else if (op < 0.65) {
        const p = pick(payments)
        if (p.left > 0) {
          const amount = int(1, p.left)
          const r = await db.orm.transaction((tx) => recordRefund(tx, { refundId: uid(), paymentId: p.paymentId, amount: { amount, currency: p.currency }, occurredAt: new Date(now) }))
          p.left -= amount
          owed.set(key(p.operatorId, p.currency), owed.get(key(p.operatorId, p.currency))! - r.operator)
        }
        did = 'refund'
      } else if (op < 0.8) {
        const p = pick(payments)
        await db.orm.transaction((tx) => markDepartureCompleted(tx, { bookingId: p.bookingId, completedAt: new Date(now), holdDays: 1 }))
        now += 2 * 86_400_000
        await db.orm.transaction((tx) => releaseOperatorFunds(tx, new Date(now)))
        did = 'release'
      } else {
        now += 3_600_000
        const report = await runPayouts({ db }, { providerFor: () => fake.provider, now: new Date(now), minAmount: 1 })
        for (const paid of report.paid) owed.set(key(paid.operatorId, paid.amount.currency), owed.get(key(paid.operatorId, paid.amount.currency))! - paid.amount.amount)
        did = 'payout'
      }
      const trial = await trialBalance(db.orm)
      expect(trial.balanced, `seed ${seed}, step ${step} (${did}): ${JSON.stringify(trial)}`).toBe(true)
    }
    for (const operatorId of operators) {
      for (const line of await balances(db.orm, operatorId)) {
        expect(line.pending + line.available + line.inTransit, `seed ${seed}: ${operatorId} ${line.currency}`).toBe(owed.get(key(operatorId, line.currency)) ?? 0)
        expect(line.pending).toBeGreaterThanOrEqual(0)
      }
    }
  })
})
