/** The embedded default: with no provider configured the sandbox takes the payment and its signed webhook confirms the booking. */
import { afterAll, beforeAll, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { queryRows } from '../../../src/core/db/index.ts'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { parseConfig } from '../../../src/core/config/schema.ts'
import { paymentsRegistry } from '../../../src/pillars/booking/payments/registry.ts'
import { bookingStatus, heldBooking, makeWorld, paymentRow, startPayment, type World } from './support.ts'

let t: TestApp
let w: World
const env = { NODE_ENV: 'test', LOG_LEVEL: 'silent', AUTH_RATE_LIMIT: '10000', PAYMENTS_SANDBOX_CALLBACK_URL: 'http://kamhub.test/webhooks/sandbox' }

beforeAll(async () => {
  let app: TestApp['app'] | undefined
  // the sandbox posts its webhooks into this app in process
  const payments = paymentsRegistry(parseConfig(env), { fetch: (url, init) => Promise.resolve(app!.request(url, init)) })
  t = await startTestApp({ env, deps: { payments } })
  app = t.app
  w = await makeWorld(t)
})
afterAll(() => t?.close())

it('sandbox hold → approve → signed webhook → booking confirmed with a ticket', async () => {
  const held = await heldBooking(t, w, { daysAhead: 3 })
  const res = await startPayment(t, w.traveller, held.id)
  expect(res.status).toBe(201)
  const payment = (await res.json()) as { id: string; provider: string; clientAction: { type: string; confirmUrl: string } }
  expect(payment).toMatchObject({ provider: 'sandbox', clientAction: { type: 'sandbox' } })
  const approved = await t.app.request(`${payment.clientAction.confirmUrl}/approve`, { method: 'POST' })
  expect(approved.status).toBe(200)
  await t.deps.payments!.sandbox!.idle()
  expect(t.deps.payments!.sandbox!.deliveries.every((d) => d.status === 200)).toBe(true)
  expect(await bookingStatus(t, held.id)).toBe('confirmed')
  const row = await paymentRow(t, payment.id)
  expect(row.status).toBe('captured')
  expect(row.ticket).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
})

it('an operator’s own commission (set by an admin) is what the capture posts; others pay the default', async () => {
  const set = await t.app.request(`/v1/admin/operators/${w.operator.operatorId}/commission`, {
    method: 'PUT',
    headers: { ...w.admin.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ commissionBps: 1000 }),
  })
  expect(await set.json()).toEqual({ operatorId: w.operator.operatorId, commissionBps: 1000, custom: true })
  const forbidden = await t.app.request(`/v1/admin/operators/${w.operator.operatorId}/commission`, {
    method: 'PUT',
    headers: { ...w.operator.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ commissionBps: 0 }),
  })
  expect(forbidden.status).toBe(403)

  const held = await heldBooking(t, w, { daysAhead: 3 })
  const payment = (await (await startPayment(t, w.traveller, held.id)).json()) as { id: string; clientAction: { confirmUrl: string } }
  await t.app.request(`${payment.clientAction.confirmUrl}/approve`, { method: 'POST' })
  await t.deps.payments!.sandbox!.idle()
  expect((await paymentRow(t, payment.id)).status).toBe('captured')
  const [posting] = await queryRows<{ bps: number }>(
    t.deps.db.orm,
    sql`select (metadata->>'commissionBps')::int as bps from ledger_transactions where reference_id = ${payment.id} and kind = 'payment_captured'`,
  )
  expect(Number(posting!.bps)).toBe(1000)
})
