/**
 * A payment provider that lives in memory, for the embedded default (`npm start` with no provider credentials).
 * It walks the same states as the real ones — a hold is pending until the sandbox page calls `approve` or
 * `decline`, then authorized or failed; capture, cancel and refund move it on — and after each change it POSTs a
 * signed webhook to `callbackUrl`, so the webhook route, deduplication and booking glue run exactly as in
 * production. The signature mirrors Stripe's: `Sandbox-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>`,
 * accepted within 300 s.
 *
 * Dev only: it holds money that does not exist. The config layer must refuse it in production
 * (`SANDBOX_IS_DEV_ONLY`). State is per process and lost on restart.
 */
import { DomainError } from '../errors.ts'
import { fromHex, hmacSha256, toHex, verifyHmacSha256 } from './crypto.ts'
import type { FetchLike } from './http.ts'
import { currencyExponent } from './money.ts'
import type {
  CreateHoldInput,
  HoldCreated,
  Money,
  PaymentProvider,
  PayoutInput,
  PayoutResult,
  ProviderPayment,
  RefundResult,
  WebhookEvent,
  WebhookEventKind,
  WebhookRequest,
} from './provider.ts'

/** For the config layer: production mode must not build this provider. */
export const SANDBOX_IS_DEV_ONLY = true

export const SANDBOX_SIGNATURE_HEADER = 'Sandbox-Signature'

export interface SandboxProviderOptions {
  /** PAYMENTS_SANDBOX_SECRET: signs the webhooks it sends to itself. */
  signingSecret: string
  /** Where webhooks go, e.g. `http://localhost:3000/webhooks/sandbox` (PAYMENTS_SANDBOX_CALLBACK_URL). */
  callbackUrl: string
  /** The page the app opens to approve or decline; default `/sandbox/payments/<id>`. */
  confirmUrl?: (providerPaymentId: string) => string
  fetch?: FetchLike
  clock?: () => Date
  toleranceSeconds?: number
  /** Longest wait for the callback to answer one webhook. */
  deliveryTimeoutMs?: number
  /** A webhook that could not be delivered (the sandbox does not retry). */
  onDeliveryError?: (error: Error, event: SandboxWebhookBody) => void
}

export interface SandboxWebhookBody {
  id: string
  type: Exclude<WebhookEventKind, 'ignored' | 'payment.check'>
  created: number
  data: {
    providerPaymentId?: string
    paymentId?: string
    providerRefundId?: string
    providerPayoutId?: string
    amount: number
    currency: string
    refundedTotal?: number
    failureReason?: string
  }
}

export interface SandboxDelivery {
  event: SandboxWebhookBody
  status?: number
  error?: string
}

export interface SandboxProvider extends PaymentProvider {
  readonly name: 'sandbox'
  /** The traveller approved on the sandbox page: pending → authorized. */
  approve(providerPaymentId: string): Promise<ProviderPayment>
  /** The traveller declined (or the sandbox card failed): pending → failed. */
  decline(providerPaymentId: string, reason?: string): Promise<ProviderPayment>
  /** Resolves when every webhook dispatched so far has been answered or has failed. */
  idle(): Promise<void>
  readonly deliveries: readonly SandboxDelivery[]
}

interface SandboxPayment extends ProviderPayment {
  paymentId: string
  bookingId: string
}

/** `t=<unix>,v1=<hex>` over `${t}.${rawBody}`. Exported for tests and tools that post to the route by hand. */
export async function signSandboxWebhook(secret: string, rawBody: string, timestamp: number): Promise<string> {
  return `t=${timestamp},v1=${toHex(await hmacSha256(secret, `${timestamp}.${rawBody}`))}`
}

export function sandboxProvider(options: SandboxProviderOptions): SandboxProvider {
  const {
    signingSecret,
    callbackUrl,
    confirmUrl = (id) => `/sandbox/payments/${encodeURIComponent(id)}`,
    clock = () => new Date(),
    toleranceSeconds = 300,
    deliveryTimeoutMs = 10_000,
    onDeliveryError,
  } = options
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init))
  const payments = new Map<string, SandboxPayment>()
  const remembered = new Map<string, unknown>()
  let queue: Promise<void> = Promise.resolve()
  const deliveries: SandboxDelivery[] = []

  /** Runs `operation` once per idempotency key; a replay gets the first result (or the first error). */
  async function once<T>(scope: string, key: string, operation: () => T | Promise<T>): Promise<T> {
    const slot = `${scope}:${key}`
    if (!remembered.has(slot)) remembered.set(slot, Promise.resolve().then(operation))
    return (await remembered.get(slot)) as T
  }

  function find(id: string): SandboxPayment {
    const payment = payments.get(id)
    if (!payment) throw new DomainError('not_found', 'The sandbox has no such payment')
    return payment
  }

  function view(payment: SandboxPayment): ProviderPayment {
    const { paymentId: _p, bookingId: _b, ...rest } = payment
    return { ...rest, amount: { ...rest.amount } }
  }

  /**
   * Fire and forget for the caller; deliveries go one at a time in the order of the changes (deterministic in dev,
   * though consumers must still cope with any order, as with real providers). `idle()` awaits the queue.
   */
  function dispatch(type: SandboxWebhookBody['type'], data: SandboxWebhookBody['data']): void {
    const event: SandboxWebhookBody = { id: `evt_sbx_${crypto.randomUUID()}`, type, created: Math.floor(clock().getTime() / 1000), data }
    const delivery: SandboxDelivery = { event }
    deliveries.push(delivery)
    async function send() {
      const rawBody = JSON.stringify(event)
      const signature = await signSandboxWebhook(signingSecret, rawBody, Math.floor(clock().getTime() / 1000))
      const response = await fetchFn(callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SANDBOX_SIGNATURE_HEADER]: signature },
        body: rawBody,
        signal: AbortSignal.timeout(deliveryTimeoutMs), // a hung callback must not stall the queue for good
      })
      delivery.status = response.status
      await response.body?.cancel()
      if (!response.ok) throw new Error(`callback answered ${response.status}`)
    }
    queue = queue.then(send).catch((error: Error) => {
      delivery.error = error.message
      onDeliveryError?.(error, event)
    })
  }

  function paymentData(payment: SandboxPayment, amount: number): SandboxWebhookBody['data'] {
    return { providerPaymentId: payment.providerPaymentId, paymentId: payment.paymentId, amount, currency: payment.amount.currency }
  }

  function requireStatus(payment: SandboxPayment, allowed: ProviderPayment['status'][], action: string) {
    if (!allowed.includes(payment.status)) {
      throw new DomainError('conflict', `Cannot ${action} a ${payment.status} sandbox payment`)
    }
  }

  function requireCurrency(payment: SandboxPayment, amount: Money) {
    if (amount.currency.toUpperCase() !== payment.amount.currency) {
      throw new DomainError('invalid', `The payment is in ${payment.amount.currency}, not ${amount.currency}`)
    }
  }

  return {
    name: 'sandbox',
    deliveries,

    supports(currency) {
      try {
        currencyExponent(currency)
        return true
      } catch {
        return false
      }
    },

    createHold(input: CreateHoldInput): Promise<HoldCreated> {
      return once('hold', input.idempotencyKey, () => {
        currencyExponent(input.amount.currency)
        if (!Number.isSafeInteger(input.amount.amount) || input.amount.amount <= 0) {
          throw new DomainError('invalid', 'Amount must be a positive integer of minor units')
        }
        const providerPaymentId = `sbx_pay_${crypto.randomUUID()}`
        payments.set(providerPaymentId, {
          providerPaymentId,
          paymentId: input.paymentId,
          bookingId: input.bookingId,
          status: 'pending',
          amount: { amount: input.amount.amount, currency: input.amount.currency.toUpperCase() },
          capturedAmount: 0,
          refundedAmount: 0,
        })
        return { providerPaymentId, status: 'pending', clientAction: { type: 'sandbox', confirmUrl: confirmUrl(providerPaymentId) } }
      })
    },

    async approve(providerPaymentId) {
      const payment = find(providerPaymentId)
      requireStatus(payment, ['pending', 'requires_action'], 'approve')
      payment.status = 'authorized'
      payment.authorizationExpiresAt = new Date(clock().getTime() + 7 * 86_400_000)
      dispatch('payment.authorized', paymentData(payment, payment.amount.amount))
      return view(payment)
    },

    async decline(providerPaymentId, reason = 'card_declined') {
      const payment = find(providerPaymentId)
      requireStatus(payment, ['pending', 'requires_action'], 'decline')
      payment.status = 'failed'
      payment.failureReason = reason
      dispatch('payment.failed', { ...paymentData(payment, payment.amount.amount), failureReason: reason })
      return view(payment)
    },

    capture(providerPaymentId, amount, idempotencyKey) {
      return once('capture', idempotencyKey, () => {
        const payment = find(providerPaymentId)
        requireStatus(payment, ['authorized'], 'capture')
        requireCurrency(payment, amount)
        if (amount.amount <= 0 || amount.amount > payment.amount.amount) {
          throw new DomainError('unprocessable', 'Capture amount must be positive and at most the authorized amount')
        }
        payment.status = 'captured'
        payment.capturedAmount = amount.amount
        delete payment.authorizationExpiresAt
        dispatch('payment.captured', paymentData(payment, amount.amount))
        return view(payment)
      })
    },

    cancel(providerPaymentId, idempotencyKey) {
      return once('cancel', idempotencyKey, () => {
        const payment = find(providerPaymentId)
        requireStatus(payment, ['pending', 'requires_action', 'authorized'], 'cancel')
        payment.status = 'cancelled'
        delete payment.authorizationExpiresAt
        dispatch('payment.cancelled', paymentData(payment, payment.amount.amount))
        return view(payment)
      })
    },

    refund(providerPaymentId, amount, idempotencyKey): Promise<RefundResult> {
      return once('refund', idempotencyKey, () => {
        const payment = find(providerPaymentId)
        requireStatus(payment, ['captured'], 'refund')
        requireCurrency(payment, amount)
        if (amount.amount <= 0 || payment.refundedAmount + amount.amount > payment.capturedAmount) {
          throw new DomainError('unprocessable', 'Refund amount must be positive and at most what is left to refund')
        }
        payment.refundedAmount += amount.amount
        const providerRefundId = `sbx_re_${crypto.randomUUID()}`
        dispatch('payment.refunded', { ...paymentData(payment, amount.amount), providerRefundId, refundedTotal: payment.refundedAmount })
        return { providerRefundId, status: 'succeeded' as const }
      })
    },

    async retrieve(providerPaymentId) {
      return view(find(providerPaymentId))
    },

    payout(input: PayoutInput): Promise<PayoutResult> {
      return once('payout', input.idempotencyKey, () => {
        const providerPayoutId = `sbx_po_${crypto.randomUUID()}`
        dispatch('payout.succeeded', { providerPayoutId, amount: input.amount.amount, currency: input.amount.currency.toUpperCase() })
        return { providerPayoutId, status: 'succeeded' as const }
      })
    },

    async verifyWebhook(request: WebhookRequest): Promise<WebhookEvent[]> {
      const header = request.headers.get(SANDBOX_SIGNATURE_HEADER) ?? ''
      const parts = header.split(',').map((p) => p.trim().split('='))
      const timestamp = Number(parts.find(([k]) => k === 't')?.[1])
      const signatures = parts.filter(([k]) => k === 'v1').map(([, v]) => fromHex(v ?? ''))
      if (!Number.isInteger(timestamp) || signatures.length === 0) {
        throw new DomainError('unauthorized', 'Missing or malformed Sandbox-Signature')
      }
      if (Math.abs(clock().getTime() / 1000 - timestamp) > toleranceSeconds) {
        throw new DomainError('unauthorized', 'Sandbox webhook timestamp is outside the tolerance')
      }
      let valid = false
      for (const signature of signatures) {
        if (signature && (await verifyHmacSha256(signingSecret, `${timestamp}.${request.rawBody}`, signature))) valid = true
      }
      if (!valid) throw new DomainError('unauthorized', 'Sandbox webhook signature is invalid')
      const body = JSON.parse(request.rawBody) as SandboxWebhookBody
      const { data } = body
      const money = (amount: number) => ({ amount, currency: data.currency })
      return [
        {
          provider: 'sandbox',
          eventId: body.id,
          kind: body.type,
          occurredAt: new Date(body.created * 1000),
          amount: money(data.amount),
          ...(data.providerPaymentId ? { providerPaymentId: data.providerPaymentId } : {}),
          ...(data.paymentId ? { paymentId: data.paymentId } : {}),
          ...(data.providerRefundId ? { providerRefundId: data.providerRefundId } : {}),
          ...(data.providerPayoutId ? { providerPayoutId: data.providerPayoutId } : {}),
          ...(data.refundedTotal !== undefined ? { refundedTotal: money(data.refundedTotal) } : {}),
          ...(data.failureReason ? { failureReason: data.failureReason } : {}),
        },
      ]
    },

    async idle() {
      let seen: Promise<void> | undefined
      while (seen !== queue) {
        seen = queue
        await queue
      }
    },
  }
}
