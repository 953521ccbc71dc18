import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeYooKassa, type FakeYooKassa } from '../../../tests/support/fake-yookassa.ts'
import { DomainError } from '../errors.ts'
import type { CreateHoldInput, PaymentProvider } from './provider.ts'
import { yooKassaProvider } from './yookassa.ts'

let fake: FakeYooKassa
let yoo: PaymentProvider
const yookassaIp = '185.71.76.10'

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(DomainError)
  return error as DomainError
}

function holdInput(overrides: Partial<CreateHoldInput> = {}): CreateHoldInput {
  return {
    paymentId: 'pay_y1',
    bookingId: 'bk_y1',
    amount: { amount: 1_500_050, currency: 'RUB' },
    description: 'Kurile Lake bears',
    returnUrl: 'https://app.kamhub.example/bookings/bk_y1',
    idempotencyKey: `hold-${crypto.randomUUID()}`,
    ...overrides,
  }
}

beforeAll(async () => {
  fake = await startFakeYooKassa()
  yoo = yooKassaProvider({ shopId: fake.shopId, secretKey: fake.secretKey, baseUrl: `${fake.url}/v3` })
})
afterAll(() => fake.close())

describe('yooKassaProvider: holds, captures, refunds against a local YooKassa', () => {
  it('hold → pay → capture → refund, with Basic auth and the caller key in Idempotence-Key', async () => {
    const input = holdInput()
    const hold = await yoo.createHold(input)
    expect(hold).toMatchObject({ status: 'pending', clientAction: { type: 'redirect', url: expect.stringContaining('checkout') } })
    const create = fake.requests.at(-1)!
    expect(create.headers['idempotence-key']).toBe(input.idempotencyKey)
    expect(create.headers.authorization).toBe('Basic ' + btoa(`${fake.shopId}:${fake.secretKey}`))
    expect(JSON.parse(create.rawBody)).toEqual({
      amount: { value: '15000.50', currency: 'RUB' },
      capture: false,
      confirmation: { type: 'redirect', return_url: input.returnUrl },
      description: 'Kurile Lake bears',
      metadata: { paymentId: 'pay_y1', bookingId: 'bk_y1' },
    })

    fake.pay(hold.providerPaymentId)
    const authorized = await yoo.retrieve(hold.providerPaymentId)
    expect(authorized).toMatchObject({ status: 'authorized', amount: { amount: 1_500_050, currency: 'RUB' } })
    expect(authorized.authorizationExpiresAt).toBeInstanceOf(Date)

    const captured = await yoo.capture(hold.providerPaymentId, { amount: 1_000_000, currency: 'RUB' }, 'cap-y')
    expect(captured).toMatchObject({ status: 'captured', capturedAmount: 1_000_000 })
    expect(fake.requests.at(-1)!.headers['idempotence-key']).toBe('cap-y')

    const refund = await yoo.refund(hold.providerPaymentId, { amount: 250_000, currency: 'RUB' }, 'ref-y')
    expect(refund.status).toBe('succeeded')
    expect(fake.requests.at(-1)!.headers['idempotence-key']).toBe('ref-y')
    expect(await yoo.retrieve(hold.providerPaymentId)).toMatchObject({ refundedAmount: 250_000 })
  })

  it('a 500 is an unknown outcome: resent once with the same key, and only one payment exists', async () => {
    const input = holdInput()
    const before = fake.objects.size
    fake.failNext(1, 500)
    const hold = await yoo.createHold(input)
    const sent = fake.requests.filter((r) => r.headers['idempotence-key'] === input.idempotencyKey)
    expect(sent).toHaveLength(2)
    expect(fake.objects.size).toBe(before + 1)
    expect(fake.objects.has(hold.providerPaymentId)).toBe(true)
  })

  it('two 500s in a row are unavailable (the router fails over), and bad requests are not retried', async () => {
    fake.failNext(2, 500)
    expect((await rejection(yoo.createHold(holdInput()))).code).toBe('unavailable')
    const before = fake.requests.length
    const error = await rejection(yoo.capture('no-such-payment', { amount: 1, currency: 'RUB' }, 'k'))
    expect(error.code).toBe('not_found')
    expect(fake.requests.length).toBe(before + 1)
  })

  it('a key longer than YooKassa allows is sent as a 64-character digest, the same one on every retry', async () => {
    const input = holdInput({ idempotencyKey: `booking:${crypto.randomUUID()}:payment:${crypto.randomUUID()}:hold` })
    const first = await yoo.createHold(input)
    const sent = fake.requests.at(-1)!.headers['idempotence-key']!
    expect(sent).toMatch(/^[0-9a-f]{64}$/)
    expect((await yoo.createHold(input)).providerPaymentId).toBe(first.providerPaymentId)
    expect(fake.requests.at(-1)!.headers['idempotence-key']).toBe(sent)
  })

  it('cancel releases a hold and reads as cancelled, not failed', async () => {
    const hold = await yoo.createHold(holdInput())
    fake.pay(hold.providerPaymentId)
    expect(await yoo.cancel(hold.providerPaymentId, 'cancel-y')).toMatchObject({ status: 'cancelled', failureReason: 'canceled_by_merchant' })
    expect(fake.requests.at(-1)!.headers['idempotence-key']).toBe('cancel-y')
  })

  it('a payment canceled for a decline reason reads as failed', async () => {
    const hold = await yoo.createHold(holdInput())
    Object.assign(fake.objects.get(hold.providerPaymentId)!, { status: 'canceled', cancellation_details: { party: 'payment_network', reason: 'insufficient_funds' } })
    expect(await yoo.retrieve(hold.providerPaymentId)).toMatchObject({ status: 'failed', failureReason: 'insufficient_funds' })
  })

  it('a hold without returnUrl is refused before any call; wrong credentials are internal without the secret', async () => {
    expect((await rejection(yoo.createHold(holdInput({ returnUrl: undefined })))).code).toBe('invalid')
    const wrong = yooKassaProvider({ shopId: fake.shopId, secretKey: 'wrong-secret-xyz', baseUrl: `${fake.url}/v3` })
    const error = await rejection(wrong.retrieve('x'))
    expect(error.code).toBe('internal')
    expect(error.message).not.toContain('wrong-secret-xyz')
  })

  it('payout posts to /payouts with the payout key and a YooMoney destination', async () => {
    const result = await yoo.payout!({
      payoutId: 'po_y',
      amount: { amount: 100_000, currency: 'RUB' },
      destination: { type: 'yoomoney', accountNumber: '41001614575714' },
      description: 'Payout',
      idempotencyKey: 'po-y',
    })
    expect(result.status).toBe('pending')
    const sent = fake.requests.at(-1)!
    expect(sent.path).toBe('/v3/payouts')
    expect(sent.headers['idempotence-key']).toBe('po-y')
    expect(JSON.parse(sent.rawBody)).toMatchObject({
      amount: { value: '1000.00', currency: 'RUB' },
      payout_destination_data: { type: 'yoo_money', account_number: '41001614575714' },
    })
  })
})

describe('yooKassaProvider.verifyWebhook', () => {
  const notification = (event: string, object: Record<string, unknown>) =>
    JSON.stringify({ type: 'notification', event, object })

  it('a notification from outside the trusted ranges is unauthorized and nothing is fetched', async () => {
    const before = fake.requests.length
    const body = notification('payment.succeeded', { id: 'whatever', status: 'succeeded' })
    for (const sourceIp of ['203.0.113.7', undefined, '185.71.76.32', '2a02:5181::1']) {
      expect((await rejection(yoo.verifyWebhook({ rawBody: body, headers: new Headers(), ...(sourceIp ? { sourceIp } : {}) }))).code).toBe('unauthorized')
    }
    expect(fake.requests.length).toBe(before)
  })

  it('from a trusted address, the fetched-back status wins over what the body claims', async () => {
    const hold = await yoo.createHold(holdInput({ paymentId: 'pay_hook' }))
    fake.pay(hold.providerPaymentId)
    await yoo.capture(hold.providerPaymentId, { amount: 1_500_050, currency: 'RUB' }, 'cap-hook')
    // The body says canceled with a tiny amount; YooKassa says succeeded.
    const body = notification('payment.canceled', { id: hold.providerPaymentId, status: 'canceled', amount: { value: '1.00', currency: 'RUB' } })
    const [event] = await yoo.verifyWebhook({ rawBody: body, headers: new Headers(), sourceIp: yookassaIp })
    expect(event).toMatchObject({
      provider: 'yookassa',
      kind: 'payment.captured',
      eventId: `payment.canceled:${hold.providerPaymentId}:succeeded`,
      providerPaymentId: hold.providerPaymentId,
      paymentId: 'pay_hook',
      amount: { amount: 1_500_050, currency: 'RUB' },
    })
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: `/v3/payments/${hold.providerPaymentId}` })
  })

  it('accepts the IPv6 range and IPv4-mapped addresses; a notified object YooKassa does not know is unauthorized', async () => {
    const hold = await yoo.createHold(holdInput())
    fake.pay(hold.providerPaymentId)
    const body = notification('payment.waiting_for_capture', { id: hold.providerPaymentId })
    for (const sourceIp of ['2a02:5180::10', '::ffff:77.75.156.11']) {
      const [event] = await yoo.verifyWebhook({ rawBody: body, headers: new Headers(), sourceIp })
      expect(event!.kind).toBe('payment.authorized')
    }
    const forged = notification('payment.succeeded', { id: 'forged-id', status: 'succeeded' })
    expect((await rejection(yoo.verifyWebhook({ rawBody: forged, headers: new Headers(), sourceIp: yookassaIp }))).code).toBe('unauthorized')
  })

  it('a refund notification is fetched from /refunds and names the payment it refunds', async () => {
    const hold = await yoo.createHold(holdInput())
    fake.pay(hold.providerPaymentId)
    await yoo.capture(hold.providerPaymentId, { amount: 1_500_050, currency: 'RUB' }, `c-${hold.providerPaymentId}`)
    const refund = await yoo.refund(hold.providerPaymentId, { amount: 50, currency: 'RUB' }, `r-${hold.providerPaymentId}`)
    const body = notification('refund.succeeded', { id: refund.providerRefundId })
    const [event] = await yoo.verifyWebhook({ rawBody: body, headers: new Headers(), sourceIp: yookassaIp })
    expect(event).toMatchObject({
      kind: 'payment.refunded',
      providerRefundId: refund.providerRefundId,
      providerPaymentId: hold.providerPaymentId,
      amount: { amount: 50, currency: 'RUB' },
    })
  })

  it('a fetch-back outage is unavailable, so the route answers 5xx and YooKassa retries later', async () => {
    const body = notification('payment.succeeded', { id: 'any' })
    fake.failNext(1, 503)
    expect((await rejection(yoo.verifyWebhook({ rawBody: body, headers: new Headers(), sourceIp: yookassaIp }))).code).toBe('unavailable')
  })
})
