/**
 * /v1/admin/subscriptions: partner webhooks (create, edit, rotate the secret, deactivate), the list of every
 * subscription, and the repair tools — replay a range of events to one subscription, redrive its dead
 * deliveries. Admins only; every change is logged with the admin's id (never with a secret).
 *
 * A signing secret appears in exactly two answers: the 201 that created the subscription and the answer of the
 * rotation that made it, both `Cache-Control: no-store`.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { errorResponses } from '../core/http/problem.ts'
import {
  createWebhookSubscription,
  deactivateWebhookSubscription,
  listSubscriptions,
  rotateWebhookSecret,
  updateWebhookSubscription,
  WEBHOOK_DEFAULTS,
} from '../events/http-subscriptions.ts'
import { redriveSubscription, replayEvents } from '../events/replay.ts'
import { adminOnly, patternText, seqText } from './admin-events.ts'

const json = <T extends z.ZodType>(schema: T, required = true) => ({ content: { 'application/json': { schema } }, required })
const ok = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } })
const NO_STORE = { 'Cache-Control': 'no-store' }
const DEFAULT_GRACE_SECONDS = 86_400

const nameParam = z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/).openapi({ example: 'partner-ski-tours' }) })
const secretSchema = z.string().openapi({ description: 'whsec_<base64>: shown once; store it now', example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })

const options = {
  maxAttempts: z.number().int().min(1).max(100).optional().openapi({ description: `Default ${WEBHOOK_DEFAULTS.maxAttempts}` }),
  backoffBaseMs: z.number().int().min(100).max(3_600_000).optional().openapi({ description: `Default ${WEBHOOK_DEFAULTS.backoffBaseMs}` }),
  backoffMaxMs: z.number().int().min(100).max(86_400_000).optional().openapi({ description: `Default ${WEBHOOK_DEFAULTS.backoffMaxMs}` }),
  ordered: z.boolean().optional().openapi({ description: 'Deliver the events of one aggregate one at a time, in order' }),
}
const patterns = z.array(patternText).min(1).max(20)
const url = z.url().max(2000).openapi({ example: 'https://partner.example/kamhub/webhooks' })

const subscriptionSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['code', 'http']),
    url: z.string().nullable(),
    patterns: z.array(z.string()),
    active: z.boolean(),
    ordered: z.boolean(),
    maxAttempts: z.number().int(),
    backoffBaseMs: z.number().int(),
    backoffMaxMs: z.number().int(),
    signing: z
      .object({ secrets: z.number().int(), previousSecretExpiresAt: z.iso.datetime().nullable() })
      .nullable()
      .openapi({ description: 'HTTP only: how many secrets sign now (2 during a rotation) — never the secrets' }),
    deliveries: z.object({ pending: z.number().int(), dead: z.number().int() }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .openapi('Subscription')

const createRouteDef = createRoute({
  method: 'post',
  path: '/v1/admin/subscriptions',
  tags: ['admin', 'events'],
  summary: 'Create a partner webhook',
  description: 'Events whose type matches a pattern are POSTed to the URL, signed per Standard Webhooks (see /asyncapi.json). The signing secret is in this answer only.',
  ...adminOnly,
  request: { body: json(z.object({ name: nameParam.shape.name, url, patterns, ...options }).openapi('CreateWebhookRequest')) },
  responses: {
    201: ok('Created; keep the secret', z.object({ subscription: subscriptionSchema, secret: secretSchema }).openapi('CreatedWebhook')),
    ...errorResponses(400, 401, 403, 409, 415),
  },
})

const listRoute = createRoute({
  method: 'get',
  path: '/v1/admin/subscriptions',
  tags: ['admin', 'events'],
  summary: 'Every subscription (code and HTTP), by name',
  ...adminOnly,
  request: { query: z.object({ cursor: z.string().max(1000).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }) },
  responses: {
    200: ok('A page of subscriptions', z.object({ items: z.array(subscriptionSchema), nextCursor: z.string().nullable(), hasMore: z.boolean() }).openapi('SubscriptionPage')),
    ...errorResponses(400, 401, 403),
  },
})

const updateRoute = createRoute({
  method: 'patch',
  path: '/v1/admin/subscriptions/{name}',
  tags: ['admin', 'events'],
  summary: 'Edit a partner webhook, or (re)activate it',
  description: '`active: true` reactivates a subscription deactivated by DELETE or by a 410 answer; redrive afterwards to send what was parked.',
  ...adminOnly,
  request: { params: nameParam, body: json(z.object({ url: url.optional(), patterns: patterns.optional(), active: z.boolean().optional(), ...options }).openapi('UpdateWebhookRequest')) },
  responses: { 200: ok('The subscription', subscriptionSchema), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const deleteRoute = createRoute({
  method: 'delete',
  path: '/v1/admin/subscriptions/{name}',
  tags: ['admin', 'events'],
  summary: 'Deactivate a partner webhook',
  description: 'No new events fan out to it; its pending deliveries become dead (`deactivated`). The row and its history stay.',
  ...adminOnly,
  request: { params: nameParam },
  responses: { 204: { description: 'Deactivated' }, ...errorResponses(401, 403, 404, 409) },
})

const rotateRoute = createRoute({
  method: 'post',
  path: '/v1/admin/subscriptions/{name}/rotate-secret',
  tags: ['admin', 'events'],
  summary: 'Rotate the signing secret',
  description: 'The new secret signs from now on; the previous one keeps signing too for `graceSeconds` (default a day), so the partner can switch without a failed delivery. `graceSeconds: 0` revokes it at once (a leaked secret).',
  ...adminOnly,
  request: { params: nameParam, body: json(z.object({ graceSeconds: z.number().int().min(0).max(30 * 86_400).default(DEFAULT_GRACE_SECONDS) }).openapi('RotateSecretRequest'), false) },
  responses: {
    200: ok('The new secret, shown once', z.object({ secret: secretSchema, previousSecretExpiresAt: z.iso.datetime().nullable() }).openapi('RotatedSecret')),
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
})

const replayRoute = createRoute({
  method: 'post',
  path: '/v1/admin/subscriptions/{name}/replay',
  tags: ['admin', 'events'],
  summary: 'Replay past events to one subscription',
  description:
    'Creates fresh pending deliveries, keeping the event ids (receivers dedupe on them), for events in the range that match ' +
    'both `pattern` and the subscription. Events already pending for it are skipped, so repeating a replay adds nothing.',
  ...adminOnly,
  request: {
    params: nameParam,
    body: json(
      z
        .object({
          pattern: patternText.optional().openapi({ description: "Default: the subscription's own patterns" }),
          fromSeq: seqText.optional(),
          toSeq: seqText.optional(),
          from: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Event time, inclusive' }),
          to: z.iso.datetime({ offset: true }).optional().openapi({ description: 'Event time, exclusive' }),
        })
        .refine((b) => b.fromSeq || b.toSeq || b.from || b.to, 'give at least one of fromSeq, toSeq, from, to')
        .openapi('ReplayRequest'),
    ),
  },
  responses: {
    200: ok('What the replay did', z.object({ scanned: z.number().int(), created: z.number().int() }).openapi('ReplayResult')),
    ...errorResponses(400, 401, 403, 404, 409, 415),
  },
})

const redriveRoute = createRoute({
  method: 'post',
  path: '/v1/admin/subscriptions/{name}/redrive',
  tags: ['admin', 'events'],
  summary: 'Send dead deliveries again',
  description: 'Dead deliveries (all, or the given ids) go back to pending with a fresh attempt budget.',
  ...adminOnly,
  request: { params: nameParam, body: json(z.object({ ids: z.array(seqText).max(1000).optional() }).openapi('RedriveRequest'), false) },
  responses: { 200: ok('How many were redriven', z.object({ redriven: z.number().int() }).openapi('RedriveResult')), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

export const adminSubscriptionRoutes = newRouter()
  .openapi(createRouteDef, async (c) => {
    const { deps } = c.env
    const created = await createWebhookSubscription(deps.db.orm, c.req.valid('json'), { requireHttps: deps.config.production })
    c.env.logger.info({ actor: c.get('user').id, subscription: created.subscription.name }, 'webhook subscription created')
    return c.json(created, 201, NO_STORE)
  })
  .openapi(listRoute, async (c) => c.json(await listSubscriptions(c.env.deps.db.orm, c.req.valid('query')), 200))
  .openapi(updateRoute, async (c) => {
    const { deps } = c.env
    const { name } = c.req.valid('param')
    const updated = await updateWebhookSubscription(deps.db.orm, name, c.req.valid('json'), { requireHttps: deps.config.production })
    c.env.logger.info({ actor: c.get('user').id, subscription: name, fields: Object.keys(c.req.valid('json')) }, 'webhook subscription updated')
    return c.json(updated, 200)
  })
  .openapi(deleteRoute, async (c) => {
    const { name } = c.req.valid('param')
    await deactivateWebhookSubscription(c.env.deps.db.orm, name)
    c.env.logger.info({ actor: c.get('user').id, subscription: name }, 'webhook subscription deactivated')
    return c.body(null, 204)
  })
  .openapi(rotateRoute, async (c) => {
    const { name } = c.req.valid('param')
    // An absent body is not validated (so its default is not applied): the default is repeated here.
    const { graceSeconds = DEFAULT_GRACE_SECONDS } = c.req.valid('json')
    const rotated = await rotateWebhookSecret(c.env.deps.db.orm, name, { graceSeconds })
    c.env.logger.info({ actor: c.get('user').id, subscription: name, previousSecretExpiresAt: rotated.previousSecretExpiresAt }, 'webhook secret rotated')
    return c.json(rotated, 200, NO_STORE)
  })
  .openapi(replayRoute, async (c) => {
    const { name } = c.req.valid('param')
    const result = await replayEvents(c.env.deps.db, name, c.req.valid('json'))
    c.env.logger.info({ actor: c.get('user').id, subscription: name, range: c.req.valid('json'), ...result }, 'events replayed')
    return c.json({ scanned: result.scanned, created: result.created }, 200)
  })
  .openapi(redriveRoute, async (c) => {
    const { name } = c.req.valid('param')
    const redriven = await redriveSubscription(c.env.deps.db, name, c.req.valid('json'))
    c.env.logger.info({ actor: c.get('user').id, subscription: name, redriven }, 'dead deliveries redriven')
    return c.json({ redriven }, 200)
  })
