import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { accountBalance, trialBalance } from '../../../src/core/ledger/index.ts'
import { DomainError } from '../../../src/core/errors.ts'
import { accounts } from '../../../src/pillars/partner/ledger/accounts.ts'
import { balances, markDepartureCompleted, recordRefund, releaseOperatorFunds } from '../../../src/pillars/partner/ledger/earnings.ts'
import { capture, uid } from './support.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await openTestDatabase()
})
afterAll(() => db.close())

const DAY = 86_400_000
const refund = (paymentId: string, amount: number, refundId = uid(), currency = 'RUB') =>
  db.orm.transaction((tx) => recordRefund(tx, { refundId, paymentId, amount: { amount, currency }, occurredAt: new Date('2026-07-02T00:00:00Z') }))

describe('capture', () => {
  it('splits the gross into commission (rounded down) and the operator share, at edge amounts', async () => {
    for (const [gross, commission] of [[1, 0], [7, 1], [13, 1], [99_999, 14_999], [1_500_000, 225_000]] as const) {
      const operatorId = uid()
      const r = await capture(db, { operatorId, gross: { amount: gross, currency: 'RUB' } })
      expect({ gross, commission: r.commission, operatorShare: r.operatorShare }).toEqual({ gross, commission, operatorShare: gross - commission })
      expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: gross - commission, available: 0, inTransit: 0 }])
    }
    expect((await trialBalance(db.orm)).balanced).toBe(true)
  })

  it('books the provider fee as the platform’s expense, leaving the operator share whole', async () => {
    const operatorId = uid()
    const revenueBefore = await accountBalance(db.orm, accounts.platformRevenue('EUR'))
    await capture(db, { operatorId, provider: 'stripe', gross: { amount: 10_000, currency: 'EUR' }, providerFee: { amount: 320, currency: 'EUR' } })
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'EUR', pending: 8_500, available: 0, inTransit: 0 }])
    expect(await accountBalance(db.orm, accounts.platformRevenue('EUR'))).toBe(revenueBefore - 1_500)
    expect(await accountBalance(db.orm, accounts.providerFees('EUR'))).toBe(320)
  })

  it('recording the same capture twice changes nothing the second time', async () => {
    const operatorId = uid()
    const paymentId = uid()
    const first = await capture(db, { operatorId, paymentId })
    const again = await capture(db, { operatorId, paymentId })
    expect(again.created).toBe(false)
    expect(again.transactionId).toBe(first.transactionId)
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 8_500, available: 0, inTransit: 0 }])
  })

  it('keeps each currency in its own balance', async () => {
    const operatorId = uid()
    await capture(db, { operatorId, gross: { amount: 10_000, currency: 'RUB' } })
    await capture(db, { operatorId, gross: { amount: 2_000, currency: 'USD' } })
    expect(await balances(db.orm, operatorId)).toEqual([
      { currency: 'RUB', pending: 8_500, available: 0, inTransit: 0 },
      { currency: 'USD', pending: 1_700, available: 0, inTransit: 0 },
    ])
  })
})

describe('refund', () => {
  it('reverses pro rata: the platform returns its commission share, the operator the rest', async () => {
    const operatorId = uid()
    const paymentId = uid()
    const c = await capture(db, { operatorId, paymentId, gross: { amount: 1001, currency: 'RUB' } })
    expect(c.commission).toBe(150)
    const r = await refund(paymentId, 500)
    // 150 × 500 / 1001 = 74.93 → the platform returns 75 (rounded up), the operator 425
    expect({ commission: r.commission, operator: r.operator }).toEqual({ commission: 75, operator: 425 })
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 851 - 425, available: 0, inTransit: 0 }])
  })

  it('a full refund in several parts returns exactly the whole commission and operator share', async () => {
    const operatorId = uid()
    const paymentId = uid()
    const revenueBefore = await accountBalance(db.orm, accounts.platformRevenue('RUB'))
    await capture(db, { operatorId, paymentId, gross: { amount: 997, currency: 'RUB' } })
    for (const part of [1, 333, 663]) await refund(paymentId, part)
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 0, inTransit: 0 }])
    expect(await accountBalance(db.orm, accounts.platformRevenue('RUB'))).toBe(revenueBefore)
  })

  it('refuses more than is left, another currency, and an unknown payment', async () => {
    const paymentId = uid()
    await capture(db, { operatorId: uid(), paymentId, gross: { amount: 100, currency: 'RUB' } })
    await refund(paymentId, 60)
    await expect(refund(paymentId, 41)).rejects.toSatisfy((e) => e instanceof DomainError && e.code === 'invalid')
    await expect(refund(paymentId, 10, uid(), 'USD')).rejects.toSatisfy((e) => e instanceof DomainError && e.code === 'invalid')
    await expect(refund(uid(), 10)).rejects.toSatisfy((e) => e instanceof DomainError && e.code === 'not_found')
  })

  it('the same refund recorded twice is taken once', async () => {
    const operatorId = uid()
    const paymentId = uid()
    const refundId = uid()
    await capture(db, { operatorId, paymentId })
    await refund(paymentId, 1000, refundId)
    const again = await refund(paymentId, 1000, refundId)
    expect(again.created).toBe(false)
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 8_500 - 850, available: 0, inTransit: 0 }])
  })

  it('after release, a refund comes out of the available balance', async () => {
    const operatorId = uid()
    const paymentId = uid()
    await capture(db, { operatorId, paymentId, availableAt: new Date('2026-07-05T00:00:00Z') })
    await db.orm.transaction((tx) => releaseOperatorFunds(tx, new Date('2026-07-05T00:00:00Z')))
    await refund(paymentId, 2_000)
    expect(await balances(db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 8_500 - 1_700, inTransit: 0 }])
  })
})

describe('release', () => {
  it('funds stay pending until PAYOUT_HOLD_DAYS after the departure completed, then become available', async () => {
    const operatorId = uid()
    const bookingId = uid()
    await capture(db, { operatorId, bookingId })
    const completedAt = new Date('2026-08-10T18:00:00Z')
    // not completed yet: nothing is due however late it is
    await db.orm.transaction((tx) => releaseOperatorFunds(tx, new Date('2027-01-01T00:00:00Z')))
    expect((await balances(db.orm, operatorId))[0]).toMatchObject({ pending: 8_500, available: 0 })

    expect(await db.orm.transaction((tx) => markDepartureCompleted(tx, { bookingId, completedAt, holdDays: 3 }))).toBe(1)
    const early = await db.orm.transaction((tx) => releaseOperatorFunds(tx, new Date(completedAt.getTime() + 3 * DAY - 1)))
    expect(early.find((r) => r.operatorId === operatorId)).toBeUndefined()
    expect((await balances(db.orm, operatorId))[0]).toMatchObject({ pending: 8_500, available: 0 })

    const due = await db.orm.transaction((tx) => releaseOperatorFunds(tx, new Date(completedAt.getTime() + 3 * DAY)))
    expect(due.filter((r) => r.operatorId === operatorId)).toEqual([expect.objectContaining({ amount: { amount: 8_500, currency: 'RUB' } })])
    expect((await balances(db.orm, operatorId))[0]).toMatchObject({ pending: 0, available: 8_500 })

    // released once: running again moves nothing
    await db.orm.transaction((tx) => releaseOperatorFunds(tx, new Date(completedAt.getTime() + 10 * DAY)))
    expect((await balances(db.orm, operatorId))[0]).toMatchObject({ pending: 0, available: 8_500 })
    expect((await trialBalance(db.orm)).balanced).toBe(true)
  })
})

describe('booking.completed subscription', () => {
  it('schedules the release PAYOUT_HOLD_DAYS after the event time, and a redelivery changes nothing', async () => {
    const { payoutScheduleSubscription } = await import('../../../src/pillars/partner/ledger/subscriptions.ts')
    const { parseConfig } = await import('../../../src/core/config/schema.ts')
    const operatorId = uid()
    const bookingId = uid()
    await capture(db, { operatorId, bookingId })
    const sub = payoutScheduleSubscription({ db, config: parseConfig({ NODE_ENV: 'test', PAYOUT_HOLD_DAYS: '2' }) })
    const event = { time: '2026-08-01T10:00:00Z', data: { bookingId } } as never
    const ctx = { eventId: 'e', deliveryId: 'd', attempt: 1, subscription: sub.name }
    await sub.handler(event, ctx)
    await sub.handler(event, ctx)
    await db.orm.transaction((tx) => releaseOperatorFunds(tx, new Date(Date.parse('2026-08-03T10:00:00Z') - 1)))
    expect((await balances(db.orm, operatorId))[0]).toMatchObject({ pending: 8_500, available: 0 })
    await db.orm.transaction((tx) => releaseOperatorFunds(tx, new Date('2026-08-03T10:00:00Z')))
    expect((await balances(db.orm, operatorId))[0]).toMatchObject({ pending: 0, available: 8_500 })
  })
})
