/**
 * The shared skeleton of the payment provider fakes: a node:http server on 127.0.0.1 (port 0) that records every
 * request (method, path, headers, raw body) and can be told to fail the next N calls with a status, so tests can
 * assert idempotency headers and exercise outage handling without a network.
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

export interface FakeAnswer {
  status: number
  body: unknown
}

export interface FakeServer {
  url: string
  port: number
  requests: RecordedRequest[]
  /** The next `count` calls answer `status` (default 500) without touching state, and are not remembered. */
  failNext(count?: number, status?: number): void
  close(): Promise<void>
}

export async function startFakeServer(handle: (request: RecordedRequest) => FakeAnswer): Promise<FakeServer> {
  const requests: RecordedRequest[] = []
  let failures: { count: number; status: number } = { count: 0, status: 500 }

  function reply(res: ServerResponse, answer: FakeAnswer) {
    res.writeHead(answer.status, { 'content-type': 'application/json' })
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body))
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake')
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(recorded)
      if (failures.count > 0) {
        failures.count--
        return reply(res, { status: failures.status, body: { error: 'injected failure' } })
      }
      try {
        reply(res, handle(recorded))
      } catch (error) {
        reply(res, { status: 500, body: { error: String(error) } })
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    failNext(count = 1, status = 500) {
      failures = { count, status }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
