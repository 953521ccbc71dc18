/**
 * The periodic work every runtime runs (src/maintenance.ts): the minute sweep expires holds (and, when nothing is
 * due, finds that out without a transaction); the hourly one prunes expired idempotency keys, releases earnings, and
 * pays operators out once a day, in the hour PAYOUT_RUN_HOUR_UTC.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../support/app.ts'
import { queryRows } from '../../src/core/db/index.ts'
import { runHourlyMaintenance, runMinuteMaintenance } from '../../src/maintenance.ts'
import { balances } from '../../src/pillars/partner/ledger/earnings.ts'
import { fakePayoutProvider, operatorWithAvailable } from './ledger/support.ts'
import { paymentsRegistry } from '../../src/pillars/booking/payments/registry.ts'
import { runNotificationQueue } from '../../src/pillars/engagement/notifications/worker.ts'

let now = new Date('2026-07-02T01:30:00Z')
let t: TestApp
const payouts = fakePayoutProvider()

beforeAll(async () => {
  t = await startTestApp({
    env: { PAYOUT_RUN_HOUR_UTC: '2', PAYOUT_MIN_AMOUNT: '100' },
    deps: { clock: { now: () => now }, payoutProviderFor: () => payouts.provider },
  })
})
afterAll(() => t?.close())

describe('hourly maintenance', () => {
  it('pays available balances only in the payout hour, and a second run in that hour pays nothing twice', async () => {
    const operatorId = await operatorWithAvailable(t.deps.db, 12_345)
    now = new Date('2026-07-02T01:30:00Z')
    expect(await runHourlyMaintenance(t.deps)).not.toHaveProperty('payoutsPaid')
    expect(payouts.calls).toHaveLength(0)

    now = new Date('2026-07-02T02:05:00Z')
    expect(await runHourlyMaintenance(t.deps)).toMatchObject({ payoutsPaid: 1 })
    now = new Date('2026-07-02T02:55:00Z')
    expect(await runHourlyMaintenance(t.deps)).toMatchObject({ payoutsPaid: 0 })
    expect(payouts.calls.map((c) => c.amount)).toEqual([{ amount: 12_345, currency: 'RUB' }])
    expect(await balances(t.deps.db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 0, inTransit: 0 }])
  })

  it('prunes idempotency keys past their expiry', async () => {
    await t.deps.db.orm.execute(sql`
      insert into idempotency_keys (scope, key, fingerprint, lock_token, locked_at, status, headers, body, created_at, completed_at, expires_at)
      values ('test', 'old-key', ${'0'.repeat(64)}, ${crypto.randomUUID()}, '2026-06-01T00:00:00Z', 201, '{}', '{}',
              '2026-06-01T00:00:00Z', '2026-06-01T00:00:01Z', '2026-06-02T00:00:00Z')`)
    now = new Date('2026-07-02T05:00:00Z')
    expect((await runHourlyMaintenance(t.deps)).idempotencyKeysPruned).toBeGreaterThanOrEqual(1)
    expect(await queryRows(t.deps.db.orm, sql`select 1 from idempotency_keys where key = 'old-key'`)).toHaveLength(0)
  })
})

describe('minute maintenance', () => {
  it('runs the booking sweeps and the payment steps, and reports what it did', async () => {
    const report = await runMinuteMaintenance(t.deps)
    expect(report).toMatchObject({ expired: expect.any(Number), cancelledDepartures: expect.any(Number), completed: expect.any(Number) })
  })
})

describe('an idle minute', () => {
  it('opens no transaction: each step finds nothing with one plain read, and a server leaves the queue to its worker', async () => {
    let kicks = 0
    const onServer = {
      ...t.deps,
      payments: paymentsRegistry(t.deps.config),
      notifications: { channels: { email: [], sms: [], push: [], emailFrom: 'KamHub <noreply@kamhub.test>', devInbox: false }, kick: () => void kicks++ },
    }
    await runMinuteMaintenance(onServer) // the pool's connection open (postgres.js reads the type catalogue on connect)
    const histogram = t.deps.metrics.histogram('db_query_duration_seconds', '')
    const statements = () => histogram.totalCount()
    const transaction = vi.spyOn(t.deps.db.orm, 'transaction')
    try {
      const before = statements()
      expect(await runMinuteMaintenance(onServer)).toEqual({ expired: 0, cancelledDepartures: 0, completed: 0, paymentsCaptured: 0, paymentsReconciled: 0, manifestsQueued: 0 })
      // due holds, underfilled departures, finished departures, due captures, stale payments, manifests due
      expect(statements() - before).toBe(6)
      expect(transaction).not.toHaveBeenCalled()
      expect(kicks).toBe(0)
      // the worker's own idle round: the escalation's peek and the claim, which finds no row
      const roundBefore = statements()
      expect(await runNotificationQueue(onServer, now)).toMatchObject({ notificationsEscalated: 0, notificationsSent: 0 })
      expect(statements() - roundBefore).toBe(2)
      expect(transaction).not.toHaveBeenCalled()
    } finally {
      transaction.mockRestore()
    }
  })
})
