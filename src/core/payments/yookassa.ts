/**
 * The PaymentProvider port on YooKassa (API v3) over fetch: HTTP Basic `shopId:secretKey`, JSON bodies, the
 * caller's key in `Idempotence-Key` on every POST. A hold is a payment with `capture: false` and a redirect
 * confirmation; the traveller pays on YooKassa's page and comes back to `returnUrl`.
 *
 * Guarantees: a 500 from YooKassa means the outcome is unknown, so the call is resent once with the same key
 * (YooKassa then answers the first result); notifications carry no signature, so one is trusted only when its
 * source address is inside YooKassa's published ranges AND the object it names is fetched back from the API — the
 * event's kind, amount and status come from the fetched object, never from the notification body.
 */
import { DomainError } from '../errors.ts'
import { cidrMatcher } from './cidr.ts'
import { basicAuth, fitIdempotencyKey } from './crypto.ts'
import { requestJson, type FetchLike } from './http.ts'
import { moneyFromDecimal, toDecimalString } from './money.ts'
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

/** YooKassa's notification source addresses (docs `#ip`); YOOKASSA_TRUSTED_IPS overrides them. */
export const YOOKASSA_TRUSTED_IPS = [
  '185.71.76.0/27',
  '185.71.77.0/27',
  '77.75.153.0/25',
  '77.75.156.11',
  '77.75.156.35',
  '77.75.154.128/25',
  '2a02:5180::/32',
] as const

export interface YooKassaProviderOptions {
  /** YOOKASSA_SHOP_ID. */
  shopId: string
  /** YOOKASSA_SECRET_KEY. */
  secretKey: string
  /** YOOKASSA_BASE_URL. */
  baseUrl?: string
  /** YOOKASSA_TRUSTED_IPS (comma-separated CIDRs). */
  trustedIps?: readonly string[]
  fetch?: FetchLike
  /** YOOKASSA_TIMEOUT_MS. */
  timeoutMs?: number
  /** Currencies the shop accepts (YOOKASSA_CURRENCIES); default RUB. */
  currencies?: string[]
  now?: () => Date
}

/** Why a canceled payment was released by us or by time rather than declined. */
const RELEASED_REASONS = new Set(['canceled_by_merchant', 'expired_on_capture'])

interface YooAmount {
  value: string
  currency: string
}

interface YooObject {
  id: string
  status: string
  amount?: YooAmount
  refunded_amount?: YooAmount
  expires_at?: string
  created_at?: string
  payment_id?: string
  metadata?: Record<string, string>
  cancellation_details?: { party?: string; reason?: string }
  confirmation?: { type?: string; confirmation_url?: string }
}

export function yooKassaProvider(options: YooKassaProviderOptions): PaymentProvider {
  const {
    shopId,
    secretKey,
    baseUrl = 'https://api.yookassa.ru/v3',
    trustedIps = YOOKASSA_TRUSTED_IPS,
    timeoutMs = 30_000,
    now = () => new Date(),
  } = options
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init))
  const currencies = (options.currencies ?? ['RUB']).map((c) => c.toUpperCase())
  const authorization = basicAuth(shopId, secretKey)
  const trusted = cidrMatcher(trustedIps)

  async function api(method: 'GET' | 'POST', path: string, body?: unknown, idempotencyKey?: string): Promise<YooObject> {
    const headers: Record<string, string> = { authorization, accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    // YooKassa accepts at most 64 characters.
    if (idempotencyKey) headers['idempotence-key'] = await fitIdempotencyKey(idempotencyKey, 64)
    const send = () =>
      requestJson(fetchFn, 'YooKassa', baseUrl.replace(/\/$/, '') + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        timeoutMs,
      })
    let answer = await send().catch((error: unknown) => error as DomainError)
    // Unknown outcome (500, or no answer at all): resend once with the same key, which YooKassa deduplicates.
    // Only with a key — a GET is safe to repeat anyway, a POST without one is not.
    const unknownOutcome = answer instanceof DomainError || answer.status === 500
    if (unknownOutcome && (idempotencyKey || method === 'GET')) answer = await send().catch((error: unknown) => error as DomainError)
    if (answer instanceof DomainError) throw answer
    const { status, body: json } = answer
    if (status >= 200 && status < 300) return json as YooObject
    const code = (json as { code?: string } | undefined)?.code ?? 'error'
    if (status >= 500 || status === 429) throw new DomainError('unavailable', `YooKassa answered ${status}`)
    if (status === 401 || status === 403) throw new DomainError('internal', 'YooKassa rejected the configured credentials')
    if (status === 404) throw new DomainError('not_found', 'YooKassa does not know this object')
    throw new DomainError('unprocessable', `YooKassa refused the request (${status} ${code})`)
  }

  return {
    name: 'yookassa',

    supports(currency) {
      return currencies.includes(currency.toUpperCase())
    },

    async createHold(input): Promise<HoldCreated> {
      if (!input.returnUrl) throw new DomainError('invalid', 'YooKassa needs a returnUrl to send the traveller back to')
      const payment = await api(
        'POST',
        '/payments',
        {
          amount: yooAmount(input.amount),
          capture: false,
          confirmation: { type: 'redirect', return_url: input.returnUrl },
          description: input.description.slice(0, 128), // YooKassa's limit
          metadata: { paymentId: input.paymentId, bookingId: input.bookingId },
        },
        input.idempotencyKey,
      )
      const url = payment.confirmation?.confirmation_url
      if (!url) throw new DomainError('internal', 'YooKassa answered without a confirmation_url')
      return {
        providerPaymentId: payment.id,
        status: paymentStatus(payment),
        clientAction: { type: 'redirect', url },
        ...(payment.expires_at ? { authorizationExpiresAt: new Date(payment.expires_at) } : {}),
      }
    },

    async capture(providerPaymentId, amount, idempotencyKey) {
      const path = `/payments/${encodeURIComponent(providerPaymentId)}/capture`
      return toProviderPayment(await api('POST', path, { amount: yooAmount(amount) }, idempotencyKey))
    },

    async cancel(providerPaymentId, idempotencyKey) {
      return toProviderPayment(await api('POST', `/payments/${encodeURIComponent(providerPaymentId)}/cancel`, {}, idempotencyKey))
    },

    async refund(providerPaymentId, amount: Money, idempotencyKey): Promise<RefundResult> {
      const refund = await api('POST', '/refunds', { payment_id: providerPaymentId, amount: yooAmount(amount) }, idempotencyKey)
      return { providerRefundId: refund.id, status: refund.status === 'succeeded' ? 'succeeded' : refund.status === 'canceled' ? 'failed' : 'pending' }
    },

    async retrieve(providerPaymentId) {
      return toProviderPayment(await api('GET', `/payments/${encodeURIComponent(providerPaymentId)}`))
    },

    async payout(input: PayoutInput): Promise<PayoutResult> {
      const destination = input.destination
      const target =
        destination.type === 'yoomoney'
          ? { payout_destination_data: { type: 'yoo_money', account_number: destination.accountNumber } }
          : destination.type === 'bank_card_yookassa'
            ? { payout_token: destination.cardSynonym } // the card synonym from YooKassa's payout widget
            : undefined
      if (!target) throw new DomainError('invalid', `YooKassa pays out to YooMoney or a card synonym, not to ${destination.type}`)
      const payout = await api(
        'POST',
        '/payouts',
        { amount: yooAmount(input.amount), ...target, description: input.description.slice(0, 128), metadata: { payoutId: input.payoutId } },
        input.idempotencyKey,
      )
      return toPayoutResult(payout)
    },

    async verifyWebhook(request: WebhookRequest): Promise<WebhookEvent[]> {
      if (!trusted(request.sourceIp)) throw new DomainError('unauthorized', 'Notification is not from a YooKassa address')
      let notification: { event?: unknown; object?: { id?: unknown } }
      try {
        notification = JSON.parse(request.rawBody)
      } catch {
        throw new DomainError('invalid', 'YooKassa notification is not JSON')
      }
      const event = typeof notification.event === 'string' ? notification.event : ''
      const objectId = typeof notification.object?.id === 'string' ? notification.object.id : ''
      if (!event || !objectId) throw new DomainError('invalid', 'YooKassa notification without event or object id')
      const resource = event.split('.')[0]
      const path = resource === 'payment' ? '/payments/' : resource === 'refund' ? '/refunds/' : resource === 'payout' ? '/payouts/' : undefined
      if (!path) return [{ provider: 'yookassa', eventId: `${event}:${objectId}`, kind: 'ignored', occurredAt: now() }]

      let fetched: YooObject
      try {
        fetched = await api('GET', path + encodeURIComponent(objectId))
      } catch (error) {
        // An object YooKassa does not know was never sent by YooKassa.
        if (error instanceof DomainError && error.code === 'not_found') {
          throw new DomainError('unauthorized', 'YooKassa does not know the notified object')
        }
        throw error // unavailable: the route answers 5xx and YooKassa retries
      }
      const base = { provider: 'yookassa' as const, eventId: `${event}:${fetched.id}:${fetched.status}`, occurredAt: now() }
      return [toWebhookEvent(resource!, fetched, base)]
    },
  }
}

function yooAmount(money: Money): YooAmount {
  return { value: toDecimalString(money), currency: money.currency.toUpperCase() }
}

function paymentStatus(payment: YooObject): ProviderPaymentStatus {
  switch (payment.status) {
    case 'waiting_for_capture':
      return 'authorized'
    case 'succeeded':
      return 'captured'
    case 'canceled':
      return RELEASED_REASONS.has(payment.cancellation_details?.reason ?? '') ? 'cancelled' : 'failed'
    default:
      return 'pending'
  }
}

function toProviderPayment(payment: YooObject): ProviderPayment {
  const amount = payment.amount ? moneyFromDecimal(payment.amount.value, payment.amount.currency) : { amount: 0, currency: 'RUB' }
  const status = paymentStatus(payment)
  const reason = payment.cancellation_details?.reason
  return {
    providerPaymentId: payment.id,
    status,
    amount,
    capturedAmount: status === 'captured' ? amount.amount : 0,
    refundedAmount: payment.refunded_amount ? moneyFromDecimal(payment.refunded_amount.value, payment.refunded_amount.currency).amount : 0,
    ...(status === 'authorized' && payment.expires_at ? { authorizationExpiresAt: new Date(payment.expires_at) } : {}),
    ...(payment.status === 'canceled' && reason ? { failureReason: reason } : {}),
  }
}

function toPayoutResult(payout: YooObject): PayoutResult {
  const status = payout.status === 'succeeded' ? 'succeeded' : payout.status === 'canceled' ? 'failed' : 'pending'
  const reason = payout.cancellation_details?.reason
  return { providerPayoutId: payout.id, status, ...(status === 'failed' && reason ? { failureReason: reason } : {}) }
}

/** Everything here comes from the fetched object; the notification only named it. */
function toWebhookEvent(
  resource: string,
  fetched: YooObject,
  base: { provider: 'yookassa'; eventId: string; occurredAt: Date },
): WebhookEvent {
  const amount = fetched.amount ? moneyFromDecimal(fetched.amount.value, fetched.amount.currency) : undefined
  const paymentId = fetched.metadata?.paymentId
  const reason = fetched.cancellation_details?.reason
  if (resource === 'payment') {
    const status = paymentStatus(fetched)
    const kind =
      status === 'authorized' ? 'payment.authorized'
      : status === 'captured' ? 'payment.captured'
      : status === 'cancelled' ? 'payment.cancelled'
      : status === 'failed' ? 'payment.failed'
      : 'ignored'
    return {
      ...base,
      kind,
      providerPaymentId: fetched.id,
      ...(paymentId ? { paymentId } : {}),
      ...(amount ? { amount } : {}),
      ...(fetched.status === 'canceled' && reason ? { failureReason: reason } : {}),
    }
  }
  if (resource === 'refund') {
    // A canceled refund leaves the payment as it was: nothing to record.
    if (fetched.status !== 'succeeded') return { ...base, kind: 'ignored', providerRefundId: fetched.id }
    return {
      ...base,
      kind: 'payment.refunded',
      providerRefundId: fetched.id,
      ...(fetched.payment_id ? { providerPaymentId: fetched.payment_id } : {}),
      ...(amount ? { amount } : {}),
    }
  }
  const payout = toPayoutResult(fetched)
  if (payout.status === 'pending') return { ...base, kind: 'ignored', providerPayoutId: fetched.id }
  return {
    ...base,
    kind: payout.status === 'succeeded' ? 'payout.succeeded' : 'payout.failed',
    providerPayoutId: fetched.id,
    ...(amount ? { amount } : {}),
    ...(payout.failureReason ? { failureReason: payout.failureReason } : {}),
  }
}
