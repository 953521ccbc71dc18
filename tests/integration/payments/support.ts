/** Helpers for payment tests: the app with providers pointed at the local fakes, bookings, signed webhooks, rows. */
import Stripe from 'stripe'
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { dispatcherFor } from '../../support/events.ts'
import { parseConfig } from '../../../src/core/config/schema.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { registerSubscriptions } from '../../../src/events/subscription.ts'
import { paymentsRegistry } from '../../../src/pillars/booking/payments/registry.ts'
import { paymentsSubscription } from '../../../src/pillars/booking/payments/subscriptions.ts'
import * as booking from '../../../src/pillars/booking/service.ts'
import { addDeparture, contact, DAY, idempotencyKey, makeTour, makeWorld, principalOf, send, type Actor, type World } from '../booking/support.ts'

export { contact, DAY, idempotencyKey, makeTour, makeWorld, principalOf, send, type Actor, type World }

export const STRIPE_WEBHOOK_SECRET = 'whsec_test_payglue_secret'

export interface PaymentsTestApp extends TestApp {
  /** Runs the payments subscription over every due delivery (what the dispatcher does in production). */
  drain(): Promise<number>
}

export async function startPaymentsApp(env: Record<string, string>): Promise<PaymentsTestApp> {
  const fullEnv = { NODE_ENV: 'test', LOG_LEVEL: 'silent', AUTH_RATE_LIMIT: '10000', ...env }
  const payments = paymentsRegistry(parseConfig(fullEnv))
  const t = await startTestApp({ env: fullEnv, deps: { payments } })
  const subscriptions = [paymentsSubscription(t.deps)]
  // registered before any booking event is published, so their deliveries exist
  await registerSubscriptions(t.db.orm, subscriptions)
  const dispatcher = dispatcherFor(t.db, { subscriptions })
  return Object.assign(t, { drain: () => dispatcher.drain() })
}

export function stripeEnv(fake: { secretKey: string; port: number }): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: fake.secretKey,
    STRIPE_WEBHOOK_SECRET,
    STRIPE_API_HOST: '127.0.0.1',
    STRIPE_API_PORT: String(fake.port),
    STRIPE_API_PROTOCOL: 'http',
    STRIPE_MAX_NETWORK_RETRIES: '0',
    STRIPE_CURRENCIES: 'RUB,USD',
  }
}

/** A held booking on a fresh departure `daysAhead` days away (2 adults, 30 000.00 RUB). */
export async function heldBooking(t: TestApp, w: World, { daysAhead = 3, traveller = w.traveller, policy }: { daysAhead?: number; traveller?: Actor; policy?: { tiers: Array<{ daysBefore: number; refundPercent: number }> } } = {}) {
  const tour = await makeTour(t, w.operator, policy ? { cancellationPolicy: policy } : {})
  const departure = await addDeparture(t, w.operator, tour.id, { startsAt: new Date(Date.now() + daysAhead * DAY) })
  return booking.holdSeats(t.deps, principalOf(traveller), { departureId: departure.id, party: { adult: 2 }, contact })
}

export async function startPayment(t: TestApp, actor: Actor, bookingId: string) {
  return send(t, 'POST', `/v1/bookings/${bookingId}/payment`, undefined, { ...actor.headers, ...idempotencyKey() })
}

/** A Stripe event as Stripe posts it (pretty-printed), signed with the real SDK's test helper. */
export function stripeWebhook(type: string, object: unknown, { id = `evt_${crypto.randomUUID()}`, timestamp = Math.floor(Date.now() / 1000), secret = STRIPE_WEBHOOK_SECRET } = {}) {
  const payload = JSON.stringify({ id, object: 'event', api_version: '2024-06-20', created: timestamp, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, type, data: { object } }, null, 2)
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp })
  return { id, payload, signature }
}

export function postStripe(t: TestApp, hook: { payload: string; signature: string }) {
  return t.app.request('/webhooks/stripe', { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': hook.signature }, body: hook.payload })
}

export interface PaymentDbRow {
  id: string
  status: string
  provider: string
  provider_payment_id: string | null
  amount: string
  captured_amount: string
  refunded_amount: string
  capture_after: unknown
  ticket: string | null
  version: number
}

export async function paymentRow(t: TestApp, id: string): Promise<PaymentDbRow> {
  const [row] = await queryRows<PaymentDbRow>(t.db.orm, sql`select * from payments where id = ${id}`)
  return row!
}

export async function bookingStatus(t: TestApp, id: string): Promise<string> {
  const [row] = await queryRows<{ status: string }>(t.db.orm, sql`select status from bookings where id = ${id}`)
  return row!.status
}

export async function countRows(t: TestApp, query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ n: number }>(t.db.orm, query)
  return Number(row!.n)
}

export async function paymentEvents(t: TestApp, paymentId: string): Promise<Array<{ type: string; data: Record<string, unknown> }>> {
  const rows = await queryRows<{ type: string; data: unknown }>(t.db.orm, sql`select type, data from event_outbox where aggregate_type = 'payment' and aggregate_id = ${paymentId} order by seq`)
  return rows.map((r) => ({ type: r.type, data: (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown> }))
}
