/**
 * A payout the provider accepted as "pending" is settled by its later notification: paid (money leaves in-transit,
 * `payout.paid`) or failed (money back to available, `payout.failed`) — once, however often the notice comes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { balances } from '../../../src/pillars/partner/ledger/earnings.ts'
import { getPayout, runPayouts } from '../../../src/pillars/partner/ledger/payouts.ts'
import { applyWebhookEvent } from '../../../src/pillars/booking/payments/service.ts'
import { trialBalance } from '../../../src/core/ledger/index.ts'
import type { WebhookEvent } from '../../../src/core/payments/provider.ts'
import { eventsOf, fakePayoutProvider, operatorWithAvailable } from '../ledger/support.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(async () => {
  await t?.close()
})

async function pendingPayout(amount: number) {
  const operatorId = await operatorWithAvailable(t.deps.db, amount)
  const { provider } = fakePayoutProvider((input) => ({ providerPayoutId: `po_${input.payoutId}`, status: 'pending' }))
  const run = await runPayouts({ db: t.deps.db }, { providerFor: (id) => (id === operatorId ? provider : undefined), now: new Date('2026-07-02T00:00:00Z') })
  const [payout] = run.pending.filter((p) => p.operatorId === operatorId)
  const row = (await getPayout(t.deps.db.orm, payout!.payoutId))!
  expect(row).toMatchObject({ status: 'pending', providerPayoutId: `po_${payout!.payoutId}` })
  return { operatorId, payout: row }
}

const notice = (kind: WebhookEvent['kind'], providerPayoutId: string, eventId = `evt_${crypto.randomUUID()}`): WebhookEvent => ({
  provider: 'sandbox',
  eventId,
  kind,
  providerPayoutId,
  occurredAt: new Date(),
  ...(kind === 'payout.failed' ? { failureReason: 'account_closed' } : {}),
})

describe('payout notifications', () => {
  it('payout.succeeded settles a pending payout once: paid, in-transit emptied, one payout.paid, ledger balanced', async () => {
    const { operatorId, payout } = await pendingPayout(5_000)
    const event = notice('payout.succeeded', payout.providerPayoutId!)
    expect((await applyWebhookEvent(t.deps, event)).result).toBe('applied')
    expect((await applyWebhookEvent(t.deps, event)).result).toBe('duplicate')
    expect((await applyWebhookEvent(t.deps, notice('payout.succeeded', payout.providerPayoutId!))).result).toBe('applied') // another notice id: still a no-op settle
    expect((await getPayout(t.deps.db.orm, payout.id))!.status).toBe('paid')
    expect(await balances(t.deps.db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 0, inTransit: 0 }])
    expect(await eventsOf(t.deps.db.orm, 'payout.paid', payout.id)).toHaveLength(1)
    expect((await trialBalance(t.deps.db.orm)).balanced).toBe(true)
  })

  it('payout.failed returns the money to available and publishes payout.failed with the reason', async () => {
    const { operatorId, payout } = await pendingPayout(7_000)
    expect((await applyWebhookEvent(t.deps, notice('payout.failed', payout.providerPayoutId!))).result).toBe('applied')
    expect((await getPayout(t.deps.db.orm, payout.id))!.status).toBe('failed')
    expect(await balances(t.deps.db.orm, operatorId)).toEqual([{ currency: 'RUB', pending: 0, available: 7_000, inTransit: 0 }])
    const [failed] = await eventsOf(t.deps.db.orm, 'payout.failed', payout.id)
    expect(failed!.data.reason).toBe('account_closed')
  })

  it('a notice for a payout we do not know changes nothing', async () => {
    expect((await applyWebhookEvent(t.deps, notice('payout.succeeded', 'po_unknown'))).result).toBe('ignored')
  })
})
