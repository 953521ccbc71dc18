/**
 * /v1/admin/events and /v1/admin/deliveries: the event history and the delivery ledger (admins only).
 * The history has two orders — newest first for browsing, and `order=asc`, a feed that never skips an event
 * committed late (see src/events/history.ts for why it is keyed by transaction id and seq).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { errorResponses } from '../core/http/problem.ts'
import { requireAuth, requireRole } from '../core/auth/guard.ts'
import { getEvent, listDeliveries, listEvents } from '../events/history.ts'
import { cloudEventSchema } from '../events/envelope-schema.ts'
import { validatePattern } from '../events/pattern.ts'

/** Contract fields shared by every admin route: bearer security and the admin guard. */
export const adminOnly = { security: [{ bearer: [] }], middleware: [requireAuth(), requireRole('admin')] }

export const seqText = z.string().regex(/^\d{1,19}$/, 'a decimal seq').openapi({ example: '1042' })
export const patternText = z
  .string()
  .max(200)
  .refine((p) => {
    try {
      validatePattern(p)
      return true
    } catch {
      return false
    }
  }, 'a pattern of dot-separated segments, "*" for one and "#" for any number')
  .openapi({ example: 'booking.*' })
const isoTime = z.iso.datetime({ offset: true }).openapi({ example: '2025-07-01T00:00:00Z' })
const page = {
  cursor: z.string().max(1000).optional().openapi({ description: 'nextCursor of the previous page (opaque)' }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
}

const envelope = cloudEventSchema.openapi('CloudEvent')

const deliverySchema = z
  .object({
    id: z.string(),
    eventId: z.uuid(),
    eventType: z.string(),
    subscription: z.string(),
    status: z.enum(['pending', 'delivered', 'dead']),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    nextAttemptAt: z.iso.datetime().nullable().openapi({ description: 'Pending only: when it may run next' }),
    deadReason: z.string().nullable().openapi({ description: 'max_attempts, poison, rejected (410 Gone) or deactivated' }),
    replayOf: z.string().nullable().openapi({ description: 'The earlier delivery of the same event this one replays' }),
    createdAt: z.iso.datetime(),
    completedAt: z.iso.datetime().nullable(),
  })
  .openapi('Delivery')

const pageOf = <T extends z.ZodType, X extends z.ZodRawShape = {}>(item: T, name: string, extra?: X) =>
  z
    .object({
      items: z.array(item),
      nextCursor: z.string().nullable().openapi({ description: 'Resume after the last item (a feed can keep it and poll later)' }),
      hasMore: z.boolean().openapi({ description: 'The page was full: there may be more now' }),
      ...(extra as X),
    })
    .openapi(name)

const listEventsRoute = createRoute({
  method: 'get',
  path: '/v1/admin/events',
  tags: ['admin', 'events'],
  summary: 'Event history',
  description:
    'Filters combine with AND. `order=desc` (default) is newest first by seq, for browsing. `order=asc` is a feed: ' +
    'ordered by (transaction id, seq) and limited to transactions that have finished, so a consumer walking it with ' +
    'nextCursor never skips an event that committed late with a lower seq.',
  ...adminOnly,
  request: {
    query: z.object({
      type: patternText.optional(),
      subject: z.string().max(200).optional(),
      aggregateType: z.string().max(100).optional(),
      aggregateId: z.string().max(200).optional(),
      from: isoTime.optional().openapi({ description: 'Event time, inclusive' }),
      to: isoTime.optional().openapi({ description: 'Event time, exclusive' }),
      fromSeq: seqText.optional().openapi({ description: 'Inclusive' }),
      toSeq: seqText.optional().openapi({ description: 'Inclusive' }),
      order: z.enum(['desc', 'asc']).default('desc'),
      ...page,
    }),
  },
  responses: {
    200: {
      description: 'A page of events',
      content: {
        'application/json': {
          schema: pageOf(envelope, 'EventPage', {
            heldBack: z.boolean().openapi({ description: 'order=asc: committed events wait for older transactions to finish; poll again soon' }),
          }),
        },
      },
    },
    ...errorResponses(400, 401, 403),
  },
})

const getEventRoute = createRoute({
  method: 'get',
  path: '/v1/admin/events/{id}',
  tags: ['admin', 'events'],
  summary: 'One event with its deliveries',
  ...adminOnly,
  request: { params: z.object({ id: z.uuid() }) },
  responses: {
    200: {
      description: 'The envelope and every delivery of it, oldest first',
      content: { 'application/json': { schema: z.object({ event: envelope, deliveries: z.array(deliverySchema) }).openapi('EventWithDeliveries') } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
})

const listDeliveriesRoute = createRoute({
  method: 'get',
  path: '/v1/admin/deliveries',
  tags: ['admin', 'events'],
  summary: 'Deliveries, newest first',
  description: '`status=dead` is the dead-letter view; redrive them with POST /v1/admin/subscriptions/{name}/redrive.',
  ...adminOnly,
  request: {
    query: z.object({
      status: z.enum(['pending', 'delivered', 'dead']).optional(),
      subscription: z.string().max(100).optional(),
      ...page,
    }),
  },
  responses: { 200: { description: 'A page of deliveries', content: { 'application/json': { schema: pageOf(deliverySchema, 'DeliveryPage') } } }, ...errorResponses(400, 401, 403) },
})

export const adminEventRoutes = newRouter()
  .openapi(listEventsRoute, async (c) => c.json(await listEvents(c.env.deps.db.orm, c.req.valid('query')), 200))
  .openapi(getEventRoute, async (c) => c.json(await getEvent(c.env.deps.db.orm, c.req.valid('param').id), 200))
  .openapi(listDeliveriesRoute, async (c) => c.json(await listDeliveries(c.env.deps.db.orm, c.req.valid('query')), 200))
