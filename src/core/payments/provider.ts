/**
 * The PaymentProvider port: what the booking pillar needs from a card processor, whichever it is. Adapters
 * (stripe.ts, cloudpayments.ts, yookassa.ts, sandbox.ts) speak each provider's protocol over fetch so they run on
 * Workers too. Amounts are always integer minor units; adapters convert to the provider's format at the edge.
 *
 * Guarantees every adapter keeps: creating, capturing, cancelling, refunding and paying out send the caller's
 * idempotency key in the provider's own header (a retried call never charges twice); verifyWebhook trusts nothing
 * it has not authenticated (signature, or source address plus a fetch-back) and throws DomainError('unauthorized')
 * otherwise; secrets never appear in errors.
 */

export type ProviderName = 'stripe' | 'cloudpayments' | 'yookassa' | 'sandbox'

/** Integer minor units of an ISO 4217 currency (RUB kopecks, USD cents, JPY yen). */
export interface Money {
  amount: number
  currency: string
}

/**
 * The provider-neutral life of a payment. Forward-only order: pending → requires_action → authorized → captured;
 * cancelled and failed are terminal for an uncaptured payment; refunds are tracked as amounts, not a status.
 */
export type ProviderPaymentStatus = 'pending' | 'requires_action' | 'authorized' | 'captured' | 'cancelled' | 'failed'

export interface CreateHoldInput {
  /** Our payment id; echoed back by the provider (metadata, InvoiceId) so webhooks find their payment. */
  paymentId: string
  bookingId: string
  amount: Money
  description: string
  customerEmail?: string
  /** Where a redirecting provider (YooKassa) sends the traveller back. */
  returnUrl?: string
  idempotencyKey: string
}

/** What the app needs to let the traveller pay. */
export type ClientAction =
  | { type: 'stripe_payment_intent'; clientSecret: string; publishableKey?: string }
  | { type: 'redirect'; url: string }
  | {
      type: 'cloudpayments_widget'
      publicId: string
      invoiceId: string
      /** Major units with two decimals, as the widget takes it. */
      amount: string
      currency: string
      description: string
      accountId?: string
    }
  | { type: 'sandbox'; confirmUrl: string }

export interface HoldCreated {
  providerPaymentId: string
  status: ProviderPaymentStatus
  clientAction: ClientAction
  /** When the provider releases an uncaptured hold on its own. */
  authorizationExpiresAt?: Date
}

export interface ProviderPayment {
  providerPaymentId: string
  status: ProviderPaymentStatus
  amount: Money
  capturedAmount: number
  refundedAmount: number
  authorizationExpiresAt?: Date
  failureReason?: string
}

export interface RefundResult {
  providerRefundId: string
  status: 'pending' | 'succeeded' | 'failed'
}

export type PayoutDestination =
  | { type: 'stripe_account'; accountId: string }
  | { type: 'card_token'; token: string }
  | { type: 'yoomoney'; accountNumber: string }
  | { type: 'bank_card_yookassa'; cardSynonym: string }

export interface PayoutInput {
  payoutId: string
  amount: Money
  destination: PayoutDestination
  description: string
  idempotencyKey: string
}

export interface PayoutResult {
  providerPayoutId: string
  status: 'pending' | 'succeeded' | 'failed'
  failureReason?: string
}

/** A webhook as the route received it: the raw body is what signatures are computed over. */
export interface WebhookRequest {
  rawBody: string
  headers: Headers
  /** The caller's address from the trusted proxy header (YooKassa is authenticated by it). */
  sourceIp?: string
  /** CloudPayments posts each notification type to its own path: check, pay, fail, confirm, refund, cancel. */
  kind?: string
}

export type WebhookEventKind =
  | 'payment.check'
  | 'payment.authorized'
  | 'payment.captured'
  | 'payment.failed'
  | 'payment.cancelled'
  | 'payment.refunded'
  | 'payout.succeeded'
  | 'payout.failed'
  | 'ignored'

/** A verified provider notification, normalised. */
export interface WebhookEvent {
  provider: ProviderName
  /** The provider's own event id (or one derived from the notification) — the deduplication key. */
  eventId: string
  kind: WebhookEventKind
  providerPaymentId?: string
  /** Our payment id when the provider echoes it (metadata, InvoiceId). */
  paymentId?: string
  providerRefundId?: string
  providerPayoutId?: string
  /**
   * payment.refunded: `amount` is what this notification refunded, except where the provider only reports a
   * running total (Stripe's charge.refunded). `refundedTotal`, when present, is the payment's cumulative refunded
   * amount after this event: keep the maximum seen rather than adding it up, and webhooks may arrive in any order.
   */
  refundedTotal?: Money
  amount?: Money
  occurredAt: Date
  failureReason?: string
}

export interface PaymentProvider {
  readonly name: ProviderName
  supports(currency: string): boolean
  createHold(input: CreateHoldInput): Promise<HoldCreated>
  /** Captures `amount` (≤ the authorized amount; a smaller amount releases the rest). */
  capture(providerPaymentId: string, amount: Money, idempotencyKey: string): Promise<ProviderPayment>
  /** Releases an uncaptured hold. */
  cancel(providerPaymentId: string, idempotencyKey: string): Promise<ProviderPayment>
  refund(providerPaymentId: string, amount: Money, idempotencyKey: string): Promise<RefundResult>
  /** The provider's current view of a payment: reconciliation and webhook fetch-back. */
  retrieve(providerPaymentId: string): Promise<ProviderPayment>
  payout?(input: PayoutInput): Promise<PayoutResult>
  /** Authenticates and normalises a notification; throws DomainError('unauthorized') when it cannot be trusted. */
  verifyWebhook(request: WebhookRequest): Promise<WebhookEvent[]>
}
