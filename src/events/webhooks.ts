/**
 * Partner webhooks: deliveries to HTTP subscriptions, signed per Standard Webhooks (standardwebhooks.com).
 *
 * A delivery is `POST <url>` with the CloudEvents envelope as the body in structured mode,
 * `Content-Type: application/cloudevents+json` — the media type the CloudEvents HTTP binding names for a whole
 * event in the body, so CloudEvents SDKs on the receiving side recognise it, while still JSON (`+json`) for any
 * other tooling; a receiver must read the raw body to check the signature anyway. Headers:
 * - `webhook-id`: the event id, the same on every retry and replay, so receivers dedupe on it;
 * - `webhook-timestamp`: unix seconds of this attempt (receivers reject stale ones, which defeats replays of a
 *   captured request);
 * - `webhook-signature`: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one per live secret, newest
 *   first, space-separated — during a rotation both the new and the previous secret verify.
 *
 * Outcomes: 2xx delivered. 410 Gone means the partner retired the endpoint: the subscription is deactivated (no
 * new fan-out, its other pending deliveries set aside as dead `deactivated`) and this delivery is dead
 * `rejected` at once — retrying a URL that said "gone" for hours helps no one, an admin can reactivate and
 * redrive. Anything else (3xx — redirects are not followed —, 4xx, 5xx, network error, timeout) fails the attempt
 * with the status in `last_error`, and the dispatcher retries with backoff. Secrets never leave this module in an
 * error or a log line, and neither does the URL (it may carry a partner's token in its query).
 *
 * WebCrypto and fetch only: the same code runs on Node, Deno and Workers.
 */
import type { Executor } from '../core/db/index.ts'
import type { EventEnvelope } from './envelope.ts'
import type { DeliveryContext, EventHandler } from './subscription.ts'
import { RejectedDeliveryError } from './deliveries.ts'
import { deactivateSubscription } from './http-subscriptions.ts'
import { signWebhook } from './webhook-signing.ts'

export const WEBHOOK_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8'
export const WEBHOOK_USER_AGENT = 'KamHub-Webhooks/1'

/** A claimed delivery's destination, read from its subscription row at claim time. */
export interface WebhookTarget {
  subscription: string
  url: string
  /** Live secrets, newest first (two during a rotation). */
  secrets: string[]
}

export interface WebhookSenderOptions {
  /** Where a 410 deactivates the subscription. */
  db: Executor
  fetch?: typeof fetch
  /** Per request; keep it below the dispatcher's handler timeout so the request is aborted, not abandoned. */
  timeoutMs?: number
  now?: () => Date
}

/** The dispatcher's `webhookHandler`: builds the handler that POSTs one claimed delivery to its target. */
export function createWebhookSender({ db, fetch: doFetch = fetch, timeoutMs = 10_000, now = () => new Date() }: WebhookSenderOptions) {
  return function webhookHandler(target: WebhookTarget): EventHandler {
    return async function deliverWebhook(event: EventEnvelope, ctx: DeliveryContext) {
      const body = JSON.stringify(event)
      const timestamp = Math.floor(now().getTime() / 1000)
      const headers = {
        'content-type': WEBHOOK_CONTENT_TYPE,
        'user-agent': WEBHOOK_USER_AGENT,
        'webhook-id': event.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': await signWebhook({ id: event.id, timestamp, body, secrets: target.secrets }),
      }
      let response: Response
      try {
        response = await doFetch(target.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
      } catch (error) {
        const name = (error as Error)?.name
        if (name === 'TimeoutError' || name === 'AbortError') throw new Error(`no answer within ${timeoutMs} ms`)
        // Not the error's own text: some runtimes put the URL in it.
        throw new Error(`request failed (${name ?? 'network error'}${causeCode(error)})`)
      }
      if (response.status >= 200 && response.status < 300) {
        await response.body?.cancel().catch(() => {}) // the answer's content means nothing; free the connection
        return
      }
      const snippet = await readSnippet(response)
      if (response.status === 410) {
        // This delivery is left out of the parking: the dispatcher records it as dead `rejected`, with the answer.
        await deactivateSubscription(db, target.subscription, 'the endpoint answered 410 Gone', { except: ctx.deliveryId })
        throw new RejectedDeliveryError(`HTTP 410 Gone: the endpoint was retired; subscription deactivated${snippet}`)
      }
      throw new Error(`HTTP ${response.status}${snippet}`)
    }
  }
}

/** At most 200 characters of the answer, for `last_error`; the rest of the body is not read. */
async function readSnippet(response: Response): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < 1024) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.length
    }
  } catch {
    return ''
  } finally {
    reader.cancel().catch(() => {})
  }
  const decoder = new TextDecoder()
  const text = chunks.map((c) => decoder.decode(c, { stream: true })).join('').replace(/\s+/g, ' ').trim().slice(0, 200)
  return text ? `: ${text}` : ''
}

function causeCode(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } })?.cause?.code
  return typeof code === 'string' ? `: ${code}` : ''
}
