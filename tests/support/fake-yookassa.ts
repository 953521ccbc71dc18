/**
 * A local YooKassa API v3 for the adapter tests: HTTP Basic `shopId:secretKey`, JSON bodies, `Idempotence-Key`
 * required on every POST and replaying the first answer (injected failures are not remembered: the request never
 * ran). Speaks payments (create, get, capture, cancel), refunds (create, get) and payouts (create, get) over
 * in-memory objects shaped like YooKassa's.
 *
 * Test levers: `pay(id)` plays the traveller paying on the confirmation page (→ waiting_for_capture), `objects`
 * lets a test set any status directly, `failNext()` answers 500.
 */
import { randomUUID } from 'node:crypto'
import { startFakeServer, type FakeAnswer, type FakeServer } from './fake-server.ts'

type Json = Record<string, any>

export interface FakeYooKassa extends FakeServer {
  shopId: string
  secretKey: string
  /** Every payment, refund and payout by id. */
  objects: Map<string, Json>
  pay(paymentId: string): Json
}

const error = (status: number, code: string): FakeAnswer => ({ status, body: { type: 'error', id: randomUUID(), code, description: code } })
const cents = (value: string) => Math.round(Number(value) * 100) // fake-only arithmetic on small test amounts
const value = (minor: number) => (minor / 100).toFixed(2)

export async function startFakeYooKassa(): Promise<FakeYooKassa> {
  const shopId = '123456'
  const secretKey = 'test_yookassa_secret'
  const objects = new Map<string, Json>()
  const replies = new Map<string, FakeAnswer>()

  function route(method: string, parts: string[], body: Json): FakeAnswer {
    const [resource, id, action] = parts
    if (method === 'GET') {
      const object = id ? objects.get(id) : undefined
      return object && object.kind === resource ? { status: 200, body: strip(object) } : error(404, 'not_found')
    }
    if (resource === 'payments' && !id) {
      const payment = {
        kind: 'payments',
        id: randomUUID(),
        status: 'pending',
        paid: false,
        amount: body.amount,
        description: body.description,
        metadata: body.metadata ?? {},
        created_at: new Date().toISOString(),
        confirmation: { type: 'redirect', return_url: body.confirmation?.return_url, confirmation_url: `https://yoomoney.example/checkout?orderId=${randomUUID()}` },
        refunded_amount: { value: '0.00', currency: body.amount.currency },
        test: true,
      }
      objects.set(payment.id, payment)
      return { status: 200, body: strip(payment) }
    }
    if (resource === 'payments' && id) {
      const payment = objects.get(id)
      if (!payment) return error(404, 'not_found')
      if (action === 'capture') {
        if (payment.status !== 'waiting_for_capture') return error(400, 'invalid_request')
        if (body.amount) payment.amount = body.amount
        Object.assign(payment, { status: 'succeeded', captured_at: new Date().toISOString() })
        delete payment.expires_at
        return { status: 200, body: strip(payment) }
      }
      if (action === 'cancel') {
        if (payment.status !== 'waiting_for_capture') return error(400, 'invalid_request')
        Object.assign(payment, { status: 'canceled', cancellation_details: { party: 'merchant', reason: 'canceled_by_merchant' } })
        return { status: 200, body: strip(payment) }
      }
    }
    if (resource === 'refunds' && !id) {
      const payment = objects.get(body.payment_id)
      if (!payment || payment.status !== 'succeeded') return error(400, 'invalid_request')
      const refunded = cents(payment.refunded_amount.value) + cents(body.amount.value)
      if (refunded > cents(payment.amount.value)) return error(400, 'invalid_request')
      payment.refunded_amount = { value: value(refunded), currency: payment.amount.currency }
      const refund = { kind: 'refunds', id: randomUUID(), payment_id: payment.id, status: 'succeeded', amount: body.amount, created_at: new Date().toISOString() }
      objects.set(refund.id, refund)
      return { status: 200, body: strip(refund) }
    }
    if (resource === 'payouts' && !id) {
      const payout = { kind: 'payouts', id: `po-${randomUUID()}`, status: 'pending', amount: body.amount, description: body.description, metadata: body.metadata ?? {}, created_at: new Date().toISOString() }
      objects.set(payout.id, payout)
      return { status: 200, body: strip(payout) }
    }
    return error(404, 'not_found')
  }

  const server = await startFakeServer((request) => {
    const expected = 'Basic ' + Buffer.from(`${shopId}:${secretKey}`).toString('base64')
    if (request.headers.authorization !== expected) return error(401, 'invalid_credentials')
    const parts = request.path.replace(/^\/v3/, '').split('/').filter(Boolean)
    const body = request.rawBody ? (JSON.parse(request.rawBody) as Json) : {}
    if (request.method !== 'POST') return route(request.method, parts, body)
    const key = request.headers['idempotence-key']
    if (!key) return error(400, 'invalid_request')
    const seen = replies.get(key)
    if (seen) return seen
    const answer = route('POST', parts, body)
    replies.set(key, answer)
    return answer
  })

  return Object.assign(server, {
    shopId,
    secretKey,
    objects,
    pay(paymentId: string) {
      const payment = objects.get(paymentId)
      if (!payment) throw new Error(`fake yookassa: no ${paymentId}`)
      Object.assign(payment, { status: 'waiting_for_capture', paid: true, expires_at: new Date(Date.now() + 7 * 86_400_000).toISOString() })
      return payment
    },
  })
}

function strip(object: Json): Json {
  const { kind: _kind, ...rest } = object
  return JSON.parse(JSON.stringify(rest))
}
