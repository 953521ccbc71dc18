import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { accountWithRole, json, operatorWithProfile, send, type Actor, type OperatorActor } from '../discovery/support.ts'
import { capture, fakePayoutProvider } from './support.ts'

let t: TestApp
let admin: Actor
let a: OperatorActor
let b: OperatorActor
const fake = fakePayoutProvider()

beforeAll(async () => {
  t = await startTestApp({ deps: { payoutProviderFor: () => fake.provider } })
  admin = await accountWithRole(t, 'admin')
  a = await operatorWithProfile(t, 'Alpha Tours')
  b = await operatorWithProfile(t, 'Beta Tours')
  await capture(t.db, { operatorId: a.operatorId, gross: { amount: 10_000, currency: 'RUB' }, availableAt: new Date('2020-01-01T00:00:00Z') })
  await capture(t.db, { operatorId: b.operatorId, gross: { amount: 30_000, currency: 'RUB' } })
})
afterAll(() => t.close())

describe('GET /v1/operator/balance', () => {
  it('an operator sees its own balance and never another’s', async () => {
    const mine = await json<{ operatorId: string; balances: unknown[] }>(await send(t, 'GET', '/v1/operator/balance', undefined, a.headers))
    expect(mine).toEqual({ operatorId: a.operatorId, balances: [{ currency: 'RUB', pending: 8_500, available: 0, inTransit: 0 }] })
    const theirs = await json<{ operatorId: string; balances: unknown[] }>(await send(t, 'GET', '/v1/operator/balance?operatorId=' + a.operatorId, undefined, b.headers))
    expect(theirs).toEqual({ operatorId: b.operatorId, balances: [{ currency: 'RUB', pending: 25_500, available: 0, inTransit: 0 }] })
  })

  it('travellers and anonymous callers are refused', async () => {
    const traveller = await accountWithRole(t, 'traveller')
    expect((await send(t, 'GET', '/v1/operator/balance', undefined, traveller.headers)).status).toBe(403)
    expect((await send(t, 'GET', '/v1/operator/balance')).status).toBe(401)
  })
})

describe('payout method and payout run', () => {
  it('rejects malformed destinations and ones the provider cannot pay to', async () => {
    expect((await send(t, 'PUT', '/v1/operator/payout-method', { provider: 'sandbox', destination: { type: 'card_token' } }, a.headers)).status).toBe(400)
    expect((await send(t, 'PUT', '/v1/operator/payout-method', { provider: 'stripe', destination: { type: 'card_token', token: 'tok_1' } }, a.headers)).status).toBe(400)
  })

  it('only admins run payouts and read the trial balance', async () => {
    expect((await send(t, 'POST', '/v1/admin/payouts/run', undefined, a.headers)).status).toBe(403)
    expect((await send(t, 'GET', '/v1/admin/ledger/trial-balance', undefined, a.headers)).status).toBe(403)
    expect((await send(t, 'POST', `/v1/admin/operators/${a.operatorId}/payout-method/verify`, undefined, a.headers)).status).toBe(403)
  })

  it('pays an operator only once its method is verified; answers never show the full destination', async () => {
    const res = await send(t, 'PUT', '/v1/operator/payout-method', { provider: 'sandbox', destination: { type: 'card_token', token: 'tok_secret_98765' } }, a.headers)
    const text = await res.clone().text()
    expect(text).not.toContain('tok_secret_98765')
    expect(await json(res)).toMatchObject({ operatorId: a.operatorId, destination: { type: 'card_token', last4: '8765' }, verified: false })

    const unverified = await json<{ paid: unknown[]; released: number }>(await send(t, 'POST', '/v1/admin/payouts/run', undefined, admin.headers))
    expect(unverified.released).toBe(1)
    expect(unverified.paid).toEqual([])

    await json(await send(t, 'POST', `/v1/admin/operators/${a.operatorId}/payout-method/verify`, undefined, admin.headers))
    const run = await json<{ paid: Array<{ operatorId: string; amount: { amount: number } }> }>(await send(t, 'POST', '/v1/admin/payouts/run', undefined, admin.headers))
    expect(run.paid.map((p) => [p.operatorId, p.amount.amount])).toEqual([[a.operatorId, 8_500]])
    expect(await json(await send(t, 'GET', '/v1/operator/balance', undefined, a.headers))).toMatchObject({ balances: [{ currency: 'RUB', pending: 0, available: 0, inTransit: 0 }] })

    const trial = await json<{ balanced: boolean; currencies: Array<{ currency: string; net: number }> }>(
      await send(t, 'GET', '/v1/admin/ledger/trial-balance', undefined, admin.headers),
    )
    expect(trial.balanced).toBe(true)
    expect(trial.currencies.map((c) => c.net)).toEqual([0])
  })
})
