/**
 * Payments over Stripe (the real SDK against a local fake, webhooks signed with Stripe's own test helper): start →
 * authorized webhook → booking confirmed with a ticket; duplicates, forgeries, out-of-order refunds, lost webhooks,
 * expiry and cancellation refunds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { startFakeStripe, type FakeStripe } from '../../support/fake-stripe.ts'
import { ticketJwks, ticketKeys, verifyTicket } from '../../../src/core/auth/tickets.ts'
import { trialBalance } from '../../../src/core/ledger/index.ts'
import * as booking from '../../../src/pillars/booking/service.ts'
import { reconcilePayments } from '../../../src/pillars/booking/payments/service.ts'
import {
  bookingStatus,
  countRows,
  heldBooking,
  makeWorld,
  paymentEvents,
  paymentRow,
  postStripe,
  principalOf,
  startPayment,
  startPaymentsApp,
  stripeEnv,
  stripeWebhook,
  type PaymentsTestApp,
  type World,
} from './support.ts'

let fake: FakeStripe
let t: PaymentsTestApp
let w: World

beforeAll(async () => {
  fake = await startFakeStripe()
  t = await startPaymentsApp(stripeEnv(fake))
  w = await makeWorld(t)
})
afterAll(async () => {
  await t?.close()
  await fake?.close()
})

/** A held booking with a started Stripe payment: its id, our payment id and the PaymentIntent id. */
async function startedPayment(options: Parameters<typeof heldBooking>[2] = {}) {
  const held = await heldBooking(t, w, options)
  const res = await startPayment(t, w.traveller, held.id)
  expect(res.status).toBe(201)
  const payment = (await res.json()) as { id: string; status: string; clientAction: { type: string; clientSecret: string } }
  const pi = [...fake.paymentIntents.values()].find((p) => (p.metadata as Record<string, string>).paymentId === payment.id)!
  return { bookingId: held.id, total: held.total.amount, payment, pi }
}

const requestsTo = (path: string) => fake.requests.filter((r) => r.method === 'POST' && r.path === path)

describe('starting a payment', () => {
  it('answers the Stripe client secret, sends the payment id as the idempotency key, and a second start returns the same payment', async () => {
    const { bookingId, payment, pi } = await startedPayment()
    expect(payment.status).toBe('pending')
    expect(payment.clientAction).toEqual({ type: 'stripe_payment_intent', clientSecret: pi.client_secret })
    expect(requestsTo('/v1/payment_intents').at(-1)!.headers['idempotency-key']).toBe(payment.id)

    const again = await startPayment(t, w.traveller, bookingId)
    expect(again.status).toBe(200)
    expect(((await again.json()) as { id: string }).id).toBe(payment.id)
    expect(await countRows(t, sql`select count(*)::int as n from payments where booking_id = ${bookingId}`)).toBe(1)
  })

  it('a traveller cannot start payment for another traveller’s booking (404, nothing created)', async () => {
    const held = await heldBooking(t, w, { traveller: w.otherTraveller })
    const res = await startPayment(t, w.traveller, held.id)
    expect(res.status).toBe(404)
    expect(await countRows(t, sql`select count(*)::int as n from payments where booking_id = ${held.id}`)).toBe(0)
  })
})

describe('webhooks', () => {
  it('hold → authorized webhook → booking confirmed with a ticket that verifies; a departure within 7 days is captured at once', async () => {
    const { bookingId, payment, pi, total } = await startedPayment({ daysAhead: 3 })
    fake.authorize(String(pi.id))
    const res = await postStripe(t, stripeWebhook('payment_intent.amount_capturable_updated', fake.paymentIntents.get(String(pi.id))))
    expect(res.status).toBe(200)

    expect(await bookingStatus(t, bookingId)).toBe('confirmed')
    const row = await paymentRow(t, payment.id)
    expect(row.status).toBe('captured')
    expect(Number(row.captured_amount)).toBe(total)
    expect(requestsTo(`/v1/payment_intents/${pi.id}/capture`)[0]!.headers['idempotency-key']).toBe(`capture:${payment.id}`)
    const verified = await verifyTicket(ticketJwks(await ticketKeys(t.deps.config)), row.ticket!, new Date())
    expect(verified).toMatchObject({ valid: true, claims: { bookingId, seats: 2 } })
    expect((await paymentEvents(t, payment.id)).map((e) => e.type)).toEqual(['payment.authorized', 'payment.captured'])
    expect((await trialBalance(t.db.orm)).balanced).toBe(true)

    const read = await t.app.request(`/v1/bookings/${bookingId}/payment`, { headers: w.traveller.headers })
    expect(await read.json()).toMatchObject({ id: payment.id, status: 'captured', ticket: row.ticket })
  })

  it('a duplicate webhook is processed once: one dedupe row, one transition, one event', async () => {
    const { bookingId, payment, pi } = await startedPayment({ daysAhead: 20 })
    fake.authorize(String(pi.id))
    const hook = stripeWebhook('payment_intent.amount_capturable_updated', fake.paymentIntents.get(String(pi.id)))
    expect((await postStripe(t, hook)).status).toBe(200)
    const after = await paymentRow(t, payment.id)
    expect((await postStripe(t, hook)).status).toBe(200)

    expect(await countRows(t, sql`select count(*)::int as n from provider_webhook_events where provider = 'stripe' and event_id = ${hook.id}`)).toBe(1)
    expect((await paymentEvents(t, payment.id)).map((e) => e.type)).toEqual(['payment.authorized'])
    expect((await paymentRow(t, payment.id)).version).toBe(after.version)
    expect(await bookingStatus(t, bookingId)).toBe('confirmed')
    // 20 days out: the capture waits until 7 days before the departure
    expect(after.status).toBe('authorized')
    expect(after.capture_after).not.toBeNull()
  })

  it('a forged signature and a stale timestamp are 401 problems and change nothing', async () => {
    const { bookingId, payment, pi } = await startedPayment()
    fake.authorize(String(pi.id))
    const object = fake.paymentIntents.get(String(pi.id))
    const forged = stripeWebhook('payment_intent.amount_capturable_updated', object, { secret: 'whsec_attacker_secret' })
    const stale = stripeWebhook('payment_intent.amount_capturable_updated', object, { timestamp: Math.floor(Date.now() / 1000) - 301 })
    for (const hook of [forged, stale]) {
      const res = await postStripe(t, hook)
      expect(res.status).toBe(401)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
      expect(await countRows(t, sql`select count(*)::int as n from provider_webhook_events where event_id = ${hook.id}`)).toBe(0)
    }
    expect((await paymentRow(t, payment.id)).status).toBe('pending')
    expect(await bookingStatus(t, bookingId)).toBe('held')
    expect(await paymentEvents(t, payment.id)).toEqual([])
  })

  it('a refund webhook that overtakes the capture webhook still ends right: captured, refund kept, ledger balanced', async () => {
    const { payment, pi, total } = await startedPayment({ daysAhead: 20 })
    fake.authorize(String(pi.id))
    await postStripe(t, stripeWebhook('payment_intent.amount_capturable_updated', fake.paymentIntents.get(String(pi.id))))
    const charge = fake.charges.get(String(fake.paymentIntents.get(String(pi.id))!.latest_charge))!
    const refunded = 500_000
    // Stripe sent succeeded then charge.refunded; they arrive the other way round.
    await postStripe(t, stripeWebhook('charge.refunded', { ...charge, captured: true, amount_refunded: refunded, refunds: { data: [{ id: 're_early' }] } }))
    const between = await paymentRow(t, payment.id)
    expect(between.status).toBe('authorized')
    expect(Number(between.refunded_amount)).toBe(refunded)

    await postStripe(t, stripeWebhook('payment_intent.succeeded', { ...fake.paymentIntents.get(String(pi.id)), status: 'succeeded', amount_received: total }))
    const final = await paymentRow(t, payment.id)
    expect(final).toMatchObject({ status: 'captured' })
    expect(Number(final.captured_amount)).toBe(total)
    expect(Number(final.refunded_amount)).toBe(refunded)
    // a late authorized report does not move it back
    await postStripe(t, stripeWebhook('payment_intent.amount_capturable_updated', fake.paymentIntents.get(String(pi.id))))
    expect((await paymentRow(t, payment.id)).status).toBe('captured')
    expect((await paymentEvents(t, payment.id)).map((e) => e.type)).toEqual(['payment.authorized', 'payment.refunded', 'payment.captured'])
    expect(await countRows(t, sql`select count(*)::int as n from ledger_transactions where kind = 'refund' and metadata->>'paymentId' = ${payment.id}`)).toBe(1)
    expect((await trialBalance(t.db.orm)).balanced).toBe(true)
  })
})

describe('maintenance and booking lifecycle', () => {
  it('reconciliation converges a payment whose webhook was lost (authorized at Stripe → booking confirmed)', async () => {
    const { bookingId, payment, pi } = await startedPayment({ daysAhead: 3 })
    fake.authorize(String(pi.id)) // and the webhook never arrives
    expect(await reconcilePayments(t.deps, new Date())).toBe(0) // not stale yet
    const later = new Date(Date.now() + 15 * 60_000)
    expect(await reconcilePayments(t.deps, later)).toBeGreaterThanOrEqual(1)
    expect(await bookingStatus(t, bookingId)).toBe('confirmed')
    expect(['authorized', 'captured']).toContain((await paymentRow(t, payment.id)).status)
  })

  it('expiry voids the hold at the provider and publishes payment.voided', async () => {
    const { bookingId, payment, pi } = await startedPayment()
    const expired = await booking.expireHolds(t.deps, new Date(Date.now() + 60 * 60_000))
    expect(expired).toBeGreaterThanOrEqual(1)
    expect(await bookingStatus(t, bookingId)).toBe('expired')
    await t.drain()
    const cancels = requestsTo(`/v1/payment_intents/${pi.id}/cancel`)
    expect(cancels).toHaveLength(1)
    expect(fake.paymentIntents.get(String(pi.id))!.status).toBe('canceled')
    expect((await paymentRow(t, payment.id)).status).toBe('cancelled')
    expect((await paymentEvents(t, payment.id)).filter((e) => e.type === 'payment.voided')).toHaveLength(1)
  })

  it('an authorized webhook for a booking that already expired voids the hold instead of confirming', async () => {
    const { bookingId, payment, pi } = await startedPayment()
    fake.authorize(String(pi.id))
    await booking.expireHolds(t.deps, new Date(Date.now() + 60 * 60_000))
    await postStripe(t, stripeWebhook('payment_intent.amount_capturable_updated', fake.paymentIntents.get(String(pi.id))))
    expect(await bookingStatus(t, bookingId)).toBe('expired')
    expect(fake.paymentIntents.get(String(pi.id))!.status).toBe('canceled')
    expect((await paymentRow(t, payment.id)).status).toBe('cancelled')
  })

  it('cancelling a confirmed booking refunds the policy amount at the provider, once, and the ledger balances', async () => {
    const policy = { tiers: [{ daysBefore: 2, refundPercent: 50 }] }
    const { bookingId, payment, pi, total } = await startedPayment({ daysAhead: 4, policy })
    fake.authorize(String(pi.id))
    await postStripe(t, stripeWebhook('payment_intent.amount_capturable_updated', fake.paymentIntents.get(String(pi.id))))
    expect((await paymentRow(t, payment.id)).status).toBe('captured')

    const cancelled = await booking.cancelBooking(t.deps, principalOf(w.traveller), bookingId, new Date())
    expect(cancelled.refund).toEqual({ amount: total / 2, currency: 'RUB' })
    await t.drain()
    await t.drain() // a redelivery would change nothing; nothing is due anyway

    const refunds = requestsTo('/v1/refunds')
    const mine = refunds.filter((r) => new URLSearchParams(r.rawBody).get('payment_intent') === pi.id)
    expect(mine).toHaveLength(1)
    expect(new URLSearchParams(mine[0]!.rawBody).get('amount')).toBe(String(total / 2))
    expect(mine[0]!.headers['idempotency-key']).toMatch(/^refund:/)
    expect(Number((await paymentRow(t, payment.id)).refunded_amount)).toBe(total / 2)
    expect(await countRows(t, sql`select count(*)::int as n from payment_refunds where payment_id = ${payment.id}`)).toBe(1)
    expect((await paymentEvents(t, payment.id)).map((e) => e.type)).toEqual(['payment.authorized', 'payment.captured', 'payment.refunded'])
    const balance = await trialBalance(t.db.orm)
    expect(balance.balanced).toBe(true)
  })
})

