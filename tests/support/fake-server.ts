/**
 * The payment provider fakes' view of fake-endpoint.ts (one node:http skeleton for every provider fake): JSON
 * answers from a synchronous handler, every request recorded, `failNext` to inject outages, and the port.
 */
import { startFakeEndpoint, type RecordedRequest } from './fake-endpoint.ts'

export type { RecordedRequest } from './fake-endpoint.ts'

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
  const endpoint = await startFakeEndpoint(handle)
  return {
    url: endpoint.url,
    port: Number(new URL(endpoint.url).port),
    requests: endpoint.requests,
    failNext: (count, status) => endpoint.failNext(count, status),
    close: endpoint.close,
  }
}
