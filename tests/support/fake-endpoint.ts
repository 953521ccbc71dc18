/**
 * The skeleton of every provider fake: a node:http server on 127.0.0.1 (port 0) that records each request (method,
 * path, query, headers, raw body) and can fail the next N calls with a status, so tests assert idempotency headers
 * and exercise outages without a network. The handler may be async (fakes verify JWTs with WebCrypto), set response
 * headers (SendGrid's X-Message-Id, Retry-After) and answer a non-JSON body (SMS.ru's text).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface RecordedRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  rawBody: string
}

export interface EndpointAnswer {
  status: number
  headers?: Record<string, string>
  /** A string is sent as is; anything else as JSON. */
  body?: unknown
}

export interface FakeEndpoint {
  url: string
  requests: Array<RecordedRequest & { rawBytes: Buffer }>
  /** The next `count` calls answer `status` with `headers` (default 500) and are not handled. */
  failNext(count?: number, status?: number, headers?: Record<string, string>): void
  close(): Promise<void>
}

export async function startFakeEndpoint(
  handle: (request: RecordedRequest & { rawBytes: Buffer }) => EndpointAnswer | Promise<EndpointAnswer>,
): Promise<FakeEndpoint> {
  const requests: FakeEndpoint['requests'] = []
  let failures = { count: 0, status: 500, headers: {} as Record<string, string> }

  function reply(res: ServerResponse, answer: EndpointAnswer) {
    const text = answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body)
    const type = typeof answer.body === 'string' ? 'text/plain' : 'application/json'
    res.writeHead(answer.status, { 'content-type': type, ...answer.headers })
    res.end(text)
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake')
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v
      const rawBytes = Buffer.concat(chunks)
      const recorded = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers, rawBody: rawBytes.toString('utf8'), rawBytes }
      requests.push(recorded)
      if (failures.count > 0) {
        failures.count--
        return reply(res, { status: failures.status, headers: failures.headers, body: { error: 'injected failure' } })
      }
      Promise.resolve()
        .then(() => handle(recorded))
        .then(
          (answer) => reply(res, answer),
          (error) => reply(res, { status: 500, body: { error: String(error) } }),
        )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(count = 1, status = 500, headers = {}) {
      failures = { count, status, headers }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
