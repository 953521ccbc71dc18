/**
 * RUB payments: YooKassa first, CloudPayments second. A YooKassa outage on create fails over to CloudPayments;
 * CloudPayments' Check notification validates the invoice and amount; its Pay notification (HMAC-signed as
 * CloudPayments signs it) confirms the booking and teaches us the TransactionId.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { startFakeCloudPayments, type FakeCloudPayments } from '../../support/fake-cloudpayments.ts'
import { startFakeYooKassa, type FakeYooKassa } from '../../support/fake-yookassa.ts'
import * as booking from '../../../src/pillars/booking/service.ts'
import { bookingStatus, countRows, heldBooking, makeWorld, paymentRow, startPayment, startPaymentsApp, type PaymentsTestApp, type World } from './support.ts'

let yoo: FakeYooKassa
let cp: FakeCloudPayments
let t: PaymentsTestApp
let w: World

beforeAll(async () => {
  yoo = await startFakeYooKassa()
  cp = await startFakeCloudPayments()
  t = await startPaymentsApp({
    YOOKASSA_SHOP_ID: yoo.shopId,
    YOOKASSA_SECRET_KEY: yoo.secretKey,
    YOOKASSA_BASE_URL: `${yoo.url}/v3`,
    CLOUDPAYMENTS_PUBLIC_ID: cp.publicId,
    CLOUDPAYMENTS_API_SECRET: cp.apiSecret,
    CLOUDPAYMENTS_BASE_URL: cp.url,
    TRUSTED_PROXY_IP_HEADER: 'x-forwarded-for',
  })
  w = await makeWorld(t)
})
afterAll(async () => {
  await t?.close()
  await yoo?.close()
  await cp?.close()
})

type Started = { id: string; provider: string; clientAction: { type: string; invoiceId?: string; amount?: string } }

/** A held booking whose payment went to CloudPayments because YooKassa answered 500 (twice: the adapter resends once). */
async function cloudPaymentsPayment(daysAhead = 3) {
  const held = await heldBooking(t, w, { daysAhead })
  yoo.failNext(2, 500)
  const res = await startPayment(t, w.traveller, held.id)
  expect(res.status).toBe(201)
  return { held, payment: (await res.json()) as Started }
}

function notify(kind: string, fields: Record<string, string>, { sign = true } = {}) {
  const body = new URLSearchParams(fields).toString()
  return t.app.request(`/webhooks/cloudpayments/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(sign ? { 'Content-HMAC': cp.sign(body) } : {}) },
    body,
  })
}

const major = (minor: number) => (minor / 100).toFixed(2)

it('a provider 500 on create fails over to the next provider (YooKassa → CloudPayments)', async () => {
  const { held, payment } = await cloudPaymentsPayment()
  expect(yoo.requests.filter((r) => r.method === 'POST' && r.path === '/v3/payments').at(-1)!.headers['idempotence-key']).toBe(payment.id)
  expect(payment.provider).toBe('cloudpayments')
  expect(payment.clientAction).toMatchObject({ type: 'cloudpayments_widget', invoiceId: payment.id, amount: major(held.total.amount) })
  // CloudPayments learns its TransactionId from the first notification
  expect((await paymentRow(t, payment.id)).provider_payment_id).toBeNull()
})

describe('CloudPayments Check', () => {
  it('answers 0 for the right invoice and amount, 12 for a wrong amount, 10 for an unknown invoice', async () => {
    const { held, payment } = await cloudPaymentsPayment()
    const base = { TransactionId: '555', Currency: 'RUB', InvoiceId: payment.id, DateTime: '2026-01-01 10:00:00' }
    expect(await (await notify('check', { ...base, Amount: major(held.total.amount) })).json()).toEqual({ code: 0 })
    expect(await (await notify('check', { ...base, Amount: major(held.total.amount - 100) })).json()).toEqual({ code: 12 })
    expect(await (await notify('check', { ...base, InvoiceId: crypto.randomUUID(), Amount: major(held.total.amount) })).json()).toEqual({ code: 10 })
  })

  it('answers 20 once the booking has expired, and an unsigned notification is a 401', async () => {
    const { held, payment } = await cloudPaymentsPayment()
    const fields = { TransactionId: '556', Currency: 'RUB', InvoiceId: payment.id, Amount: major(held.total.amount) }
    expect((await notify('check', fields, { sign: false })).status).toBe(401)
    await booking.expireHolds(t.deps, new Date(Date.now() + 60 * 60_000))
    expect(await (await notify('check', fields)).json()).toEqual({ code: 20 })
  })
})

it('a Pay notification (two-stage, Authorized) confirms the booking, records the TransactionId and captures a near departure', async () => {
  const { held, payment } = await cloudPaymentsPayment(3)
  const transactionId = cp.authorize(payment.id, Number(major(held.total.amount)))
  const fields = { TransactionId: String(transactionId), Amount: major(held.total.amount), Currency: 'RUB', InvoiceId: payment.id, Status: 'Authorized', OperationType: 'Payment', DateTime: '2026-01-01 10:00:00' }
  const res = await notify('pay', fields)
  expect(await res.json()).toEqual({ code: 0 })
  expect(await bookingStatus(t, held.id)).toBe('confirmed')
  const row = await paymentRow(t, payment.id)
  expect(row.provider_payment_id).toBe(String(transactionId))
  expect(row.status).toBe('captured')
  expect(cp.requests.some((r) => r.path === '/payments/confirm' && r.headers['x-request-id'] === `capture:${payment.id}`)).toBe(true)

  // CloudPayments retries the same notification: acknowledged, applied once
  expect(await (await notify('pay', fields)).json()).toEqual({ code: 0 })
  expect(await countRows(t, sql`select count(*)::int as n from provider_webhook_events where provider = 'cloudpayments' and payment_id = ${payment.id}`)).toBe(1)
})

describe('YooKassa notifications', () => {
  const YOOKASSA_ADDRESS = '185.71.76.10' // inside 185.71.76.0/27, YooKassa's published range

  function notifyYooKassa(object: { id: string }, forwardedFor: string, event = 'payment.waiting_for_capture') {
    return t.app.request('/webhooks/yookassa', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ type: 'notification', event, object: { ...object, status: 'waiting_for_capture', paid: true } }),
    })
  }

  async function yooKassaPayment() {
    const held = await heldBooking(t, w, { daysAhead: 20 }) // far off: authorized now, captured later
    const res = await startPayment(t, w.traveller, held.id)
    expect(res.status).toBe(201)
    const payment = (await res.json()) as Started
    expect(payment.provider).toBe('yookassa')
    const providerPaymentId = (await paymentRow(t, payment.id)).provider_payment_id!
    return { held, payment, providerPaymentId }
  }

  it('from outside YooKassa’s ranges — or with its address forged in front of the real one — is refused and changes nothing', async () => {
    const { held, providerPaymentId } = await yooKassaPayment()
    yoo.pay(providerPaymentId)
    expect((await notifyYooKassa({ id: providerPaymentId }, '203.0.113.9')).status).toBe(401)
    expect((await notifyYooKassa({ id: providerPaymentId }, `${YOOKASSA_ADDRESS}, 203.0.113.9`)).status).toBe(401)
    expect(await bookingStatus(t, held.id)).toBe('held')
  })

  it('from YooKassa, only the fetched-back status counts: unpaid at YooKassa → nothing; paid → booking confirmed', async () => {
    const { held, payment, providerPaymentId } = await yooKassaPayment()
    // The body claims waiting_for_capture, but YooKassa itself still says pending: nothing moves.
    expect((await notifyYooKassa({ id: providerPaymentId }, YOOKASSA_ADDRESS)).status).toBe(200)
    expect(await bookingStatus(t, held.id)).toBe('held')
    yoo.pay(providerPaymentId)
    expect((await notifyYooKassa({ id: providerPaymentId }, `203.0.113.9, ${YOOKASSA_ADDRESS}`)).status).toBe(200)
    expect(await bookingStatus(t, held.id)).toBe('confirmed')
    expect((await paymentRow(t, payment.id)).status).toBe('authorized')
  })
})
