/**
 * A partner's webhook endpoint for tests: node:http on 127.0.0.1 (port 0), recording every request with its raw
 * body and answering what the test tells it to. `hold` leaves requests unanswered (timeouts); `waitFor` lets a
 * test await the n-th request without sleeping.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedRequest {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
}

export type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'hold'

export interface Receiver {
  url: string
  requests: ReceivedRequest[]
  /** What the next requests get (default 204). */
  answer(next: Answer | ((req: ReceivedRequest) => Answer)): void
  close(): Promise<void>
}

export async function startReceiver(path = '/kamhub/webhooks'): Promise<Receiver> {
  const requests: ReceivedRequest[] = []
  let respond: (req: ReceivedRequest) => Answer = () => ({ status: 204 })
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }
      requests.push(received)
      const answer = respond(received)
      if (answer === 'hold') return
      res.writeHead(answer.status, answer.headers ?? {})
      res.end(answer.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    answer(next) {
      respond = typeof next === 'function' ? next : () => next
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** The headers the standardwebhooks library reads, as plain strings. */
export function webhookHeaders(req: ReceivedRequest): Record<string, string> {
  return {
    'webhook-id': String(req.headers['webhook-id']),
    'webhook-timestamp': String(req.headers['webhook-timestamp']),
    'webhook-signature': String(req.headers['webhook-signature']),
  }
}
