/**
 * A local CloudPayments API for the adapter tests: HTTP Basic `PublicId:APISecret`, JSON bodies, every answer in the
 * `{Success, Message, Model}` envelope, `X-Request-ID` replays the first answer. Speaks /payments/confirm, /void,
 * /refund, /get, /v2/payments/find and /payments/token/topup over an in-memory transaction table.
 *
 * Test levers: `authorize(invoiceId, amount)` plays the widget's two-stage payment (→ Authorized, a TransactionId),
 * `declineNext(message)` makes the next call a Success:false with a CardHolderMessage, `failNext()` a 500, and
 * `sign(body)` computes the notification Content-HMAC.
 */
import { createHmac } from 'node:crypto'
import { startFakeServer, type FakeAnswer, type FakeServer } from './fake-server.ts'

type Json = Record<string, unknown>

export interface FakeCloudPayments extends FakeServer {
  publicId: string
  apiSecret: string
  transactions: Map<number, Json>
  authorize(invoiceId: string, amount: number, currency?: string): number
  declineNext(cardHolderMessage?: string): void
  sign(body: string): string
}

/** base64(HMAC-SHA256(secret, message)), as CloudPayments signs notifications (node:crypto, independent of the adapter). */
export function cloudPaymentsHmac(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('base64')
}

export async function startFakeCloudPayments(): Promise<FakeCloudPayments> {
  const publicId = 'pk_test_cp'
  const apiSecret = 'cp_api_secret_value'
  const transactions = new Map<number, Json>()
  const replies = new Map<string, FakeAnswer>()
  let nextId = 1_000_000_000
  let decline: string | undefined

  const ok = (Model: unknown = null): FakeAnswer => ({ status: 200, body: { Success: true, Message: null, Model } })
  const refused = (Message: string): FakeAnswer => ({ status: 200, body: { Success: false, Message, Model: null } })

  function route(path: string, body: Json): FakeAnswer {
    if (decline) {
      const message = decline
      decline = undefined
      return { status: 200, body: { Success: false, Message: null, Model: { ReasonCode: 5051, CardHolderMessage: message } } }
    }
    if (path === '/v2/payments/find') {
      const found = [...transactions.values()].filter((t) => t.InvoiceId === body.InvoiceId && t.OperationType === 'Payment')
      return found.length ? ok(found.at(-1)) : refused('Not found')
    }
    const transaction = transactions.get(Number(body.TransactionId))
    if (path === '/payments/token/topup') {
      const id = nextId++
      transactions.set(id, { TransactionId: id, OperationType: 'CardPayout', Amount: body.Amount, Currency: body.Currency, Status: 'Completed' })
      return ok({ TransactionId: id, Status: 'Completed' })
    }
    if (!transaction) return refused('Transaction not found')
    switch (path) {
      case '/payments/get':
        return ok(transaction)
      case '/payments/confirm':
        if (transaction.Status !== 'Authorized') return refused('Transaction is not authorized')
        if (Number(body.Amount) > Number(transaction.Amount)) return refused('Amount exceeds the authorized amount')
        Object.assign(transaction, { Status: 'Completed', Amount: body.Amount })
        return ok()
      case '/payments/void':
        if (transaction.Status !== 'Authorized') return refused('Transaction is not authorized')
        transaction.Status = 'Cancelled'
        return ok()
      case '/payments/refund': {
        if (transaction.Status !== 'Completed') return refused('Transaction is not completed')
        const id = nextId++
        transactions.set(id, { TransactionId: id, OperationType: 'Refund', PaymentTransactionId: transaction.TransactionId, Amount: body.Amount, Status: 'Completed' })
        return ok({ TransactionId: id })
      }
    }
    return { status: 404, body: undefined }
  }

  const server = await startFakeServer((request) => {
    const expected = 'Basic ' + Buffer.from(`${publicId}:${apiSecret}`).toString('base64')
    if (request.headers.authorization !== expected) return { status: 401, body: undefined }
    const body = request.rawBody ? (JSON.parse(request.rawBody) as Json) : {}
    const key = request.headers['x-request-id']
    const replay = key ? replies.get(key) : undefined
    if (replay) return replay
    const answer = route(request.path, body)
    if (key) replies.set(key, answer)
    return answer
  })

  return Object.assign(server, {
    publicId,
    apiSecret,
    transactions,
    authorize(invoiceId: string, amount: number, currency = 'RUB') {
      const id = nextId++
      transactions.set(id, { TransactionId: id, OperationType: 'Payment', InvoiceId: invoiceId, Amount: amount, Currency: currency, Status: 'Authorized' })
      return id
    },
    declineNext(cardHolderMessage = 'Недостаточно средств на карте') {
      decline = cardHolderMessage
    },
    sign(body: string) {
      return cloudPaymentsHmac(apiSecret, body)
    },
  })
}
