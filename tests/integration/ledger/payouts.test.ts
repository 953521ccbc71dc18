import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { trialBalance } from '../../../src/core/ledger/index.ts'
import { balances } from '../../../src/pillars/partner/ledger/earnings.ts'
import { getPayout, markPayoutPaid, runPayouts } from '../../../src/pillars/partner/ledger/payouts.ts'
import { setPayoutMethod } from '../../../src/pillars/partner/ledger/payout-methods.ts'
import { capture, eventsOf, fakePayoutProvider, insertOperator, operatorWithAvailable } from './support.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await openTestDatabase()
})
afterAll(() => db.close())

const NOW = new Date('2026-07-10T00:00:00Z')
const payoutsOf = (operatorId: string) =>
  queryRows<{ id: string; status: string; amount: string }>(db.orm, sql`select id, status, amount from payouts where operator_id = ${operatorId}`)

describe('runPayouts', () => {
  it('pays an available balance once, settles the ledger and publishes payout.paid', async () => {
    const operatorId = await operatorWithAvailable(db, 12_345)
    const fake = fakePayoutProvider()
    const first = await runPayouts({ db }, { providerFor: () => fake.provider, now: NOW, minAmount: 100 })
    const mine = first.paid.filter((p) => p.operatorId === operatorId)
    expect(mine).toEqual([expect.objectContaining({ amount: { amount: 12_345, currency: 'RUB' }, status: 'paid', retried: false })])
    const call = fake.calls.find((c) => c.payoutId === mine[0]!.payoutId)!
    expect(call).toMatchObject({ idempotencyKey: mine[0]!.payoutId, amount: { amount: 12_345, currency: 'RUB' }, destination: { type: 'card_token', token: 'tok_test_4242' } })
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 0, inTransit: 0 }])
    expect((await eventsOf(db.orm, 'payout.paid', mine[0]!.payoutId)).map((e) => e.data)).toEqual([
      { payoutId: mine[0]!.payoutId, operatorId, amount: { amount: 12_345, currency: 'RUB' } },
    ])

    const second = await runPayouts({ db }, { providerFor: () => fake.provider, now: new Date(NOW.getTime() + 86_400_000), minAmount: 100 })
    expect(second.paid.filter((p) => p.operatorId === operatorId)).toEqual([])
    expect(fake.calls.filter((c) => c.payoutId === mine[0]!.payoutId)).toHaveLength(1)
    expect(await payoutsOf(operatorId)).toHaveLength(1)
    expect((await trialBalance(db.orm)).balanced).toBe(true)
  })

  it('leaves balances under the minimum, pending earnings, and unverified methods alone', async () => {
    const small = await operatorWithAvailable(db, 99)
    const unverified = await insertOperator(db.orm)
    await setPayoutMethod(db.orm, unverified, { provider: 'sandbox', destination: { type: 'card_token', token: 'tok_x' } }, NOW)
    await capture(db, { operatorId: unverified, commissionBps: 0, availableAt: NOW })
    const onHold = await operatorWithAvailable(db, 0 + 1_000)
    await capture(db, { operatorId: onHold, commissionBps: 0 }) // not completed: stays pending
    const fake = fakePayoutProvider()
    const report = await runPayouts({ db }, { providerFor: () => fake.provider, now: NOW, minAmount: 100 })
    const paidTo = report.paid.map((p) => p.operatorId)
    expect(paidTo).not.toContain(small)
    expect(paidTo).not.toContain(unverified)
    expect(report.paid.filter((p) => p.operatorId === onHold).map((p) => p.amount.amount)).toEqual([1_000])
    expect(await balances(db.orm, onHold)).toEqual([{ currency: 'RUB', pending: 10_000, available: 0, inTransit: 0 }])
    expect((await balances(db.orm, unverified))[0]).toMatchObject({ available: 10_000 })
  })

  it('concurrent runs never pay an operator twice', async () => {
    const operators = await Promise.all([1, 2, 3, 4].map(() => operatorWithAvailable(db, 5_000)))
    const fake = fakePayoutProvider()
    const options = { providerFor: () => fake.provider, now: NOW, minAmount: 100 }
    const reports = await Promise.all([runPayouts({ db }, options), runPayouts({ db }, options), runPayouts({ db }, options)])
    for (const operatorId of operators) {
      const paid = reports.flatMap((r) => r.paid).filter((p) => p.operatorId === operatorId)
      expect(paid).toHaveLength(1)
      expect(await payoutsOf(operatorId)).toHaveLength(1)
      expect(fake.calls.filter((c) => c.payoutId === paid[0]!.payoutId)).toHaveLength(1)
      expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 0, inTransit: 0 }])
    }
    expect((await trialBalance(db.orm)).balanced).toBe(true)
  })

  it('a provider failure publishes payout.failed with the reason and returns the money to available', async () => {
    const operatorId = await operatorWithAvailable(db, 7_777)
    const fake = fakePayoutProvider((input) => ({ providerPayoutId: `po_${input.payoutId}`, status: 'failed', failureReason: 'card expired' }))
    const report = await runPayouts({ db }, { providerFor: (id) => (id === operatorId ? fake.provider : undefined), now: NOW })
    const [failed] = report.failed.filter((p) => p.operatorId === operatorId)
    expect(failed).toMatchObject({ status: 'failed', reason: 'card expired' })
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 7_777, inTransit: 0 }])
    expect((await getPayout(db.orm, failed!.payoutId))).toMatchObject({ status: 'failed', failureReason: 'card expired' })
    expect((await eventsOf(db.orm, 'payout.failed', failed!.payoutId)).map((e) => e.data)).toEqual([
      { payoutId: failed!.payoutId, operatorId, amount: { amount: 7_777, currency: 'RUB' }, reason: 'card expired' },
    ])
    expect((await trialBalance(db.orm)).balanced).toBe(true)
  })

  it('a payout left pending by a crash is retried later with the same idempotency key, and paid once', async () => {
    const operatorId = await operatorWithAvailable(db, 4_200)
    // the first call times out after the provider has in fact paid; the provider answers the retry from its key
    const fake = fakePayoutProvider((input, call) => {
      if (call === 1) throw new Error('socket hang up')
      return { providerPayoutId: `po_${input.idempotencyKey}`, status: 'succeeded' }
    })
    const providerFor = (id: string) => (id === operatorId ? fake.provider : undefined)
    const first = await runPayouts({ db }, { providerFor, now: NOW, retryAfterMs: 60_000 })
    const [pending] = first.pending.filter((p) => p.operatorId === operatorId)
    expect(pending).toMatchObject({ status: 'pending', reason: 'socket hang up' })
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 0, inTransit: 4_200 }])

    // too soon: the claim of the first attempt still stands
    const soon = await runPayouts({ db }, { providerFor, now: new Date(NOW.getTime() + 59_999), retryAfterMs: 60_000 })
    expect([...soon.paid, ...soon.pending].filter((p) => p.operatorId === operatorId)).toEqual([])

    const later = await runPayouts({ db }, { providerFor, now: new Date(NOW.getTime() + 60_000), retryAfterMs: 60_000 })
    expect(later.paid.filter((p) => p.operatorId === operatorId)).toEqual([expect.objectContaining({ payoutId: pending!.payoutId, retried: true })])
    expect(fake.calls.map((c) => c.idempotencyKey)).toEqual([pending!.payoutId, pending!.payoutId])
    expect(fake.calls[1]).toEqual(fake.calls[0])
    expect(await payoutsOf(operatorId)).toEqual([expect.objectContaining({ id: pending!.payoutId, status: 'paid' })])
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 0, inTransit: 0 }])
  })

  it('settling a payout twice (webhook and run racing) posts and publishes once', async () => {
    const operatorId = await operatorWithAvailable(db, 3_000)
    const fake = fakePayoutProvider((input) => ({ providerPayoutId: `po_${input.payoutId}`, status: 'pending' }))
    const report = await runPayouts({ db }, { providerFor: (id) => (id === operatorId ? fake.provider : undefined), now: NOW })
    const [pending] = report.pending.filter((p) => p.operatorId === operatorId)
    expect((await getPayout(db.orm, pending!.payoutId))?.providerPayoutId).toBe(`po_${pending!.payoutId}`)
    await Promise.all([markPayoutPaid(db, { payoutId: pending!.payoutId, at: NOW }), markPayoutPaid(db, { payoutId: pending!.payoutId, at: NOW })])
    expect(await eventsOf(db.orm, 'payout.paid', pending!.payoutId)).toHaveLength(1)
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 0, inTransit: 0 }])
    expect((await trialBalance(db.orm)).balanced).toBe(true)
  })
})
