/**
 * Payments for bookings: the traveller starts one on a held booking, the provider's webhooks (or reconciliation)
 * report what happened, and the booking is confirmed — or the hold released — accordingly.
 *
 * Guarantees:
 *  - every provider call carries a key derived from our ids (hold: the payment id; capture, void, refund: the
 *    payment or the triggering event), so any retry — ours, the SDK's, a redelivered event — moves money once;
 *  - provider calls happen outside database transactions; their answers are applied with `converge`, the same
 *    forward-only transition the webhooks use, so a call and its webhook may land in either order;
 *  - a webhook is applied in ONE transaction with its deduplication row: a duplicate changes nothing, and a
 *    failure rolls the row back so the provider's retry is applied;
 *  - confirming the booking happens after that commit; if it fails there, reconciliation finds the authorized
 *    payment of a still-held booking and confirms it. A payment for a booking that can no longer be confirmed
 *    (expired, cancelled, paid by another attempt) is released: hold voided, or refunded if already captured.
 */
import type { Deps } from '../../../deps.ts'
import type { AuthUser } from '../../../core/auth/principal.ts'
import { signTicket, ticketKeys } from '../../../core/auth/tickets.ts'
import { DomainError } from '../../../core/errors.ts'
import type {
  ClientAction,
  Money,
  PaymentProvider,
  ProviderName,
  ProviderPayment,
  WebhookEvent,
  WebhookRequest,
} from '../../../core/payments/provider.ts'
import type { PaymentRouter } from '../../../core/payments/router.ts'
import { CLOUDPAYMENTS_CODES, type CloudPaymentsCode } from '../../../core/payments/cloudpayments.ts'
import { uuidv7 } from '../../../events/envelope.ts'
import { bookingNotFound } from '../errors.ts'
import { findPayoutByProviderId, markPayoutFailed, markPayoutPaid } from '../../partner/ledger/payouts.ts'
import * as bookingRepo from '../repo.ts'
import { confirmBooking, type TicketClaims } from '../service.ts'
import * as repo from './repo.ts'
import type { PaymentRow } from './repo.ts'
import { applyRefund, converge, type Observation } from './transition.ts'

export type PaymentsDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'events' | 'logger' | 'payments'>

export interface PaymentView {
  id: string
  bookingId: string
  provider: ProviderName
  status: PaymentRow['status']
  amount: Money
  capturedAmount: number
  refundedAmount: number
  clientAction: ClientAction | null
  /** The signed ticket, once the payment confirmed the booking. */
  ticket: string | null
  failureReason: string | null
  captureAfter: string | null
  createdAt: string
}

export function paymentView(p: PaymentRow): PaymentView {
  return {
    id: p.id,
    bookingId: p.bookingId,
    provider: p.provider,
    status: p.status,
    amount: { amount: p.amount, currency: p.currency },
    capturedAmount: p.capturedAmount,
    refundedAmount: p.refundedAmount,
    clientAction: p.clientAction,
    ticket: p.ticket,
    failureReason: p.failureReason,
    captureAfter: p.captureAfter?.toISOString() ?? null,
    createdAt: p.createdAt.toISOString(),
  }
}

function routerOf(deps: Pick<Deps, 'payments'>): PaymentRouter {
  if (!deps.payments) throw new DomainError('unavailable', 'Payments are not configured')
  return deps.payments.router
}

function providerOf(deps: Pick<Deps, 'payments'>, name: ProviderName): PaymentProvider {
  const provider = routerOf(deps).get(name)
  if (!provider) throw new DomainError('unavailable', `The ${name} provider is not configured`)
  return provider
}

/** What the adapter calls this payment: its own id, or (CloudPayments before the first notification) our invoice. */
function providerRef(payment: PaymentRow): string | undefined {
  return payment.providerPaymentId ?? (payment.provider === 'cloudpayments' ? `invoice:${payment.id}` : undefined)
}

// ---------------------------------------------------------------------------------------------------- start

/**
 * Starts (or resumes) paying for a held booking of `principal`. A live attempt is answered as is (created: false);
 * one whose hold was never created (a crash, a concurrent start) creates it again with the same key, so the
 * provider returns the same hold. 404 for another traveller's booking, 409 for a booking no longer held.
 */
export async function startPayment(deps: PaymentsDeps, principal: AuthUser, bookingId: string): Promise<{ payment: PaymentView; created: boolean }> {
  const router = routerOf(deps)
  const now = deps.clock.now()
  const booking = await bookingRepo.findBooking(deps.db.orm, bookingId)
  if (!booking || booking.travellerId !== principal.id) throw bookingNotFound()
  let payment = await repo.findLivePayment(deps.db.orm, bookingId)
  if (payment && (payment.status === 'authorized' || payment.status === 'captured')) return { payment: paymentView(payment), created: false }
  if (booking.status !== 'held') throw new DomainError('conflict', `A ${booking.status} booking cannot be paid`)
  if (booking.expiresAt <= now) throw new DomainError('conflict', 'This hold has expired; hold the seats again')
  let created = false
  if (!payment) {
    const [first] = router.providersFor(booking.currency)
    if (!first) throw new DomainError('unprocessable', `No payment provider takes ${booking.currency}`)
    payment = await repo.insertPayment(deps.db.orm, { id: uuidv7(now.getTime()), bookingId, provider: first.name, amount: booking.totalAmount, currency: booking.currency, now })
    created = Boolean(payment)
    payment ??= await repo.findLivePayment(deps.db.orm, bookingId) // a concurrent start won the slot
    if (!payment) throw new DomainError('conflict', 'The payment changed meanwhile; try again')
  }
  if (payment.clientAction) return { payment: paymentView(payment), created }

  const base = (deps.config.PUBLIC_URL ?? `http://127.0.0.1:${deps.config.PORT}`).replace(/\/$/, '')
  let won
  try {
    won = await router.createHoldWithFailover({
      paymentId: payment.id,
      bookingId,
      amount: { amount: payment.amount, currency: payment.currency },
      description: `KamHub booking ${bookingId}`,
      customerEmail: booking.contact.email,
      returnUrl: `${base}/v1/bookings/${bookingId}`,
      idempotencyKey: payment.id,
    })
  } catch (error) {
    // Declined, or every provider down: this attempt is over (its slot frees up for a new one).
    const reason = error instanceof DomainError ? error.detail : 'the payment could not be started'
    await deps.db.orm.transaction(async (tx) => {
      const locked = (await repo.findPayment(tx, payment!.id, { lock: true }))!
      await converge(tx, deps, locked, { status: 'failed', failureReason: reason }, deps.clock.now())
    })
    deps.events.afterCommit()
    throw error
  }
  if (won.skipped.length) deps.logger.warn({ paymentId: payment.id, skipped: won.skipped, provider: won.provider }, 'payment providers down; failed over')
  const updated = await deps.db.orm.transaction(async (tx) => {
    const locked = (await repo.findPayment(tx, payment!.id, { lock: true }))!
    const withAction = await repo.updatePayment(tx, locked.id, { provider: won.provider, clientAction: won.hold.clientAction }, deps.clock.now())
    const { payment: converged } = await converge(
      tx,
      deps,
      withAction,
      {
        status: won.hold.status,
        providerPaymentId: won.hold.providerPaymentId,
        ...(won.hold.authorizationExpiresAt ? { authorizationExpiresAt: won.hold.authorizationExpiresAt } : {}),
      },
      deps.clock.now(),
    )
    return converged
  })
  deps.events.afterCommit()
  return { payment: paymentView(updated), created }
}

/** The booking's latest payment attempt, for its traveller (404 otherwise, or when there is none). */
export async function getPayment(deps: PaymentsDeps, principal: AuthUser, bookingId: string): Promise<PaymentView> {
  const booking = await bookingRepo.findBooking(deps.db.orm, bookingId)
  if (!booking || (booking.travellerId !== principal.id && principal.role !== 'admin')) throw bookingNotFound()
  const payment = await repo.findLatestPayment(deps.db.orm, bookingId)
  if (!payment) throw new DomainError('not_found', 'This booking has no payment yet')
  return paymentView(payment)
}

// ---------------------------------------------------------------------------------------------------- webhooks

export interface WebhookOutcome {
  eventId: string
  result: 'applied' | 'duplicate' | 'ignored' | 'checked'
  paymentId?: string
  /** CloudPayments Check: the answer code. */
  code?: CloudPaymentsCode
}

/**
 * Authenticates a provider notification and applies each event it carries. 401 (nothing changed) when the
 * provider cannot vouch for it; 404 when that provider is not configured here.
 */
export async function handleWebhook(deps: PaymentsDeps, providerName: ProviderName, request: WebhookRequest): Promise<WebhookOutcome[]> {
  const provider = routerOf(deps).get(providerName)
  if (!provider) throw new DomainError('not_found', `No ${providerName} provider is configured`)
  const events = await provider.verifyWebhook(request)
  const outcomes: WebhookOutcome[] = []
  for (const event of events) outcomes.push(await applyWebhookEvent(deps, event))
  return outcomes
}

async function locate(ex: Parameters<typeof repo.findPayment>[0], event: WebhookEvent, lock: boolean): Promise<PaymentRow | undefined> {
  let found = event.paymentId ? await repo.findPayment(ex, event.paymentId, { lock }) : undefined
  if (!found && event.providerPaymentId) {
    const byProvider = await repo.findByProviderId(ex, event.provider, event.providerPaymentId)
    found = byProvider && (lock ? await repo.findPayment(ex, byProvider.id, { lock }) : byProvider)
  }
  // A hold the router abandoned at another provider echoes our id too; it never speaks for this payment.
  return found && found.provider === event.provider ? found : undefined
}

export async function applyWebhookEvent(deps: PaymentsDeps, event: WebhookEvent): Promise<WebhookOutcome> {
  if (event.kind === 'payment.check') return { eventId: event.eventId, result: 'checked', code: await checkInvoice(deps, event) }
  if (event.kind === 'payout.succeeded' || event.kind === 'payout.failed') return applyPayoutEvent(deps, event)
  const now = deps.clock.now()
  const outcome = await deps.db.orm.transaction(async (tx): Promise<WebhookOutcome> => {
    const payment = await locate(tx, event, true)
    const fresh = await repo.recordWebhookEvent(tx, { provider: event.provider, eventId: event.eventId, kind: event.kind, paymentId: payment?.id ?? null, now })
    if (!fresh) return { eventId: event.eventId, result: 'duplicate' }
    if (!payment) return { eventId: event.eventId, result: 'ignored' }
    const id = { eventId: event.eventId, paymentId: payment.id }
    const learn: Observation = event.providerPaymentId && event.kind !== 'payment.refunded' ? { providerPaymentId: event.providerPaymentId } : {}
    switch (event.kind) {
      case 'payment.authorized':
        await converge(tx, deps, payment, { ...learn, status: 'authorized' }, now)
        return { ...id, result: 'applied' }
      case 'payment.captured':
        await converge(tx, deps, payment, { ...learn, status: 'captured', ...(event.amount ? { capturedAmount: event.amount.amount } : {}) }, now)
        return { ...id, result: 'applied' }
      case 'payment.failed':
        await converge(tx, deps, payment, { ...learn, status: 'failed', ...(event.failureReason ? { failureReason: event.failureReason } : {}) }, now)
        return { ...id, result: 'applied' }
      case 'payment.cancelled':
        await converge(tx, deps, payment, { ...learn, status: 'cancelled', ...(event.failureReason ? { failureReason: event.failureReason } : {}) }, now)
        return { ...id, result: 'applied' }
      case 'payment.refunded':
        await applyRefund(
          tx,
          payment,
          {
            ...(event.providerRefundId ? { providerRefundId: event.providerRefundId } : {}),
            ...(event.amount ? { amount: event.amount.amount } : {}),
            ...(event.refundedTotal ? { refundedTotal: event.refundedTotal.amount } : {}),
            fallbackId: `event:${event.eventId}`,
          },
          now,
        )
        return { ...id, result: 'applied' }
      default:
        return { ...id, result: 'ignored' }
    }
  })
  deps.events.afterCommit()
  if (outcome.paymentId && outcome.result === 'applied') {
    try {
      await settleAuthorized(deps, outcome.paymentId)
    } catch (error) {
      // Committed already; reconciliation confirms (or releases) it on a later run.
      deps.logger.warn({ err: error, paymentId: outcome.paymentId }, 'settling a payment after its webhook failed; reconciliation will retry')
    }
  }
  return outcome
}

/**
 * A payout the provider settled after answering "pending". Settling is a no-op once a payout is paid or failed, so a
 * redelivered notification changes nothing; the dedupe row is written after, as the record that it came.
 */
async function applyPayoutEvent(deps: PaymentsDeps, event: WebhookEvent): Promise<WebhookOutcome> {
  const payout = event.providerPayoutId ? await findPayoutByProviderId(deps.db.orm, event.provider, event.providerPayoutId) : undefined
  const at = deps.clock.now()
  if (payout) {
    const input = { payoutId: payout.id, providerPayoutId: event.providerPayoutId!, at }
    if (event.kind === 'payout.succeeded') await markPayoutPaid(deps.db, input)
    else await markPayoutFailed(deps.db, { ...input, reason: event.failureReason ?? 'the provider reported the payout failed' })
    deps.events.afterCommit()
  }
  const fresh = await repo.recordWebhookEvent(deps.db.orm, { provider: event.provider, eventId: event.eventId, kind: event.kind, paymentId: null, now: at })
  return { eventId: event.eventId, result: !fresh ? 'duplicate' : payout ? 'applied' : 'ignored' }
}

/** CloudPayments asks before charging: is this invoice ours, still payable, and for this amount? */
async function checkInvoice(deps: PaymentsDeps, event: WebhookEvent): Promise<CloudPaymentsCode> {
  const payment = event.paymentId ? await repo.findPayment(deps.db.orm, event.paymentId) : undefined
  if (!payment || payment.provider !== event.provider) return CLOUDPAYMENTS_CODES.invalidInvoice
  const booking = await bookingRepo.findBooking(deps.db.orm, payment.bookingId)
  const live = payment.status === 'pending' || payment.status === 'requires_action'
  if (!booking || booking.status !== 'held' || booking.expiresAt <= deps.clock.now() || !live) return CLOUDPAYMENTS_CODES.expired
  if (!event.amount || event.amount.amount !== payment.amount || event.amount.currency !== payment.currency) return CLOUDPAYMENTS_CODES.wrongAmount
  return CLOUDPAYMENTS_CODES.accepted
}

// ---------------------------------------------------------------------------------------------------- settle

async function ticketSigner(deps: PaymentsDeps): Promise<(claims: TicketClaims) => Promise<string>> {
  const keys = await ticketKeys(deps.config)
  return (claims) =>
    signTicket(
      keys,
      { bookingId: claims.bookingId, code: claims.confirmationCode, departureId: claims.departureId, startsAt: new Date(claims.startsAt), seats: claims.seats },
      deps.clock.now(),
    )
}

/**
 * Money is secured (authorized or captured): confirm the held booking with a signed ticket and apply the capture
 * policy; if the booking can no longer be confirmed, release the money instead. Safe to call any number of times.
 */
export async function settleAuthorized(deps: PaymentsDeps, paymentId: string): Promise<void> {
  const payment = await repo.findPayment(deps.db.orm, paymentId)
  if (!payment || (payment.status !== 'authorized' && payment.status !== 'captured')) return
  const booking = await bookingRepo.findBooking(deps.db.orm, payment.bookingId)
  if (booking?.status === 'confirmed' || booking?.status === 'completed') {
    if (booking.paymentId === payment.id) return
  } else if (booking?.status === 'held') {
    let confirmed
    try {
      confirmed = await confirmBooking(deps, booking.id, { paymentId: payment.id, signTicket: await ticketSigner(deps) })
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'conflict')) throw error
    }
    if (confirmed) {
      await applyCapturePolicy(deps, payment, new Date(confirmed.booking.departure.startsAt), confirmed.ticket)
      return
    }
  }
  await releasePayment(deps, paymentId, 'the booking could not be confirmed')
}

/**
 * Capture now when the departure is within PAYMENT_CAPTURE_LEAD_DAYS (a card hold lasts about 7 days), else set
 * capture_after for capturePayments. capture_after is written first, so a capture that fails here is retried.
 */
async function applyCapturePolicy(deps: PaymentsDeps, payment: PaymentRow, startsAt: Date, ticket: string | null): Promise<void> {
  const now = deps.clock.now()
  const captureAt = new Date(startsAt.getTime() - deps.config.PAYMENT_CAPTURE_LEAD_DAYS * 86_400_000)
  await deps.db.orm.transaction(async (tx) => {
    const locked = (await repo.findPayment(tx, payment.id, { lock: true }))!
    await repo.updatePayment(tx, locked.id, { ...(ticket ? { ticket } : {}), ...(locked.status === 'authorized' ? { captureAfter: captureAt } : {}) }, now)
  })
  if (payment.status === 'authorized' && captureAt <= now) {
    try {
      await capturePayment(deps, payment.id, payment.amount, `capture:${payment.id}`)
    } catch (error) {
      deps.logger.warn({ err: error, paymentId: payment.id }, 'capture at confirmation failed; the capture step will retry')
    }
  }
}

/** Applies what the provider answered (or, when the call was refused as out of date, what it now says). */
async function observe(deps: PaymentsDeps, paymentId: string, result: ProviderPayment): Promise<PaymentRow> {
  const now = deps.clock.now()
  const updated = await deps.db.orm.transaction(async (tx) => {
    const locked = (await repo.findPayment(tx, paymentId, { lock: true }))!
    const { payment } = await converge(
      tx,
      deps,
      locked,
      {
        status: result.status,
        providerPaymentId: result.providerPaymentId,
        ...(result.capturedAmount ? { capturedAmount: result.capturedAmount } : {}),
        ...(result.authorizationExpiresAt ? { authorizationExpiresAt: result.authorizationExpiresAt } : {}),
        ...(result.failureReason ? { failureReason: result.failureReason } : {}),
      },
      now,
    )
    if (result.refundedAmount > payment.refundedAmount) {
      await applyRefund(tx, payment, { refundedTotal: result.refundedAmount, fallbackId: `observed:${payment.id}:${result.refundedAmount}` }, now)
    }
    return (await repo.findPayment(tx, paymentId))!
  })
  deps.events.afterCommit()
  return updated
}

/** Runs a provider call; a refusal because the payment moved on (conflict) is answered by fetching it back. */
async function callOrRetrieve(provider: PaymentProvider, ref: string, call: () => Promise<ProviderPayment>): Promise<ProviderPayment> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof DomainError && (error.code === 'conflict' || error.code === 'payment_failed')) return provider.retrieve(ref)
    throw error
  }
}

export async function capturePayment(deps: PaymentsDeps, paymentId: string, amount: number, idempotencyKey: string): Promise<PaymentRow> {
  const payment = (await repo.findPayment(deps.db.orm, paymentId))!
  const provider = providerOf(deps, payment.provider)
  const ref = providerRef(payment)!
  const result = await callOrRetrieve(provider, ref, () => provider.capture(ref, { amount, currency: payment.currency }, idempotencyKey))
  return observe(deps, paymentId, { ...result, capturedAmount: result.capturedAmount || (result.status === 'captured' ? amount : 0) })
}

/** Voids an uncaptured hold (nothing to call when the provider never heard of it). */
export async function voidPayment(deps: PaymentsDeps, paymentId: string, reason: string): Promise<PaymentRow> {
  const payment = (await repo.findPayment(deps.db.orm, paymentId))!
  const ref = providerRef(payment)
  if (!ref) {
    return deps.db.orm.transaction(async (tx) => {
      const locked = (await repo.findPayment(tx, paymentId, { lock: true }))!
      return (await converge(tx, deps, locked, { status: 'cancelled', failureReason: reason }, deps.clock.now())).payment
    })
  }
  const provider = providerOf(deps, payment.provider)
  let result: ProviderPayment
  try {
    result = await callOrRetrieve(provider, ref, () => provider.cancel(ref, `void:${payment.id}`))
  } catch (error) {
    // CloudPayments before the widget ran: no transaction exists, so there is nothing to void.
    if (!(error instanceof DomainError && error.code === 'not_found')) throw error
    result = { providerPaymentId: ref, status: 'cancelled', amount: { amount: payment.amount, currency: payment.currency }, capturedAmount: 0, refundedAmount: 0 }
  }
  return observe(deps, paymentId, { ...result, ...(result.status === 'cancelled' ? { failureReason: reason } : {}) })
}

/** Refunds `amount` of a captured payment; `idempotencyKey` comes from what caused it (an event id). */
export async function refundPayment(deps: PaymentsDeps, paymentId: string, amount: number, idempotencyKey: string, reason: string): Promise<number> {
  const payment = (await repo.findPayment(deps.db.orm, paymentId))!
  const provider = providerOf(deps, payment.provider)
  const result = await provider.refund(providerRef(payment)!, { amount, currency: payment.currency }, idempotencyKey)
  if (result.status === 'failed') throw new DomainError('payment_failed', 'The provider refused the refund')
  const now = deps.clock.now()
  const recorded = await deps.db.orm.transaction(async (tx) => {
    const locked = (await repo.findPayment(tx, paymentId, { lock: true }))!
    return applyRefund(tx, locked, { providerRefundId: result.providerRefundId, amount, reason, fallbackId: `refund:${idempotencyKey}` }, now)
  })
  deps.events.afterCommit()
  return recorded
}

/** Gives the money back, whatever state it is in: void a hold, refund what is left of a capture. */
export async function releasePayment(deps: PaymentsDeps, paymentId: string, reason: string, idempotencyKey = `release:${paymentId}`): Promise<void> {
  const payment = await repo.findPayment(deps.db.orm, paymentId)
  if (!payment) return
  if (payment.status === 'pending' || payment.status === 'requires_action' || payment.status === 'authorized') {
    await voidPayment(deps, paymentId, reason)
  } else if (payment.status === 'captured') {
    const left = payment.capturedAmount - payment.refundedAmount
    if (left > 0) await refundPayment(deps, paymentId, left, idempotencyKey, reason)
  }
}

// ---------------------------------------------------------------------------------------------------- cancellations

/** A held booking ended (expired, or cancelled before payment): every attempt on it is released. */
export async function releaseBookingPayments(deps: PaymentsDeps, bookingId: string, eventId: string, reason: string): Promise<number> {
  let released = 0
  for (const payment of await repo.paymentsOfBooking(deps.db.orm, bookingId)) {
    if (payment.status === 'failed' || payment.status === 'cancelled') continue
    await releasePayment(deps, payment.id, reason, `release:${eventId}:${payment.id}`)
    released++
  }
  return released
}

/**
 * A confirmed booking was cancelled with `refund` to return: refund it from a captured payment; from an
 * uncaptured hold, capture only what the policy keeps (the rest is released) or void it when nothing is kept.
 */
export async function refundCancelledBooking(deps: PaymentsDeps, input: { bookingId: string; paymentId?: string; refund: Money; eventId: string }): Promise<void> {
  const payment =
    (input.paymentId ? await repo.findPayment(deps.db.orm, input.paymentId) : undefined) ?? (await repo.findLivePayment(deps.db.orm, input.bookingId))
  if (!payment || payment.bookingId !== input.bookingId) return
  if (payment.status === 'captured') {
    const amount = Math.min(input.refund.amount, payment.capturedAmount - payment.refundedAmount)
    if (amount > 0) await refundPayment(deps, payment.id, amount, `refund:${input.eventId}`, 'booking_cancelled')
    return
  }
  if (payment.status === 'authorized') {
    const kept = payment.amount - Math.min(input.refund.amount, payment.amount)
    if (kept > 0) await capturePayment(deps, payment.id, kept, `capture-kept:${input.eventId}`)
    else await voidPayment(deps, payment.id, 'booking_cancelled')
    return
  }
  if (payment.status === 'pending' || payment.status === 'requires_action') await voidPayment(deps, payment.id, 'booking_cancelled')
}

// ---------------------------------------------------------------------------------------------------- maintenance

/** Captures authorized payments of live bookings whose capture date has come. Answers how many were captured. */
export async function capturePayments(deps: PaymentsDeps, now: Date, { limit = 100 } = {}): Promise<number> {
  if (!deps.payments) return 0
  let captured = 0
  for (const payment of await repo.dueCaptures(deps.db.orm, now, limit)) {
    try {
      const after = await capturePayment(deps, payment.id, payment.amount, `capture:${payment.id}`)
      if (after.status === 'captured') captured++
    } catch (error) {
      deps.logger.warn({ err: error, paymentId: payment.id }, 'scheduled capture failed; retrying next run')
    }
  }
  return captured
}

/**
 * Payments pending or authorized for longer than PAYMENT_RECONCILE_AFTER_MINUTES are fetched back from their
 * provider and converged (a webhook that never came); an authorized one is then settled like a webhook would.
 */
export async function reconcilePayments(deps: PaymentsDeps, now: Date, { limit = 100 } = {}): Promise<number> {
  if (!deps.payments) return 0
  const olderThan = new Date(now.getTime() - deps.config.PAYMENT_RECONCILE_AFTER_MINUTES * 60_000)
  if (!(await repo.anyStalePayment(deps.db.orm, olderThan))) return 0
  const stale = await deps.db.orm.transaction((tx) => repo.claimStalePayments(tx, now, olderThan, limit))
  let changed = 0
  for (const payment of stale) {
    const ref = providerRef(payment)
    if (!ref || !payment.clientAction) continue // the hold was never created: nothing to ask about
    try {
      const provider = providerOf(deps, payment.provider)
      const after = await observe(deps, payment.id, await provider.retrieve(ref))
      if (after.status !== payment.status) changed++
      await settleAuthorized(deps, payment.id)
    } catch (error) {
      deps.logger.warn({ err: error, paymentId: payment.id }, 'reconciling a payment failed; retrying later')
    }
  }
  return changed
}
