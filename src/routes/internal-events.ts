/**
 * POST /internal/events/deliver: where QStash brings back the deliveries that Workers handed it (src/events/edge.ts).
 * Internal: mounted outside /v1 and left out of the OpenAPI document (a plain route, not an `openapi()` one); its
 * only client is QStash.
 *
 * Guarantees: the `Upstash-Signature` JWT is verified on the raw body, against the configured deliver URL, before
 * anything is parsed or loaded; a missing, forged, stale or misdirected signature is a 401 and nothing runs. The body
 * names a delivery id only; the event comes from the database. Answers speak QStash: 2xx when nothing is left to do
 * (delivered, dead, already done, not QStash's to run), 503 + `Retry-After` when the attempt failed and should be
 * retried, 409 + `Retry-After` while another copy of the same message is running it.
 */
import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { z } from 'zod'
import { newRouter, type AppEnv } from './env.ts'
import { DomainError } from '../core/errors.ts'
import { renderProblem } from '../core/http/on-error.ts'
import type { Deps } from '../deps.ts'
import { DELIVER_PATH, deliverFromQStash, qstashReceiverSettings, verifyQStashSignature } from '../events/edge.ts'
import { eventMetrics } from '../events/metrics.ts'
import type { CodeSubscription } from '../events/subscription.ts'
import { createWebhookSender } from '../events/webhooks.ts'

/** The body is `{"deliveryId":"<bigint>"}`: a few dozen bytes. Anything much larger is not from us. */
const MAX_BODY_BYTES = 4096

const deliverBody = z.object({ deliveryId: z.string().regex(/^[1-9][0-9]{0,18}$/) })

export interface InternalEventRoutesOptions {
  /** The code subscriptions with their handlers, built from this request's deps (its database on Workers). */
  subscriptions: (deps: Deps) => CodeSubscription[]
}

export function internalEventRoutes({ subscriptions }: InternalEventRoutesOptions) {
  return newRouter().post(
    DELIVER_PATH,
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => renderProblem(c, new DomainError('payload_too_large', `The request body exceeds ${MAX_BODY_BYTES} bytes`)),
    }),
    async (c) => {
      const deps = c.env.deps
      const settings = qstashReceiverSettings(deps.config)
      if (!settings) return renderProblem(c, new DomainError('not_found', 'QStash delivery is not configured on this deployment'))

      // The raw bytes, as QStash hashed them: parsing first and re-serialising would not match the signature.
      const raw = await c.req.text()
      if (!(await verifyQStashSignature({ signature: c.req.header('Upstash-Signature'), body: raw, settings }))) {
        c.env.logger.warn({ path: c.req.path }, 'QStash delivery refused: missing or invalid Upstash-Signature')
        return renderProblem(c, new DomainError('unauthorized', 'Missing or invalid Upstash-Signature'))
      }
      const parsed = deliverBody.safeParse(safeJson(raw))
      if (!parsed.success) {
        // Signed by QStash but not a body we publish: a bug on our side, worth an error line.
        c.env.logger.error({ body: raw.slice(0, 200) }, 'signed QStash delivery with an unexpected body')
        return renderProblem(c, new DomainError('invalid', 'The body must be {"deliveryId": "<id>"}'))
      }

      const handlerTimeoutMs = Math.max(100, Math.floor(deps.config.REQUEST_TIMEOUT_MS * 0.8))
      const result = await deliverFromQStash({
        db: deps.db,
        deliveryId: parsed.data.deliveryId,
        retried: retriedHeader(c),
        settings,
        subscriptions: subscriptions(deps),
        webhookHandler: createWebhookSender({ db: deps.db.orm, timeoutMs: Math.min(10_000, Math.floor(handlerTimeoutMs * 0.9)) }),
        metrics: eventMetrics(deps.metrics),
        logger: c.env.logger,
        handlerTimeoutMs,
        // Past the request's own timeout: only a request that died leaves the row to be taken over.
        runLeaseMs: deps.config.REQUEST_TIMEOUT_MS + 15_000,
      })
      const deliveryId = parsed.data.deliveryId
      switch (result.status) {
        case 'retry':
          return renderProblem(
            c,
            new DomainError('unavailable', `Delivery ${deliveryId} failed; retry later`, { retryAfterSeconds: result.retryAfterSeconds }),
          )
        case 'busy':
          return renderProblem(
            c,
            new DomainError('conflict', `Delivery ${deliveryId} is running for another copy of this message`, { retryAfterSeconds: result.retryAfterSeconds }),
          )
        case 'skipped':
          return c.json({ deliveryId, status: result.status, ran: false, reason: result.reason }, 200)
        default:
          return c.json({ deliveryId, status: result.status, ran: result.ran }, 200)
      }
    },
  )
}

/** `Upstash-Retried`: 0 on the first delivery of a message. Unsigned, so only ever used to pick who retries. */
function retriedHeader(c: Context<AppEnv>): number {
  const n = Number.parseInt(c.req.header('Upstash-Retried') ?? '0', 10)
  return Number.isFinite(n) && n > 0 ? n : 0
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
