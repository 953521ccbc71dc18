import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFakeCloudPayments, type FakeCloudPayments } from '../../../tests/support/fake-cloudpayments.ts'
import { startFakeStripe, type FakeStripe } from '../../../tests/support/fake-stripe.ts'
import { startFakeYooKassa, type FakeYooKassa } from '../../../tests/support/fake-yookassa.ts'
import { DomainError } from '../errors.ts'
import { cloudPaymentsProvider } from './cloudpayments.ts'
import type { CreateHoldInput, PaymentProvider, ProviderName } from './provider.ts'
import { paymentRouter } from './router.ts'
import { sandboxProvider } from './sandbox.ts'
import { stripeProvider } from './stripe.ts'
import { yooKassaProvider } from './yookassa.ts'

/** A provider that only answers supports(); for the selection rules. */
function named(name: ProviderName, currencies?: string[]): PaymentProvider {
  const unused = () => Promise.reject(new Error('not used'))
  return {
    name,
    supports: (c) => !currencies || currencies.includes(c.toUpperCase()),
    createHold: unused,
    capture: unused,
    cancel: unused,
    refund: unused,
    retrieve: unused,
    verifyWebhook: unused,
  }
}

const names = (providers: PaymentProvider[]) => providers.map((p) => p.name)

describe('paymentRouter: which provider takes a currency', () => {
  const all = [named('stripe', ['USD', 'EUR']), named('cloudpayments', ['RUB', 'USD']), named('yookassa', ['RUB'])]

  it('RUB goes to YooKassa then CloudPayments; other currencies to Stripe first', () => {
    const router = paymentRouter(all)
    expect(names(router.providersFor('rub'))).toEqual(['yookassa', 'cloudpayments'])
    expect(names(router.providersFor('USD'))).toEqual(['stripe', 'cloudpayments'])
    expect(names(router.providersFor('EUR'))).toEqual(['stripe'])
    expect(router.providersFor('JPY')).toEqual([])
  })

  it('configured preferences reorder providers; unconfigured names are skipped', () => {
    const router = paymentRouter(all, { preferences: { RUB: ['cloudpayments', 'yookassa'], USD: ['sandbox', 'cloudpayments'] } })
    expect(names(router.providersFor('RUB'))).toEqual(['cloudpayments', 'yookassa'])
    expect(names(router.providersFor('USD'))).toEqual(['cloudpayments', 'stripe'])
  })

  it('the sandbox takes every currency when it is the only provider, and none when real ones are configured', () => {
    expect(names(paymentRouter([named('sandbox')]).providersFor('RUB'))).toEqual(['sandbox'])
    expect(names(paymentRouter([named('sandbox'), named('stripe')]).providersFor('USD'))).toEqual(['stripe'])
    expect(names(paymentRouter([named('sandbox'), named('stripe', ['USD'])]).providersFor('RUB'))).toEqual([])
  })

  it('refuses a provider configured twice, and a currency nobody takes is unprocessable', async () => {
    expect(() => paymentRouter([named('stripe'), named('stripe')])).toThrow(/twice/)
    const error = await paymentRouter(all).createHoldWithFailover(holdInput({ amount: { amount: 1, currency: 'JPY' } })).catch((e) => e)
    expect(error).toMatchObject({ code: 'unprocessable' })
  })
})

let yooFake: FakeYooKassa
let cpFake: FakeCloudPayments
let stripeFake: FakeStripe
let yookassa: PaymentProvider
let cloudpayments: PaymentProvider
let stripe: PaymentProvider

function holdInput(overrides: Partial<CreateHoldInput> = {}): CreateHoldInput {
  return {
    paymentId: 'pay_r1',
    bookingId: 'bk_r1',
    amount: { amount: 100_000, currency: 'RUB' },
    description: 'Tolbachik',
    returnUrl: 'https://app.example/return',
    idempotencyKey: crypto.randomUUID(),
    ...overrides,
  }
}

beforeAll(async () => {
  ;[yooFake, cpFake, stripeFake] = await Promise.all([startFakeYooKassa(), startFakeCloudPayments(), startFakeStripe()])
  yookassa = yooKassaProvider({ shopId: yooFake.shopId, secretKey: yooFake.secretKey, baseUrl: yooFake.url + '/v3' })
  cloudpayments = cloudPaymentsProvider({ publicId: cpFake.publicId, apiSecret: cpFake.apiSecret, baseUrl: cpFake.url })
  stripe = stripeProvider({
    secretKey: stripeFake.secretKey,
    webhookSecret: 'whsec_x',
    host: '127.0.0.1',
    port: stripeFake.port,
    protocol: 'http',
    maxNetworkRetries: 0,
    currencies: ['USD', 'RUB'],
  })
})
afterAll(() => Promise.all([yooFake.close(), cpFake.close(), stripeFake.close()]))

describe('paymentRouter.createHoldWithFailover', () => {
  it('the preferred provider wins when it is up', async () => {
    const won = await paymentRouter([stripe, cloudpayments, yookassa]).createHoldWithFailover(holdInput())
    expect(won).toMatchObject({ provider: 'yookassa', skipped: [], hold: { clientAction: { type: 'redirect' } } })
  })

  it('YooKassa answering 500 (even to its same-key resend) fails over to CloudPayments, which wins', async () => {
    yooFake.failNext(2, 500)
    const skipped: string[] = []
    const router = paymentRouter([stripe, cloudpayments, yookassa], { onFailover: (name) => skipped.push(name) })
    const won = await router.createHoldWithFailover(holdInput({ paymentId: 'pay_r2' }))
    expect(won).toMatchObject({ provider: 'cloudpayments', skipped: ['yookassa'], hold: { providerPaymentId: 'invoice:pay_r2' } })
    expect(skipped).toEqual(['yookassa'])
  })

  it('an unreachable provider fails over too', async () => {
    const down = yooKassaProvider({ shopId: 's', secretKey: 'k', baseUrl: 'http://127.0.0.1:9/v3' })
    const won = await paymentRouter([down, cloudpayments]).createHoldWithFailover(holdInput())
    expect(won).toMatchObject({ provider: 'cloudpayments', skipped: ['yookassa'] })
  })

  it('a raw network failure from a provider fails over; a programming error does not', async () => {
    const failing = (error: Error): PaymentProvider => ({ ...named('yookassa'), createHold: () => Promise.reject(error) })
    const network = await paymentRouter([failing(new TypeError('fetch failed')), cloudpayments]).createHoldWithFailover(holdInput())
    expect(network.provider).toBe('cloudpayments')
    const bug = paymentRouter([failing(new TypeError("Cannot read properties of undefined (reading 'id')")), cloudpayments])
    await expect(bug.createHoldWithFailover(holdInput())).rejects.toThrow(/Cannot read/)
  })

  it('a decline is final: no other provider is tried', async () => {
    stripeFake.declineNext('insufficient_funds')
    let cloudPaymentsTried = 0
    const watched: PaymentProvider = { ...cloudpayments, createHold: (input) => (cloudPaymentsTried++, cloudpayments.createHold(input)) }
    const router = paymentRouter([stripe, watched], { preferences: { RUB: ['stripe', 'cloudpayments'] } })
    const error = await router.createHoldWithFailover(holdInput()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DomainError)
    expect(error).toMatchObject({ code: 'payment_failed' })
    expect(cloudPaymentsTried).toBe(0)
  })

  it('when every provider is down the caller gets unavailable', async () => {
    yooFake.failNext(2, 500)
    stripeFake.failNext(1, 503)
    const router = paymentRouter([stripe, yookassa], { preferences: { RUB: ['yookassa', 'stripe'] } })
    const error = await router.createHoldWithFailover(holdInput()).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'unavailable' })
    expect((error as DomainError).detail).toContain('yookassa, stripe')
  })

  it('with only the sandbox configured, it takes the hold', async () => {
    const sandbox = sandboxProvider({ signingSecret: 's', callbackUrl: 'http://unused', fetch: async () => new Response(null) })
    const won = await paymentRouter([sandbox]).createHoldWithFailover(holdInput({ amount: { amount: 5, currency: 'JPY' } }))
    expect(won).toMatchObject({ provider: 'sandbox', hold: { clientAction: { type: 'sandbox' } } })
  })
})
