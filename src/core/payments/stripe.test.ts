import Stripe from 'stripe'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeStripe, type FakeStripe } from '../../../tests/support/fake-stripe.ts'
import { DomainError } from '../errors.ts'
import type { CreateHoldInput, PaymentProvider } from './provider.ts'
import { stripeProvider } from './stripe.ts'

const webhookSecret = 'whsec_test_secret'
let fake: FakeStripe
let stripe: PaymentProvider

function providerFor(options: { maxNetworkRetries?: number; secretKey?: string } = {}) {
  return stripeProvider({
    secretKey: options.secretKey ?? fake.secretKey,
    webhookSecret,
    publishableKey: 'pk_test_1',
    host: '127.0.0.1',
    port: fake.port,
    protocol: 'http',
    maxNetworkRetries: options.maxNetworkRetries ?? 0,
  })
}

function holdInput(overrides: Partial<CreateHoldInput> = {}): CreateHoldInput {
  return {
    paymentId: 'pay_1',
    bookingId: 'bk_1',
    amount: { amount: 10_000, currency: 'USD' },
    description: 'Avachinsky volcano, 1 seat',
    idempotencyKey: `hold-${crypto.randomUUID()}`,
    ...overrides,
  }
}

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(DomainError)
  return error as DomainError
}

beforeAll(async () => {
  fake = await startFakeStripe()
  stripe = providerFor()
})
afterAll(() => fake.close())

describe('stripeProvider: holds, captures, refunds against a local Stripe', () => {
  it('hold → authorize → partial capture → partial refund, each call carrying the caller idempotency key', async () => {
    const input = holdInput()
    const hold = await stripe.createHold(input)
    expect(hold.status).toBe('pending')
    expect(hold.clientAction).toMatchObject({ type: 'stripe_payment_intent', publishableKey: 'pk_test_1' })
    expect(hold.clientAction.type === 'stripe_payment_intent' && hold.clientAction.clientSecret).toMatch(/_secret_/)
    const create = fake.requests.findLast((r) => r.path === '/v1/payment_intents')!
    expect(create.headers['idempotency-key']).toBe(input.idempotencyKey)
    const sent = new URLSearchParams(create.rawBody)
    expect(sent.get('capture_method')).toBe('manual')
    expect(sent.get('metadata[paymentId]')).toBe('pay_1')
    expect(sent.get('metadata[bookingId]')).toBe('bk_1')

    fake.authorize(hold.providerPaymentId)
    const authorized = await stripe.retrieve(hold.providerPaymentId)
    expect(authorized).toMatchObject({ status: 'authorized', amount: { amount: 10_000, currency: 'USD' } })
    expect(authorized.authorizationExpiresAt).toBeInstanceOf(Date)

    const captured = await stripe.capture(hold.providerPaymentId, { amount: 8_000, currency: 'USD' }, 'cap-1')
    expect(captured).toMatchObject({ status: 'captured', capturedAmount: 8_000, refundedAmount: 0 })
    expect(fake.requests.at(-1)!.headers['idempotency-key']).toBe('cap-1')
    expect(new URLSearchParams(fake.requests.at(-1)!.rawBody).get('amount_to_capture')).toBe('8000')

    const refund = await stripe.refund(hold.providerPaymentId, { amount: 3_000, currency: 'USD' }, 'ref-1')
    expect(refund).toMatchObject({ status: 'succeeded', providerRefundId: expect.stringMatching(/^re_/) })
    expect(fake.requests.at(-1)!.headers['idempotency-key']).toBe('ref-1')
    expect(await stripe.retrieve(hold.providerPaymentId)).toMatchObject({ status: 'captured', refundedAmount: 3_000 })
  })

  it('a retried create with the same key returns the same PaymentIntent, never a second hold', async () => {
    const input = holdInput()
    const before = fake.paymentIntents.size
    const first = await stripe.createHold(input)
    const second = await stripe.createHold(input)
    expect(second.providerPaymentId).toBe(first.providerPaymentId)
    expect(fake.paymentIntents.size).toBe(before + 1)
  })

  it('the SDK retries a 500 with the same idempotency key and the hold is created once', async () => {
    const retrying = providerFor({ maxNetworkRetries: 1 })
    const input = holdInput()
    fake.failNext(1, 500)
    const hold = await retrying.createHold(input)
    const creates = fake.requests.filter((r) => r.headers['idempotency-key'] === input.idempotencyKey)
    expect(creates).toHaveLength(2)
    expect(hold.providerPaymentId).toMatch(/^pi_/)
  })

  it('cancel releases an uncaptured hold', async () => {
    const hold = await stripe.createHold(holdInput())
    fake.authorize(hold.providerPaymentId)
    expect(await stripe.cancel(hold.providerPaymentId, 'cancel-1')).toMatchObject({ status: 'cancelled', capturedAmount: 0 })
    expect(fake.requests.at(-1)!.headers['idempotency-key']).toBe('cancel-1')
  })

  it('a decline is payment_failed, an outage is unavailable, a bad key is internal; no secret in any message', async () => {
    fake.declineNext('insufficient_funds')
    const declined = await rejection(stripe.createHold(holdInput()))
    expect(declined.code).toBe('payment_failed')
    expect(declined.detail).toContain('insufficient_funds')

    fake.failNext(1, 500)
    expect((await rejection(stripe.createHold(holdInput()))).code).toBe('unavailable')

    const wrongKey = 'sk_test_wrong_key_123456'
    const unauthorised = await rejection(providerFor({ secretKey: wrongKey }).createHold(holdInput()))
    expect(unauthorised.code).toBe('internal')
    for (const error of [declined, unauthorised]) {
      expect(JSON.stringify({ m: error.message, d: error.detail })).not.toMatch(/sk_test|whsec/)
    }
  })

  it('capturing a hold that is not authorized is a conflict', async () => {
    const hold = await stripe.createHold(holdInput())
    const error = await rejection(stripe.capture(hold.providerPaymentId, { amount: 10_000, currency: 'USD' }, 'cap-x'))
    expect(error.code).toBe('conflict')
  })

  it('payout is a Connect transfer to the operator account, with the payout idempotency key', async () => {
    const result = await stripe.payout!({
      payoutId: 'po_1',
      amount: { amount: 50_000, currency: 'USD' },
      destination: { type: 'stripe_account', accountId: 'acct_operator' },
      description: 'June payout',
      idempotencyKey: 'payout-1',
    })
    expect(result).toMatchObject({ providerPayoutId: expect.stringMatching(/^tr_/), status: 'succeeded' })
    const sent = fake.requests.at(-1)!
    expect(sent.path).toBe('/v1/transfers')
    expect(sent.headers['idempotency-key']).toBe('payout-1')
    expect(new URLSearchParams(sent.rawBody).get('destination')).toBe('acct_operator')
    const refused = await rejection(
      stripe.payout!({
        payoutId: 'po_2',
        amount: { amount: 1, currency: 'USD' },
        destination: { type: 'card_token', token: 'tok' },
        description: 'x',
        idempotencyKey: 'payout-2',
      }),
    )
    expect(refused.code).toBe('invalid')
  })
})

describe('stripeProvider.verifyWebhook', () => {
  const intent = {
    id: 'pi_123',
    object: 'payment_intent',
    amount: 10_000,
    amount_capturable: 10_000,
    amount_received: 0,
    currency: 'usd',
    metadata: { paymentId: 'pay_9', bookingId: 'bk_9' },
    status: 'requires_capture',
    last_payment_error: null,
    cancellation_reason: null,
  }
  function signed(type: string, object: unknown, timestamp = Math.floor(Date.now() / 1000)) {
    const payload = JSON.stringify({ id: `evt_${type}`, object: 'event', created: 1_700_000_000, type, data: { object } }, null, 2)
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: webhookSecret, timestamp })
    return { rawBody: payload, headers: new Headers({ 'stripe-signature': header }) }
  }

  it('a correctly signed amount_capturable_updated becomes payment.authorized for our payment id', async () => {
    const [event] = await stripe.verifyWebhook(signed('payment_intent.amount_capturable_updated', intent))
    expect(event).toMatchObject({
      provider: 'stripe',
      eventId: 'evt_payment_intent.amount_capturable_updated',
      kind: 'payment.authorized',
      providerPaymentId: 'pi_123',
      paymentId: 'pay_9',
      amount: { amount: 10_000, currency: 'USD' },
    })
    expect(event!.occurredAt.getTime()).toBe(1_700_000_000_000)
  })

  it('maps the payment, refund and transfer events it needs and ignores the rest', async () => {
    const kinds = async (type: string, object: unknown) => (await stripe.verifyWebhook(signed(type, object)))[0]!
    expect((await kinds('payment_intent.succeeded', { ...intent, status: 'succeeded', amount_received: 8_000 }))).toMatchObject({
      kind: 'payment.captured',
      amount: { amount: 8_000 },
    })
    expect((await kinds('payment_intent.payment_failed', { ...intent, last_payment_error: { type: 'card_error', decline_code: 'stolen_card' } })))
      .toMatchObject({ kind: 'payment.failed', failureReason: 'stolen_card' })
    expect((await kinds('payment_intent.canceled', intent)).kind).toBe('payment.cancelled')
    const charge = { id: 'ch_1', object: 'charge', amount_refunded: 3_000, currency: 'usd', payment_intent: 'pi_123', metadata: {} }
    expect(await kinds('charge.refunded', charge)).toMatchObject({
      kind: 'payment.refunded',
      providerPaymentId: 'pi_123',
      amount: { amount: 3_000, currency: 'USD' },
      refundedTotal: { amount: 3_000, currency: 'USD' },
    })
    const transfer = { id: 'tr_1', object: 'transfer', amount: 500, currency: 'usd', reversed: false }
    expect(await kinds('transfer.created', transfer)).toMatchObject({ kind: 'payout.succeeded', providerPayoutId: 'tr_1' })
    expect((await kinds('transfer.reversed', transfer)).kind).toBe('payout.failed')
    expect((await kinds('customer.created', { id: 'cus_1', object: 'customer' })).kind).toBe('ignored')
  })

  it('rejects a forged signature, a stale timestamp (older than 300 s) and a missing header as unauthorized', async () => {
    const good = signed('payment_intent.succeeded', intent)
    const forged = { ...good, rawBody: good.rawBody.replace('10000', '1') }
    expect((await rejection(stripe.verifyWebhook(forged))).code).toBe('unauthorized')

    const otherSecret = Stripe.webhooks.generateTestHeaderString({ payload: good.rawBody, secret: 'whsec_attacker' })
    expect((await rejection(stripe.verifyWebhook({ ...good, headers: new Headers({ 'stripe-signature': otherSecret }) }))).code)
      .toBe('unauthorized')

    const stale = signed('payment_intent.succeeded', intent, Math.floor(Date.now() / 1000) - 301)
    expect((await rejection(stripe.verifyWebhook(stale))).code).toBe('unauthorized')

    expect((await rejection(stripe.verifyWebhook({ rawBody: good.rawBody, headers: new Headers() }))).code).toBe('unauthorized')
  })

  it('an event from the Connect endpoint verifies with its own secret when configured, and only then', async () => {
    const payload = JSON.stringify({ id: 'evt_po', object: 'event', created: 1, type: 'payout.paid', data: { object: { id: 'po_1', object: 'payout', amount: 700, currency: 'usd' } } })
    const headers = new Headers({ 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_connect' }) })
    expect((await rejection(stripe.verifyWebhook({ rawBody: payload, headers }))).code).toBe('unauthorized')
    const withConnect = stripeProvider({ secretKey: fake.secretKey, webhookSecret, additionalWebhookSecrets: ['whsec_connect'] })
    expect((await withConnect.verifyWebhook({ rawBody: payload, headers }))[0]).toMatchObject({ kind: 'payout.succeeded', providerPayoutId: 'po_1' })
  })

  it('a timestamp within the tolerance still verifies (the stale check is not over-eager)', async () => {
    const recent = signed('payment_intent.succeeded', intent, Math.floor(Date.now() / 1000) - 200)
    expect((await stripe.verifyWebhook(recent))[0]!.kind).toBe('payment.captured')
  })
})
