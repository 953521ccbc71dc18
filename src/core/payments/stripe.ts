/**
 * The PaymentProvider port on Stripe, through the official SDK with its fetch HTTP client and SubtleCrypto, so the
 * same file runs on Node, Deno and Workers. A hold is a PaymentIntent with `capture_method: manual`; the traveller's
 * app confirms it with the client secret; we capture or cancel it later. Operators are paid with Connect transfers.
 *
 * Guarantees: every mutating call carries the caller's idempotency key as the SDK's `idempotencyKey` (Stripe's
 * `Idempotency-Key`), so the SDK's own network retries and ours never charge twice; webhooks are trusted only with a
 * valid `Stripe-Signature` no older than 300 s; Stripe errors become DomainErrors without provider text that could
 * carry a key (declines → payment_failed, 5xx/429/network → unavailable, the router's failover signal).
 */
import Stripe from 'stripe'
import { DomainError } from '../errors.ts'
import type {
  HoldCreated,
  Money,
  PaymentProvider,
  PayoutInput,
  PayoutResult,
  ProviderPayment,
  ProviderPaymentStatus,
  RefundResult,
  WebhookEvent,
  WebhookRequest,
} from './provider.ts'

export interface StripeProviderOptions {
  /** STRIPE_SECRET_KEY (sk_…). */
  secretKey: string
  /** STRIPE_WEBHOOK_SECRET (whsec_…). */
  webhookSecret: string
  /**
   * Further endpoint secrets accepted by verifyWebhook: the Connect endpoint's (payout.* and account events are
   * sent there, signed with its own secret) and an old secret during a rotation (STRIPE_CONNECT_WEBHOOK_SECRET).
   */
  additionalWebhookSecrets?: string[]
  /** STRIPE_PUBLISHABLE_KEY (pk_…), handed to the app with the client secret. */
  publishableKey?: string
  /** Point the SDK at a local fake (STRIPE_API_HOST / _PORT / _PROTOCOL); default api.stripe.com over https. */
  host?: string
  port?: number | string
  protocol?: 'http' | 'https'
  fetch?: typeof fetch
  /** SDK retries on connection errors, 409 and 5xx, reusing the idempotency key (STRIPE_MAX_NETWORK_RETRIES). */
  maxNetworkRetries?: number
  /** Per-request timeout (STRIPE_TIMEOUT_MS). */
  timeoutMs?: number
  /** Currencies this account settles; default: all but RUB (Stripe does not process RUB). */
  currencies?: string[]
  /** Webhook timestamp tolerance in seconds (stale events are refused). */
  webhookToleranceSeconds?: number
}

const PI_STATUS: Record<string, ProviderPaymentStatus> = {
  requires_payment_method: 'pending',
  requires_confirmation: 'pending',
  processing: 'pending',
  requires_action: 'requires_action',
  requires_capture: 'authorized',
  succeeded: 'captured',
  canceled: 'cancelled',
}

export function stripeProvider(options: StripeProviderOptions): PaymentProvider {
  const {
    secretKey,
    webhookSecret,
    publishableKey,
    maxNetworkRetries = 2,
    timeoutMs = 20_000,
    webhookToleranceSeconds = 300,
  } = options
  const stripe = new Stripe(secretKey, {
    httpClient: Stripe.createFetchHttpClient(options.fetch),
    maxNetworkRetries,
    timeout: timeoutMs,
    telemetry: false,
    ...(options.host ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.protocol ? { protocol: options.protocol } : {}),
  })
  const cryptoProvider = Stripe.createSubtleCryptoProvider()
  const webhookSecrets = [webhookSecret, ...(options.additionalWebhookSecrets ?? [])]
  const currencies = options.currencies?.map((c) => c.toUpperCase())

  async function call<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      throw stripeError(error)
    }
  }

  return {
    name: 'stripe',

    supports(currency) {
      const code = currency.toUpperCase()
      return currencies ? currencies.includes(code) : code !== 'RUB'
    },

    async createHold(input): Promise<HoldCreated> {
      const pi = await call(() =>
        stripe.paymentIntents.create(
          {
            amount: input.amount.amount,
            currency: input.amount.currency.toLowerCase(),
            capture_method: 'manual',
            description: input.description,
            ...(input.customerEmail ? { receipt_email: input.customerEmail } : {}),
            metadata: { paymentId: input.paymentId, bookingId: input.bookingId },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      )
      if (!pi.client_secret) throw new DomainError('internal', 'Stripe returned a PaymentIntent without a client secret')
      return {
        providerPaymentId: pi.id,
        status: piStatus(pi.status),
        clientAction: {
          type: 'stripe_payment_intent',
          clientSecret: pi.client_secret,
          ...(publishableKey ? { publishableKey } : {}),
        },
      }
    },

    async capture(providerPaymentId, amount, idempotencyKey) {
      const pi = await call(() =>
        stripe.paymentIntents.capture(
          providerPaymentId,
          { amount_to_capture: amount.amount, expand: ['latest_charge'] },
          { idempotencyKey },
        ),
      )
      return toProviderPayment(pi)
    },

    async cancel(providerPaymentId, idempotencyKey) {
      const pi = await call(() =>
        stripe.paymentIntents.cancel(providerPaymentId, { expand: ['latest_charge'] }, { idempotencyKey }),
      )
      return toProviderPayment(pi)
    },

    async refund(providerPaymentId, amount: Money, idempotencyKey): Promise<RefundResult> {
      const refund = await call(() =>
        stripe.refunds.create({ payment_intent: providerPaymentId, amount: amount.amount }, { idempotencyKey }),
      )
      return { providerRefundId: refund.id, status: refundStatus(refund.status) }
    },

    async retrieve(providerPaymentId) {
      const pi = await call(() => stripe.paymentIntents.retrieve(providerPaymentId, { expand: ['latest_charge'] }))
      return toProviderPayment(pi)
    },

    async payout(input: PayoutInput): Promise<PayoutResult> {
      if (input.destination.type !== 'stripe_account') {
        throw new DomainError('invalid', `Stripe pays out to a connected account, not to ${input.destination.type}`)
      }
      const accountId = input.destination.accountId
      const transfer = await call(() =>
        stripe.transfers.create(
          {
            amount: input.amount.amount,
            currency: input.amount.currency.toLowerCase(),
            destination: accountId,
            description: input.description,
            transfer_group: input.payoutId,
            metadata: { payoutId: input.payoutId },
          },
          { idempotencyKey: input.idempotencyKey },
        ),
      )
      // A transfer moves the funds into the connected balance at once; a reversal arrives as a webhook.
      return { providerPayoutId: transfer.id, status: transfer.reversed ? 'failed' : 'succeeded' }
    },

    async verifyWebhook(request: WebhookRequest): Promise<WebhookEvent[]> {
      const signature = request.headers.get('stripe-signature')
      if (!signature) throw new DomainError('unauthorized', 'Missing Stripe-Signature header')
      for (const secret of webhookSecrets) {
        try {
          const event = await stripe.webhooks.constructEventAsync(
            request.rawBody,
            signature,
            secret,
            webhookToleranceSeconds,
            cryptoProvider,
          )
          return [toWebhookEvent(event)]
        } catch {
          // Try the next endpoint secret. The SDK's message (which check failed) is not passed on: the signature
          // header and the secrets stay out of our errors.
        }
      }
      throw new DomainError('unauthorized', 'Stripe webhook signature is invalid or too old')
    },
  }
}

/** An unknown future status counts as pending: it never moves a payment forward by accident. */
function piStatus(status: string): ProviderPaymentStatus {
  return PI_STATUS[status] ?? 'pending'
}

function toProviderPayment(pi: Stripe.PaymentIntent): ProviderPayment {
  const charge = typeof pi.latest_charge === 'object' && pi.latest_charge ? pi.latest_charge : undefined
  const captureBefore = charge?.payment_method_details?.card?.capture_before
  const failure = pi.last_payment_error
  const status = piStatus(pi.status)
  return {
    providerPaymentId: pi.id,
    status,
    amount: { amount: pi.amount, currency: pi.currency.toUpperCase() },
    capturedAmount: pi.amount_received ?? 0,
    refundedAmount: charge?.amount_refunded ?? 0,
    ...(captureBefore && status === 'authorized' ? { authorizationExpiresAt: new Date(captureBefore * 1000) } : {}),
    ...(failure ? { failureReason: failure.decline_code ?? failure.code ?? failure.type } : {}),
    ...(!failure && pi.cancellation_reason ? { failureReason: pi.cancellation_reason } : {}),
  }
}

function refundStatus(status: string | null): RefundResult['status'] {
  if (status === 'succeeded') return 'succeeded'
  if (status === 'failed' || status === 'canceled') return 'failed'
  return 'pending'
}

function toWebhookEvent(event: Stripe.Event): WebhookEvent {
  const base = { provider: 'stripe' as const, eventId: event.id, occurredAt: new Date(event.created * 1000) }
  const object = event.data.object as unknown as Record<string, unknown>
  const money = (amount: unknown, currency: unknown): Money | undefined =>
    typeof amount === 'number' && typeof currency === 'string' ? { amount, currency: currency.toUpperCase() } : undefined
  const metadataPaymentId = (object.metadata as Record<string, string> | undefined)?.paymentId
  const fromIntent = (kind: WebhookEvent['kind'], amount: unknown): WebhookEvent => {
    const pi = event.data.object as Stripe.PaymentIntent
    const failure = pi.last_payment_error
    return {
      ...base,
      kind,
      providerPaymentId: pi.id,
      ...(metadataPaymentId ? { paymentId: metadataPaymentId } : {}),
      ...(money(amount, pi.currency) ? { amount: money(amount, pi.currency)! } : {}),
      ...(failure ? { failureReason: failure.decline_code ?? failure.code ?? failure.type } : {}),
      ...(kind === 'payment.cancelled' && pi.cancellation_reason ? { failureReason: pi.cancellation_reason } : {}),
    }
  }

  switch (event.type) {
    case 'payment_intent.amount_capturable_updated':
      return fromIntent('payment.authorized', event.data.object.amount_capturable)
    case 'payment_intent.succeeded':
      return fromIntent('payment.captured', event.data.object.amount_received)
    case 'payment_intent.payment_failed':
      return fromIntent('payment.failed', event.data.object.amount)
    case 'payment_intent.canceled':
      return fromIntent('payment.cancelled', event.data.object.amount)
    case 'charge.refunded': {
      const charge = event.data.object
      const paymentIntent = typeof charge.payment_intent === 'string' ? charge.payment_intent : charge.payment_intent?.id
      const total = money(charge.amount_refunded, charge.currency)
      const latestRefund = charge.refunds?.data?.[0]?.id
      return {
        ...base,
        kind: 'payment.refunded',
        ...(paymentIntent ? { providerPaymentId: paymentIntent } : {}),
        ...(metadataPaymentId ? { paymentId: metadataPaymentId } : {}),
        ...(latestRefund ? { providerRefundId: latestRefund } : {}),
        // Stripe reports the charge's cumulative refunded amount, not this refund's.
        ...(total ? { amount: total, refundedTotal: total } : {}),
      }
    }
    case 'transfer.created':
    case 'payout.paid': {
      const payout = event.data.object
      return { ...base, kind: 'payout.succeeded', providerPayoutId: payout.id, amount: money(payout.amount, payout.currency)! }
    }
    case 'transfer.reversed':
    case 'payout.failed': {
      const payout = event.data.object
      const reason = 'failure_code' in payout && payout.failure_code ? payout.failure_code : undefined
      return {
        ...base,
        kind: 'payout.failed',
        providerPayoutId: payout.id,
        amount: money(payout.amount, payout.currency)!,
        ...(reason ? { failureReason: reason } : { failureReason: event.type }),
      }
    }
    default:
      return { ...base, kind: 'ignored' }
  }
}

/** Maps whatever the SDK threw to the vocabulary; never copies a provider message that could echo a credential. */
export function stripeError(error: unknown): DomainError {
  if (error instanceof DomainError) return error
  const e = error as { type?: string; code?: string; decline_code?: string; statusCode?: number; message?: string }
  switch (e?.type) {
    case 'StripeCardError':
      return new DomainError('payment_failed', `Card declined (${e.decline_code ?? e.code ?? 'card_declined'})`)
    case 'StripeConnectionError':
    case 'StripeAPIError':
    case 'StripeRateLimitError':
      return new DomainError('unavailable', 'Stripe is unavailable')
    case 'StripeIdempotencyError':
      return new DomainError('conflict', 'The idempotency key was already used with different parameters')
    case 'StripeAuthenticationError':
    case 'StripePermissionError':
      return new DomainError('internal', 'Stripe rejected the configured credentials')
    case 'StripeInvalidRequestError':
      if (e.statusCode === 404) return new DomainError('not_found', 'Stripe does not know this object')
      if (e.code === 'payment_intent_unexpected_state') {
        return new DomainError('conflict', 'The payment is not in a state that allows this')
      }
      return new DomainError('unprocessable', `Stripe refused the request (${e.code ?? 'invalid_request'})`)
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 500) return new DomainError('unavailable', 'Stripe is unavailable')
  return new DomainError('internal', 'Unexpected Stripe error')
}
