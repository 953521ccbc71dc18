import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cloudPaymentsHmac, startFakeCloudPayments, type FakeCloudPayments } from '../../../tests/support/fake-cloudpayments.ts'
import { DomainError } from '../errors.ts'
import { CLOUDPAYMENTS_CODES, cloudPaymentsAnswer, cloudPaymentsProvider } from './cloudpayments.ts'
import type { PaymentProvider } from './provider.ts'

let fake: FakeCloudPayments
let cp: PaymentProvider

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(DomainError)
  return error as DomainError
}

beforeAll(async () => {
  fake = await startFakeCloudPayments()
  cp = cloudPaymentsProvider({ publicId: fake.publicId, apiSecret: fake.apiSecret, baseUrl: fake.url })
})
afterAll(() => fake.close())

describe('cloudPaymentsProvider: two-stage payments against a local CloudPayments', () => {
  it('createHold answers widget parameters with our payment id as InvoiceId and calls no API', async () => {
    const before = fake.requests.length
    const hold = await cp.createHold({
      paymentId: 'pay_cp1',
      bookingId: 'bk_1',
      amount: { amount: 1_234_505, currency: 'RUB' },
      description: 'Valley of Geysers',
      idempotencyKey: 'k1',
    })
    expect(hold).toEqual({
      providerPaymentId: 'invoice:pay_cp1',
      status: 'pending',
      clientAction: {
        type: 'cloudpayments_widget',
        publicId: fake.publicId,
        invoiceId: 'pay_cp1',
        amount: '12345.05',
        currency: 'RUB',
        description: 'Valley of Geysers',
      },
    })
    expect(fake.requests.length).toBe(before)
    expect(await cp.retrieve(hold.providerPaymentId)).toMatchObject({ status: 'pending' })
  })

  it('hold → capture → refund with Basic auth and X-Request-ID on every call; the invoice id resolves to the TransactionId', async () => {
    const transactionId = fake.authorize('pay_cp2', 150.5)
    expect(await cp.retrieve('invoice:pay_cp2')).toMatchObject({
      providerPaymentId: String(transactionId),
      status: 'authorized',
      amount: { amount: 15_050, currency: 'RUB' },
    })

    const captured = await cp.capture('invoice:pay_cp2', { amount: 10_010, currency: 'RUB' }, 'cap-cp')
    expect(captured).toMatchObject({ status: 'captured', capturedAmount: 10_010 })
    const confirm = fake.requests.find((r) => r.path === '/payments/confirm')!
    expect(confirm.headers['x-request-id']).toBe('cap-cp')
    expect(confirm.headers.authorization).toBe('Basic ' + btoa(`${fake.publicId}:${fake.apiSecret}`))
    expect(JSON.parse(confirm.rawBody)).toEqual({ TransactionId: transactionId, Amount: 100.1 })
    expect(confirm.rawBody).toContain('"Amount":100.1}')

    const refund = await cp.refund(String(transactionId), { amount: 5_000, currency: 'RUB' }, 'ref-cp')
    expect(refund.status).toBe('succeeded')
    expect(fake.transactions.get(Number(refund.providerRefundId))).toMatchObject({ OperationType: 'Refund', Amount: 50 })
    expect(fake.requests.at(-1)!.headers['x-request-id']).toBe('ref-cp')
  })

  it('a retried capture with the same X-Request-ID is answered from the first result, not refused', async () => {
    const id = String(fake.authorize('pay_cp3', 10))
    await cp.capture(id, { amount: 1_000, currency: 'RUB' }, 'same-key')
    await expect(cp.capture(id, { amount: 1_000, currency: 'RUB' }, 'same-key')).resolves.toMatchObject({ status: 'captured' })
  })

  it('void releases the hold', async () => {
    const id = String(fake.authorize('pay_cp4', 10))
    expect(await cp.cancel(id, 'void-1')).toMatchObject({ status: 'cancelled' })
    expect(fake.requests.findLast((r) => r.path === '/payments/void')!.headers['x-request-id']).toBe('void-1')
  })

  it('Success:false is payment_failed with the CardHolderMessage; 5xx is unavailable; bad credentials are internal without the secret', async () => {
    const id = String(fake.authorize('pay_cp5', 10))
    fake.declineNext('Недостаточно средств')
    const declined = await rejection(cp.capture(id, { amount: 1_000, currency: 'RUB' }, 'cap-d'))
    expect(declined.code).toBe('payment_failed')
    expect(declined.detail).toContain('Недостаточно средств')

    fake.failNext(1, 502)
    expect((await rejection(cp.retrieve(id))).code).toBe('unavailable')

    const wrong = cloudPaymentsProvider({ publicId: fake.publicId, apiSecret: 'not-the-secret', baseUrl: fake.url })
    const refused = await rejection(wrong.retrieve(id))
    expect(refused.code).toBe('internal')
    expect(refused.message).not.toContain('not-the-secret')
  })

  it('an unreachable API is unavailable (the router fails over on it)', async () => {
    const down = cloudPaymentsProvider({ publicId: 'x', apiSecret: 'y', baseUrl: 'http://127.0.0.1:9' })
    expect((await rejection(down.retrieve('1'))).code).toBe('unavailable')
  })

  it('payout tops up a card token with the payout idempotency key', async () => {
    const result = await cp.payout!({
      payoutId: 'po_1',
      amount: { amount: 200_000, currency: 'RUB' },
      destination: { type: 'card_token', token: 'tk_operator' },
      description: 'Payout',
      idempotencyKey: 'po-key',
    })
    expect(result.status).toBe('succeeded')
    const sent = fake.requests.at(-1)!
    expect(sent.path).toBe('/payments/token/topup')
    expect(sent.headers['x-request-id']).toBe('po-key')
    expect(JSON.parse(sent.rawBody)).toMatchObject({ Token: 'tk_operator', Amount: 2000 })
  })
})

describe('cloudPaymentsProvider.verifyWebhook', () => {
  const body = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
  const pay = body({
    TransactionId: '1000000777',
    Amount: '150.50',
    Currency: 'RUB',
    DateTime: '2025-06-01 10:20:30',
    Status: 'Authorized',
    InvoiceId: 'pay_42',
    Email: 'a+b@example.com',
    Data: '{"note":"тур на вулкан"}',
  })

  it('a notification with a valid Content-HMAC is accepted and normalised; the kind comes from the path', async () => {
    const [event] = await cp.verifyWebhook({ rawBody: pay, headers: new Headers({ 'content-hmac': fake.sign(pay) }), kind: 'pay' })
    expect(event).toEqual({
      provider: 'cloudpayments',
      eventId: 'pay:1000000777',
      kind: 'payment.authorized',
      providerPaymentId: '1000000777',
      paymentId: 'pay_42',
      amount: { amount: 15_050, currency: 'RUB' },
      occurredAt: new Date('2025-06-01T10:20:30Z'),
    })
  })

  it('X-Content-HMAC over the URL-decoded parameters is accepted too', async () => {
    const decoded = decodeURIComponent(pay)
    const signature = cloudPaymentsHmac(fake.apiSecret, decoded)
    const [event] = await cp.verifyWebhook({ rawBody: pay, headers: new Headers({ 'x-content-hmac': signature }), kind: 'pay' })
    expect(event!.kind).toBe('payment.authorized')
  })

  it('a wrong, missing or differently keyed HMAC is unauthorized, and so is a body changed after signing', async () => {
    const reject = async (rawBody: string, headers: Headers) =>
      (await rejection(cp.verifyWebhook({ rawBody, headers, kind: 'pay' }))).code
    expect(await reject(pay, new Headers())).toBe('unauthorized')
    expect(await reject(pay, new Headers({ 'content-hmac': 'not base64!' }))).toBe('unauthorized')
    const otherKey = cloudPaymentsHmac('attacker', pay)
    expect(await reject(pay, new Headers({ 'content-hmac': otherKey, 'x-content-hmac': otherKey }))).toBe('unauthorized')
    expect(await reject(pay.replace('150.50', '1.00'), new Headers({ 'content-hmac': fake.sign(pay) }))).toBe('unauthorized')
  })

  it('maps each notification path to its event, refunds by the refund transaction, and ignores unknown kinds', async () => {
    const verify = async (kind: string, fields: Record<string, string>) => {
      const raw = body(fields)
      return (await cp.verifyWebhook({ rawBody: raw, headers: new Headers({ 'content-hmac': fake.sign(raw) }), kind }))[0]!
    }
    const base = { TransactionId: '77', Amount: '10.00', Currency: 'RUB', InvoiceId: 'pay_7' }
    expect(await verify('check', base)).toMatchObject({ kind: 'payment.check', providerPaymentId: '77', paymentId: 'pay_7', amount: { amount: 1_000 } })
    expect((await verify('pay', { ...base, Status: 'Completed' })).kind).toBe('payment.captured')
    expect((await verify('confirm', base)).kind).toBe('payment.captured')
    expect(await verify('fail', { ...base, Reason: 'InsufficientFunds' })).toMatchObject({ kind: 'payment.failed', failureReason: 'InsufficientFunds' })
    expect(await verify('refund', { TransactionId: '90', PaymentTransactionId: '77', Amount: '4.00', InvoiceId: 'pay_7' })).toMatchObject({
      eventId: 'refund:90',
      kind: 'payment.refunded',
      providerRefundId: '90',
      providerPaymentId: '77',
      amount: { amount: 400, currency: 'RUB' },
    })
    expect((await verify('cancel', base)).kind).toBe('payment.cancelled')
    expect((await verify('recurrent', base)).kind).toBe('ignored')
  })

  it('names the answer codes the route renders', () => {
    expect(cloudPaymentsAnswer()).toEqual({ code: 0 })
    expect(cloudPaymentsAnswer(CLOUDPAYMENTS_CODES.wrongAmount)).toEqual({ code: 12 })
    expect(CLOUDPAYMENTS_CODES).toEqual({ accepted: 0, invalidInvoice: 10, invalidAccount: 11, wrongAmount: 12, rejected: 13, expired: 20 })
  })
})
