import { describe, expect, it } from 'vitest'
import { DomainError } from '../errors.ts'
import type { CreateHoldInput, WebhookEvent } from './provider.ts'
import { SANDBOX_IS_DEV_ONLY, sandboxProvider, signSandboxWebhook, type SandboxProvider } from './sandbox.ts'

const secret = 'sandbox-secret'
const callbackUrl = 'http://app.test/webhooks/sandbox'

/** A sandbox whose callbacks land in an in-process receiver that verifies them like the webhook route will. */
function setup(options: { answer?: number; clock?: () => Date } = {}) {
  const received: WebhookEvent[] = []
  const posted: Array<{ url: string; headers: Headers; body: string }> = []
  const sandbox: SandboxProvider = sandboxProvider({
    signingSecret: secret,
    callbackUrl,
    ...(options.clock ? { clock: options.clock } : {}),
    fetch: async (url, init) => {
      const headers = new Headers(init.headers)
      const body = String(init.body)
      posted.push({ url, headers, body })
      received.push(...(await sandbox.verifyWebhook({ rawBody: body, headers })))
      return new Response(null, { status: options.answer ?? 200 })
    },
  })
  return { sandbox, received, posted }
}

function holdInput(overrides: Partial<CreateHoldInput> = {}): CreateHoldInput {
  return {
    paymentId: 'pay_s1',
    bookingId: 'bk_s1',
    amount: { amount: 500_000, currency: 'RUB' },
    description: 'Mutnovsky',
    idempotencyKey: crypto.randomUUID(),
    ...overrides,
  }
}

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(() => undefined, (e: unknown) => e)
  expect(error).toBeInstanceOf(DomainError)
  return error as DomainError
}

describe('sandboxProvider', () => {
  it('is marked dev-only for the config layer', () => {
    expect(SANDBOX_IS_DEV_ONLY).toBe(true)
  })

  it('walks pending → authorized → captured → refunded, delivering a signed webhook per change, in order', async () => {
    const { sandbox, received, posted } = setup()
    const hold = await sandbox.createHold(holdInput())
    expect(hold).toMatchObject({ status: 'pending', clientAction: { type: 'sandbox', confirmUrl: `/sandbox/payments/${hold.providerPaymentId}` } })

    expect(await sandbox.approve(hold.providerPaymentId)).toMatchObject({ status: 'authorized' })
    expect(await sandbox.capture(hold.providerPaymentId, { amount: 400_000, currency: 'RUB' }, 'cap')).toMatchObject({
      status: 'captured',
      capturedAmount: 400_000,
    })
    const refund = await sandbox.refund(hold.providerPaymentId, { amount: 100_000, currency: 'RUB' }, 'ref')
    expect(refund.status).toBe('succeeded')
    await sandbox.idle()

    expect(posted.every((p) => p.url === callbackUrl && /^t=\d+,v1=[0-9a-f]{64}$/.test(p.headers.get('sandbox-signature')!))).toBe(true)
    expect(received.map((e) => e.kind)).toEqual(['payment.authorized', 'payment.captured', 'payment.refunded'])
    expect(received[2]).toMatchObject({
      provider: 'sandbox',
      providerPaymentId: hold.providerPaymentId,
      paymentId: 'pay_s1',
      providerRefundId: refund.providerRefundId,
      amount: { amount: 100_000, currency: 'RUB' },
      refundedTotal: { amount: 100_000, currency: 'RUB' },
    })
    expect(new Set(received.map((e) => e.eventId)).size).toBe(3)
    expect(await sandbox.retrieve(hold.providerPaymentId)).toMatchObject({ status: 'captured', capturedAmount: 400_000, refundedAmount: 100_000 })
  })

  it('a webhook callback never blocks the state change that caused it', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const sandbox = sandboxProvider({
      signingSecret: secret,
      callbackUrl,
      fetch: async () => {
        await gate
        return new Response(null, { status: 204 })
      },
    })
    const hold = await sandbox.createHold(holdInput())
    expect(await sandbox.approve(hold.providerPaymentId)).toMatchObject({ status: 'authorized' }) // resolved while the callback hangs
    expect(sandbox.deliveries[0]!.status).toBeUndefined()
    release()
    await sandbox.idle()
    expect(sandbox.deliveries[0]!.status).toBe(204)
  })

  it('a failing callback is recorded and reported, and the caller still succeeds', async () => {
    const errors: string[] = []
    const sandbox = sandboxProvider({
      signingSecret: secret,
      callbackUrl,
      fetch: async () => new Response('no', { status: 500 }),
      onDeliveryError: (error) => errors.push(error.message),
    })
    const hold = await sandbox.createHold(holdInput())
    await sandbox.approve(hold.providerPaymentId)
    await sandbox.idle()
    expect(sandbox.deliveries[0]).toMatchObject({ status: 500, error: 'callback answered 500' })
    expect(errors).toEqual(['callback answered 500'])
  })

  it('decline fails the payment, and a failed or cancelled payment cannot be captured', async () => {
    const { sandbox, received } = setup()
    const declined = await sandbox.createHold(holdInput())
    expect(await sandbox.decline(declined.providerPaymentId, 'insufficient_funds')).toMatchObject({ status: 'failed', failureReason: 'insufficient_funds' })
    expect((await rejection(sandbox.capture(declined.providerPaymentId, { amount: 1, currency: 'RUB' }, 'c1'))).code).toBe('conflict')

    const released = await sandbox.createHold(holdInput())
    await sandbox.approve(released.providerPaymentId)
    expect(await sandbox.cancel(released.providerPaymentId, 'x1')).toMatchObject({ status: 'cancelled' })
    expect((await rejection(sandbox.capture(released.providerPaymentId, { amount: 1, currency: 'RUB' }, 'c2'))).code).toBe('conflict')
    await sandbox.idle()
    expect(received.map((e) => e.kind)).toEqual(['payment.failed', 'payment.authorized', 'payment.cancelled'])
  })

  it('repeats with the same idempotency key return the first result and change nothing twice', async () => {
    const { sandbox, received } = setup()
    const input = holdInput()
    const hold = await sandbox.createHold(input)
    expect((await sandbox.createHold(input)).providerPaymentId).toBe(hold.providerPaymentId)
    await sandbox.approve(hold.providerPaymentId)
    await sandbox.capture(hold.providerPaymentId, { amount: 500_000, currency: 'RUB' }, 'cap')
    const first = await sandbox.refund(hold.providerPaymentId, { amount: 1_000, currency: 'RUB' }, 'ref')
    const again = await sandbox.refund(hold.providerPaymentId, { amount: 1_000, currency: 'RUB' }, 'ref')
    expect(again).toEqual(first)
    expect(await sandbox.retrieve(hold.providerPaymentId)).toMatchObject({ refundedAmount: 1_000 })
    expect((await rejection(sandbox.refund(hold.providerPaymentId, { amount: 500_000, currency: 'RUB' }, 'ref-2'))).code).toBe('unprocessable')
    await sandbox.idle()
    expect(received.filter((e) => e.kind === 'payment.refunded')).toHaveLength(1)
  })

  it('verifyWebhook rejects a forged signature, a tampered body and a timestamp more than 300 s away', async () => {
    let now = new Date('2025-06-01T00:00:00Z')
    const { sandbox } = setup({ clock: () => now })
    const body = JSON.stringify({ id: 'evt_1', type: 'payment.captured', created: now.getTime() / 1000, data: { amount: 1, currency: 'RUB' } })
    const t = now.getTime() / 1000
    const good = await signSandboxWebhook(secret, body, t)
    const verify = (rawBody: string, signature: string) =>
      sandbox.verifyWebhook({ rawBody, headers: new Headers({ 'Sandbox-Signature': signature }) })

    expect((await verify(body, good))[0]).toMatchObject({ eventId: 'evt_1', kind: 'payment.captured' })
    expect((await rejection(verify(body, await signSandboxWebhook('other', body, t)))).code).toBe('unauthorized')
    expect((await rejection(verify(body.replace('"amount":1', '"amount":9'), good))).code).toBe('unauthorized')
    expect((await rejection(verify(body, ''))).code).toBe('unauthorized')
    now = new Date(now.getTime() + 301_000)
    expect((await rejection(verify(body, good))).code).toBe('unauthorized')
    now = new Date(now.getTime() - 2_000) // 299 s after signing: still fresh
    expect((await verify(body, good))[0]!.kind).toBe('payment.captured')
  })
})
