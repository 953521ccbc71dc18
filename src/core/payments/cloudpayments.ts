/**
 * The PaymentProvider port on CloudPayments (two-stage payments), over fetch with HTTP Basic `PublicId:APISecret`
 * and JSON bodies. The card is entered in CloudPayments' widget, so `createHold` makes no API call: it returns the
 * widget parameters, with our payment id as the `InvoiceId`.
 *
 * The provider's TransactionId is unknown until the widget has run. `createHold` therefore answers
 * `providerPaymentId = "invoice:<paymentId>"`. The integrator should replace it with the TransactionId carried by the
 * first Check/Pay notification (`event.providerPaymentId`, matched by `event.paymentId`). Until then, every method
 * also accepts the `invoice:` form and resolves it with `/v2/payments/find` by InvoiceId.
 *
 * Guarantees: each API call sends the caller's idempotency key as `X-Request-ID` (CloudPayments keeps the result
 * for 1 hour); notifications are trusted only with a valid `Content-HMAC` (over the raw body) or `X-Content-HMAC`
 * (over the URL-decoded body), checked in constant time by WebCrypto.
 */
import { DomainError } from '../errors.ts'
import { basicAuth, fromBase64, verifyHmacSha256 } from './crypto.ts'
import { requestJson, type FetchLike } from './http.ts'
import { fromDecimalString, moneyFromDecimal, toDecimalString } from './money.ts'
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
  WebhookEventKind,
  WebhookRequest,
} from './provider.ts'

export interface CloudPaymentsProviderOptions {
  /** CLOUDPAYMENTS_PUBLIC_ID (pk_…): also the widget's publicId. */
  publicId: string
  /** CLOUDPAYMENTS_API_SECRET: API password and notification HMAC key. */
  apiSecret: string
  /** CLOUDPAYMENTS_BASE_URL. */
  baseUrl?: string
  fetch?: FetchLike
  /** CLOUDPAYMENTS_TIMEOUT_MS. */
  timeoutMs?: number
  /** Currencies the terminal accepts (CLOUDPAYMENTS_CURRENCIES). */
  currencies?: string[]
  /** Clock for notifications without a DateTime. */
  now?: () => Date
}

/** The `{code}` answers CloudPayments expects from notification handlers. Only Check may answer non-zero. */
export const CLOUDPAYMENTS_CODES = {
  accepted: 0,
  invalidInvoice: 10,
  invalidAccount: 11,
  wrongAmount: 12,
  rejected: 13,
  expired: 20,
} as const

export type CloudPaymentsCode = (typeof CLOUDPAYMENTS_CODES)[keyof typeof CLOUDPAYMENTS_CODES]

/** The JSON body the notification route must answer with HTTP 200. */
export function cloudPaymentsAnswer(code: CloudPaymentsCode = CLOUDPAYMENTS_CODES.accepted): { code: CloudPaymentsCode } {
  return { code }
}

const STATUS: Record<string, ProviderPaymentStatus> = {
  AwaitingAuthentication: 'requires_action',
  Authorized: 'authorized',
  Completed: 'captured',
  Cancelled: 'cancelled',
  Declined: 'failed',
}

const INVOICE_PREFIX = 'invoice:'

interface Envelope {
  Success?: boolean
  Message?: string | null
  Model?: Record<string, unknown> | Array<Record<string, unknown>> | null
}

export function cloudPaymentsProvider(options: CloudPaymentsProviderOptions): PaymentProvider {
  const {
    publicId,
    apiSecret,
    baseUrl = 'https://api.cloudpayments.ru',
    timeoutMs = 30_000,
    now = () => new Date(),
  } = options
  const fetchFn: FetchLike = options.fetch ?? ((input, init) => fetch(input, init))
  const currencies = (options.currencies ?? ['RUB', 'USD', 'EUR', 'GBP', 'KZT', 'BYN', 'CNY']).map((c) => c.toUpperCase())
  const authorization = basicAuth(publicId, apiSecret)

  /** POSTs one API method and unwraps `{Success, Message, Model}`; Success:false is a decline. */
  async function post(path: string, body: Record<string, unknown>, idempotencyKey?: string): Promise<Envelope> {
    const headers: Record<string, string> = { authorization, 'content-type': 'application/json', accept: 'application/json' }
    if (idempotencyKey) headers['x-request-id'] = idempotencyKey
    const { status, body: answer } = await requestJson(fetchFn, 'CloudPayments', baseUrl.replace(/\/$/, '') + path, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      timeoutMs,
    })
    if (status >= 500 || status === 429) throw new DomainError('unavailable', `CloudPayments answered ${status}`)
    if (status === 401 || status === 403) throw new DomainError('internal', 'CloudPayments rejected the configured credentials')
    const envelope = answer as Envelope | undefined
    if (status >= 400 || typeof envelope?.Success !== 'boolean') {
      throw new DomainError('internal', `CloudPayments answered ${status} without its envelope`)
    }
    if (!envelope.Success) {
      const model = (Array.isArray(envelope.Model) ? undefined : envelope.Model) ?? {}
      const reason = model.CardHolderMessage ?? envelope.Message ?? model.Reason ?? 'declined'
      throw new DomainError('payment_failed', `CloudPayments: ${String(reason)}`)
    }
    return envelope
  }

  /** The TransactionId (a number on the wire) behind either form of our providerPaymentId. */
  async function transactionId(providerPaymentId: string): Promise<number> {
    const id = providerPaymentId.startsWith(INVOICE_PREFIX)
      ? await findByInvoice(providerPaymentId.slice(INVOICE_PREFIX.length))
      : providerPaymentId
    if (!id) throw new DomainError('not_found', 'CloudPayments has no transaction for this invoice yet')
    if (!/^\d+$/.test(id)) throw new DomainError('invalid', 'Not a CloudPayments TransactionId')
    return Number(id)
  }

  async function findByInvoice(invoiceId: string): Promise<string | undefined> {
    try {
      const { Model } = await post('/v2/payments/find', { InvoiceId: invoiceId })
      const model = Array.isArray(Model) ? Model.at(-1) : Model
      return model?.TransactionId === undefined ? undefined : String(model.TransactionId)
    } catch (error) {
      // "Not found" comes back as Success:false; it is not a decline here.
      if (error instanceof DomainError && error.code === 'payment_failed') return undefined
      throw error
    }
  }

  async function retrieve(providerPaymentId: string): Promise<ProviderPayment> {
    if (providerPaymentId.startsWith(INVOICE_PREFIX)) {
      const found = await findByInvoice(providerPaymentId.slice(INVOICE_PREFIX.length))
      if (!found) {
        // The traveller has not paid yet; nothing exists on CloudPayments' side.
        return { providerPaymentId, status: 'pending', amount: { amount: 0, currency: 'RUB' }, capturedAmount: 0, refundedAmount: 0 }
      }
      return retrieve(found)
    }
    const { Model } = await post('/payments/get', { TransactionId: await transactionId(providerPaymentId) })
    const model = (Array.isArray(Model) ? Model[0] : Model) ?? {}
    return toProviderPayment(model)
  }

  return {
    name: 'cloudpayments',

    supports(currency) {
      return currencies.includes(currency.toUpperCase())
    },

    async createHold(input): Promise<HoldCreated> {
      return {
        providerPaymentId: INVOICE_PREFIX + input.paymentId,
        status: 'pending',
        clientAction: {
          type: 'cloudpayments_widget',
          publicId,
          invoiceId: input.paymentId,
          amount: toDecimalString(input.amount),
          currency: input.amount.currency.toUpperCase(),
          description: input.description,
          ...(input.customerEmail ? { accountId: input.customerEmail } : {}),
        },
      }
    },

    async capture(providerPaymentId, amount, idempotencyKey) {
      const id = await transactionId(providerPaymentId)
      await post('/payments/confirm', { TransactionId: id, Amount: decimalNumber(amount) }, idempotencyKey)
      return retrieve(String(id))
    },

    async cancel(providerPaymentId, idempotencyKey) {
      const id = await transactionId(providerPaymentId)
      await post('/payments/void', { TransactionId: id }, idempotencyKey)
      return retrieve(String(id))
    },

    async refund(providerPaymentId, amount, idempotencyKey): Promise<RefundResult> {
      const id = await transactionId(providerPaymentId)
      const { Model } = await post('/payments/refund', { TransactionId: id, Amount: decimalNumber(amount) }, idempotencyKey)
      const refundId = (Array.isArray(Model) ? undefined : Model)?.TransactionId
      return { providerRefundId: refundId === undefined ? `refund:${id}:${idempotencyKey}` : String(refundId), status: 'succeeded' }
    },

    retrieve,

    async payout(input: PayoutInput): Promise<PayoutResult> {
      if (input.destination.type !== 'card_token') {
        throw new DomainError('invalid', `CloudPayments pays out to a card token, not to ${input.destination.type}`)
      }
      const { Model } = await post(
        '/payments/token/topup',
        {
          Token: input.destination.token,
          Amount: decimalNumber(input.amount),
          Currency: input.amount.currency.toUpperCase(),
          InvoiceId: input.payoutId,
          Description: input.description,
        },
        input.idempotencyKey,
      )
      const model = (Array.isArray(Model) ? undefined : Model) ?? {}
      return { providerPayoutId: String(model.TransactionId ?? `payout:${input.payoutId}`), status: 'succeeded' }
    },

    async verifyWebhook(request: WebhookRequest): Promise<WebhookEvent[]> {
      if (!(await authentic(request, apiSecret))) {
        throw new DomainError('unauthorized', 'CloudPayments notification HMAC is missing or invalid')
      }
      return [toWebhookEvent(request.kind ?? '', new URLSearchParams(request.rawBody), now)]
    },
  }
}

/**
 * CloudPayments wants a decimal number; built from the exact decimal string, whose shortest JSON form is that same
 * string, so no rounding can creep in.
 */
function decimalNumber(amount: Money): number {
  return Number(toDecimalString(amount))
}

async function authentic(request: WebhookRequest, secret: string): Promise<boolean> {
  const contentHmac = request.headers.get('content-hmac')
  const signature = contentHmac ? fromBase64(contentHmac) : undefined
  if (signature && (await verifyHmacSha256(secret, request.rawBody, signature))) return true
  const decodedHmac = request.headers.get('x-content-hmac')
  const decodedSignature = decodedHmac ? fromBase64(decodedHmac) : undefined
  if (!decodedSignature) return false
  // Whether '+' means a space in their decoded string is not documented; both readings are keyed by our secret.
  for (const decoded of [safeDecode(request.rawBody), safeDecode(request.rawBody.replace(/\+/g, ' '))]) {
    if (decoded !== undefined && (await verifyHmacSha256(secret, decoded, decodedSignature))) return true
  }
  return false
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text)
  } catch {
    return undefined
  }
}

function toProviderPayment(model: Record<string, unknown>): ProviderPayment {
  const currency = String(model.Currency ?? 'RUB')
  const amount = moneyFromDecimal(model.Amount as number | string ?? 0, currency)
  const status = STATUS[String(model.Status)] ?? 'pending'
  const reason = model.CardHolderMessage ?? model.Reason
  return {
    providerPaymentId: String(model.TransactionId),
    status,
    amount,
    capturedAmount: status === 'captured' ? amount.amount : 0,
    // /payments/get reports no refunded amount (refunds are transactions of their own): track it from the
    // refund() answers and Refund notifications.
    refundedAmount: 0,
    ...(status === 'failed' && reason ? { failureReason: String(reason) } : {}),
  }
}

const KINDS: Record<string, (params: URLSearchParams) => WebhookEventKind> = {
  check: () => 'payment.check',
  pay: (p) => (p.get('Status') === 'Authorized' ? 'payment.authorized' : 'payment.captured'),
  confirm: () => 'payment.captured',
  fail: () => 'payment.failed',
  refund: () => 'payment.refunded',
  cancel: () => 'payment.cancelled',
}

/**
 * CloudPayments sends no event id. A retry of one notification repeats its TransactionId, and one transaction gets
 * several notifications (check, pay, confirm), so `${kind}:${TransactionId}` is the deduplication key. A Refund
 * notification's TransactionId is the refund's own, so two partial refunds stay two events.
 */
function toWebhookEvent(kind: string, params: URLSearchParams, now: () => Date): WebhookEvent {
  const transactionId = params.get('TransactionId') ?? ''
  const eventId = `${kind}:${transactionId}`
  const occurredAt = parseDateTime(params.get('DateTime')) ?? now()
  const mapped = KINDS[kind.toLowerCase()]
  if (!mapped || !transactionId) return { provider: 'cloudpayments', eventId, kind: 'ignored', occurredAt }
  const currency = params.get('Currency') ?? 'RUB'
  const amountText = params.get('Amount')
  const invoiceId = params.get('InvoiceId')
  const eventKind = mapped(params)
  const reason = params.get('Reason') ?? params.get('ReasonCode')
  const refund = eventKind === 'payment.refunded'
  const paymentTransactionId = params.get('PaymentTransactionId')
  return {
    provider: 'cloudpayments',
    eventId,
    kind: eventKind,
    occurredAt,
    ...(refund
      ? { providerRefundId: transactionId, ...(paymentTransactionId ? { providerPaymentId: paymentTransactionId } : {}) }
      : { providerPaymentId: transactionId }),
    ...(invoiceId ? { paymentId: invoiceId } : {}),
    ...(amountText ? { amount: { amount: fromDecimalString(amountText, currency), currency: currency.toUpperCase() } } : {}),
    ...(eventKind === 'payment.failed' && reason ? { failureReason: reason } : {}),
  }
}

/** `yyyy-MM-dd HH:mm:ss`, UTC. */
function parseDateTime(text: string | null): Date | undefined {
  if (!text || !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return undefined
  return new Date(text.replace(' ', 'T') + 'Z')
}
