/**
 * A local Resend API for the adapter tests: `POST /emails` with `Authorization: Bearer <key>`, replaying the first
 * answer for a repeated `Idempotency-Key` (as Resend does for 24 h), and answering Resend-shaped errors
 * (`{statusCode, name, message}`) for an address without `@`. `failNextWith()` injects Resend-shaped errors.
 */
import { randomUUID } from 'node:crypto'
import { startFakeServer, type FakeAnswer, type FakeServer } from './fake-server.ts'

export interface FakeResend extends FakeServer {
  apiKey: string
  /** Every accepted email by id, as the API received it. */
  emails: Map<string, Record<string, any>>
  /** The next call answers a Resend-shaped error with this status (the SDK reads the status from the body). */
  failNextWith(status: number, name: string): void
}

export async function startFakeResend(): Promise<FakeResend> {
  const apiKey = 're_test_fake_key'
  const emails = new Map<string, Record<string, any>>()
  const replies = new Map<string, FakeAnswer>()
  let injected: FakeAnswer | undefined
  const server = await startFakeServer((request) => {
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      return { status: 401, body: { statusCode: 401, name: 'invalid_api_key', message: 'API key is invalid' } }
    }
    if (request.method !== 'POST' || request.path !== '/emails') return { status: 404, body: { statusCode: 404, name: 'not_found', message: 'not found' } }
    if (injected) {
      const answer = injected
      injected = undefined
      return answer
    }
    const key = request.headers['idempotency-key']
    const seen = key ? replies.get(key) : undefined
    if (seen) return seen
    const body = JSON.parse(request.rawBody) as Record<string, any>
    const answer: FakeAnswer = (body.to as string[]).every((to) => to.includes('@'))
      ? (() => {
          const id = randomUUID()
          emails.set(id, body)
          return { status: 200, body: { id } }
        })()
      : { status: 422, body: { statusCode: 422, name: 'validation_error', message: 'Invalid `to` field.' } }
    if (key) replies.set(key, answer)
    return answer
  })
  return Object.assign(server, {
    apiKey,
    emails,
    failNextWith(status: number, name: string) {
      injected = { status, body: { statusCode: status, name, message: 'injected failure' } }
    },
  })
}
