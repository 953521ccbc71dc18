/**
 * A local Stripe for the adapter tests, reached by the real SDK through its host/port/protocol settings. Speaks the
 * endpoints the adapter calls — PaymentIntents (create, retrieve, capture, cancel), refunds, transfers — with
 * form-urlencoded bodies and Stripe-shaped JSON (errors as `{error:{type,code,decline_code,message}}`). An
 * `Idempotency-Key` seen before replays the first answer; the same key with different parameters is an
 * idempotency_error, as on Stripe. Injected failures (`failNext`) are not remembered, like a request that never
 * reached Stripe.
 *
 * Test levers: `authorize(id)` plays the traveller confirming the card (→ requires_capture with a charge),
 * `declineNext()` makes the next create a card_error.
 */
import { randomBytes } from 'node:crypto'
import { startFakeServer, type FakeAnswer, type FakeServer, type RecordedRequest } from './fake-server.ts'

type Json = Record<string, unknown>

export interface FakeStripe extends FakeServer {
  secretKey: string
  paymentIntents: Map<string, Json>
  charges: Map<string, Json>
  authorize(paymentIntentId: string): Json
  declineNext(declineCode?: string): void
}

/** `a[b]=c&expand[0]=x` → `{a:{b:'c'}, expand:['x']}` (Stripe's encoding, enough for these endpoints). */
export function parseStripeForm(params: URLSearchParams): Json {
  const out: Json = {}
  for (const [key, value] of params) {
    const path = key.replace(/\]/g, '').split('[')
    let node = out as Record<string, unknown>
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        if (segment === '' && Array.isArray(node)) node.push(value)
        else node[segment] = value
        return
      }
      node[segment] ??= /^\d*$/.test(path[i + 1] ?? '') ? [] : {}
      node = node[segment] as Record<string, unknown>
    })
  }
  return out
}

const id = (prefix: string) => `${prefix}_${randomBytes(8).toString('hex')}`
const now = () => Math.floor(Date.now() / 1000)

function stripeError(status: number, type: string, code: string, extra: Json = {}): FakeAnswer {
  return { status, body: { error: { type, code, message: `fake: ${code}`, ...extra } } }
}

export async function startFakeStripe(): Promise<FakeStripe> {
  const secretKey = 'sk_test_fake_' + randomBytes(6).toString('hex')
  const paymentIntents = new Map<string, Json>()
  const charges = new Map<string, Json>()
  const remembered = new Map<string, { fingerprint: string; answer: FakeAnswer }>()
  let decline: string | undefined

  function withExpand(pi: Json, expand: unknown): Json {
    const wanted = Array.isArray(expand) && expand.includes('latest_charge')
    if (!wanted || typeof pi.latest_charge !== 'string') return pi
    return { ...pi, latest_charge: charges.get(pi.latest_charge) }
  }

  function route(request: RecordedRequest, params: Json): FakeAnswer {
    const parts = request.path.split('/').filter(Boolean) // v1, resource, id?, action?
    const [, resource, objectId, action] = parts
    if (resource === 'payment_intents' && request.method === 'POST' && !objectId) {
      if (decline) {
        const code = decline
        decline = undefined
        return stripeError(402, 'card_error', 'card_declined', { decline_code: code })
      }
      const piId = id('pi')
      const pi: Json = {
        id: piId,
        object: 'payment_intent',
        amount: Number(params.amount),
        amount_capturable: 0,
        amount_received: 0,
        currency: params.currency,
        capture_method: params.capture_method ?? 'automatic',
        client_secret: `${piId}_secret_${randomBytes(6).toString('hex')}`,
        created: now(),
        description: params.description ?? null,
        metadata: params.metadata ?? {},
        status: 'requires_payment_method',
        latest_charge: null,
        last_payment_error: null,
        cancellation_reason: null,
      }
      paymentIntents.set(piId, pi)
      return { status: 200, body: pi }
    }
    if (resource === 'payment_intents' && objectId) {
      const pi = paymentIntents.get(objectId)
      if (!pi) return stripeError(404, 'invalid_request_error', 'resource_missing')
      if (request.method === 'GET' && !action) return { status: 200, body: withExpand(pi, params.expand) }
      if (action === 'capture') {
        if (pi.status !== 'requires_capture') return stripeError(400, 'invalid_request_error', 'payment_intent_unexpected_state')
        const amount = params.amount_to_capture === undefined ? Number(pi.amount_capturable) : Number(params.amount_to_capture)
        if (amount > Number(pi.amount_capturable)) return stripeError(400, 'invalid_request_error', 'amount_too_large')
        Object.assign(pi, { status: 'succeeded', amount_received: amount, amount_capturable: 0 })
        const charge = charges.get(String(pi.latest_charge))
        if (charge) Object.assign(charge, { captured: true, amount_captured: amount })
        return { status: 200, body: withExpand(pi, params.expand) }
      }
      if (action === 'cancel') {
        if (pi.status === 'succeeded' || pi.status === 'canceled') {
          return stripeError(400, 'invalid_request_error', 'payment_intent_unexpected_state')
        }
        Object.assign(pi, { status: 'canceled', amount_capturable: 0, cancellation_reason: params.cancellation_reason ?? null })
        return { status: 200, body: withExpand(pi, params.expand) }
      }
    }
    if (resource === 'refunds' && request.method === 'POST') {
      const pi = paymentIntents.get(String(params.payment_intent))
      if (!pi || pi.status !== 'succeeded') return stripeError(400, 'invalid_request_error', 'charge_not_refundable')
      const charge = charges.get(String(pi.latest_charge))!
      const amount = params.amount === undefined ? Number(pi.amount_received) - Number(charge.amount_refunded) : Number(params.amount)
      if (Number(charge.amount_refunded) + amount > Number(pi.amount_received)) {
        return stripeError(400, 'invalid_request_error', 'charge_already_refunded')
      }
      charge.amount_refunded = Number(charge.amount_refunded) + amount
      charge.refunded = charge.amount_refunded === pi.amount_received
      return {
        status: 200,
        body: { id: id('re'), object: 'refund', amount, currency: pi.currency, charge: charge.id, payment_intent: pi.id, status: 'succeeded', created: now() },
      }
    }
    if (resource === 'transfers' && request.method === 'POST') {
      return {
        status: 200,
        body: {
          id: id('tr'),
          object: 'transfer',
          amount: Number(params.amount),
          currency: params.currency,
          destination: params.destination,
          transfer_group: params.transfer_group ?? null,
          metadata: params.metadata ?? {},
          reversed: false,
          created: now(),
        },
      }
    }
    return stripeError(404, 'invalid_request_error', 'unknown_endpoint')
  }

  const server = await startFakeServer((request) => {
    if (request.headers.authorization !== `Bearer ${secretKey}`) {
      return stripeError(401, 'invalid_request_error', 'api_key_invalid')
    }
    const params = parseStripeForm(request.method === 'GET' ? request.query : new URLSearchParams(request.rawBody))
    const key = request.headers['idempotency-key']
    if (request.method !== 'POST' || !key) return route(request, params)
    const fingerprint = `${request.path} ${request.rawBody}`
    const seen = remembered.get(key)
    if (seen) {
      return seen.fingerprint === fingerprint ? seen.answer : stripeError(400, 'idempotency_error', 'idempotency_key_in_use')
    }
    const answer = route(request, params)
    remembered.set(key, { fingerprint, answer })
    return answer
  })

  return Object.assign(server, {
    secretKey,
    paymentIntents,
    charges,
    authorize(paymentIntentId: string) {
      const pi = paymentIntents.get(paymentIntentId)
      if (!pi) throw new Error(`fake stripe: no ${paymentIntentId}`)
      const chargeId = id('ch')
      charges.set(chargeId, {
        id: chargeId,
        object: 'charge',
        amount: pi.amount,
        amount_captured: 0,
        amount_refunded: 0,
        captured: false,
        refunded: false,
        currency: pi.currency,
        payment_intent: pi.id,
        metadata: pi.metadata,
        payment_method_details: { type: 'card', card: { capture_before: now() + 7 * 86_400 } },
      })
      Object.assign(pi, { status: 'requires_capture', amount_capturable: pi.amount, latest_charge: chargeId })
      return pi
    },
    declineNext(declineCode = 'insufficient_funds') {
      decline = declineCode
    },
  })
}
