/**
 * Operators and the management side of the catalogue: operator profiles, an operator's own tours (any status,
 * never cached, so what was just saved is what is read), and departures — one by one, from a recurrence rule,
 * edited and cancelled. Operators reach only their own; admins reach all; travellers none.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import * as booking from '../pillars/booking/service.ts'
import { errorResponses } from '../core/http/problem.ts'
import { requireAuth, requireRole } from '../core/auth/guard.ts'
import * as discovery from '../pillars/discovery/service.ts'
import {
  cancelBody,
  dateRangeQuery,
  departureInputBody,
  departurePatchBody,
  generatedDeparturesSchema,
  idParam,
  json,
  jsonResponse,
  managedDepartureSchema,
  operatorInputBody,
  operatorSchema,
  recurrenceRuleBody,
  tourSchema,
} from './tours-schemas.ts'

const managers = { security: [{ bearer: [] }], middleware: [requireAuth(), requireRole('operator', 'admin')] }
const operatorsOnly = { security: [{ bearer: [] }], middleware: [requireAuth(), requireRole('operator')] }

const createOperatorRoute = createRoute({
  method: 'post',
  path: '/v1/operators',
  tags: ['catalogue management'],
  summary: 'Create an operator profile',
  description: 'An operator account creates its own (one per account); an admin creates one for `userId`.',
  ...managers,
  request: { body: json(operatorInputBody) },
  responses: { 201: jsonResponse('The profile', operatorSchema), ...errorResponses(400, 401, 403, 409, 415, 422) },
})

const getOperatorRoute = createRoute({
  method: 'get',
  path: '/v1/operators/{id}',
  tags: ['catalogue'],
  summary: 'An operator profile',
  request: { params: idParam },
  responses: { 200: jsonResponse('The profile', operatorSchema), ...errorResponses(400, 404) },
})

const ownProfileRoute = createRoute({
  method: 'get',
  path: '/v1/operator/profile',
  tags: ['catalogue management'],
  summary: "The calling operator's profile",
  ...operatorsOnly,
  responses: { 200: jsonResponse('The profile', operatorSchema), ...errorResponses(401, 403, 409) },
})

const listOwnToursRoute = createRoute({
  method: 'get',
  path: '/v1/operator/tours',
  tags: ['catalogue management'],
  summary: 'Tours I manage (admins: all), newest first, any status',
  ...managers,
  request: { query: z.object({ cursor: z.string().max(500).optional(), limit: z.coerce.number().int().min(1).max(100).default(50) }) },
  responses: {
    200: jsonResponse('A page of tours', z.object({ items: z.array(tourSchema), nextCursor: z.string().nullable() }).openapi('TourPage')),
    ...errorResponses(400, 401, 403, 409),
  },
})

const getOwnTourRoute = createRoute({
  method: 'get',
  path: '/v1/operator/tours/{id}',
  tags: ['catalogue management'],
  summary: 'A tour I manage, in every language and any status',
  ...managers,
  request: { params: idParam },
  responses: { 200: jsonResponse('The tour', tourSchema), ...errorResponses(400, 401, 403, 404) },
})

const listOwnDeparturesRoute = createRoute({
  method: 'get',
  path: '/v1/operator/tours/{id}/departures',
  tags: ['catalogue management'],
  summary: 'Departures of a tour I manage, cancelled ones included',
  ...managers,
  request: { params: idParam, query: dateRangeQuery },
  responses: {
    200: jsonResponse('Departures in time order', z.object({ items: z.array(managedDepartureSchema) }).openapi('ManagedDepartureList')),
    ...errorResponses(400, 401, 403, 404),
  },
})

const addDepartureRoute = createRoute({
  method: 'post',
  path: '/v1/tours/{id}/departures',
  tags: ['catalogue management'],
  summary: 'Schedule one departure',
  description: '`startsAt` (an instant) or `localStartsAt` (wall-clock time in the tour time zone). Publishes `departure.scheduled`.',
  ...managers,
  request: { params: idParam, body: json(departureInputBody) },
  responses: { 201: jsonResponse('The departure', managedDepartureSchema), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const generateDeparturesRoute = createRoute({
  method: 'post',
  path: '/v1/tours/{id}/departures/generate',
  tags: ['catalogue management'],
  summary: 'Schedule departures from a recurrence rule',
  description:
    'Dates and times are in the tour time zone (default Asia/Kamchatka, UTC+12); `weekdays` are ISO (Monday = 1). ' +
    'Occurrences the tour already has, and past ones, are skipped, so running a rule again is harmless. ' +
    'One `departure.scheduled` per departure created.',
  ...managers,
  request: { params: idParam, body: json(recurrenceRuleBody) },
  responses: { 201: jsonResponse('What was created and skipped', generatedDeparturesSchema), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const updateDepartureRoute = createRoute({
  method: 'patch',
  path: '/v1/departures/{id}',
  tags: ['catalogue management'],
  summary: 'Change capacity or price overrides',
  description: 'Seats already taken stay taken: capacity moves seats left by the same amount (409 below that). Publishes `departure.updated`.',
  ...managers,
  request: { params: idParam, body: json(departurePatchBody) },
  responses: { 200: jsonResponse('The departure', managedDepartureSchema), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const cancelDepartureRoute = createRoute({
  method: 'post',
  path: '/v1/departures/{id}/cancel',
  tags: ['catalogue management'],
  summary: 'Cancel a departure',
  description:
    'Cancels every held and confirmed booking with a full refund and publishes `departure.cancelled` (once: cancelling again changes nothing). ' +
    'To give the reason travellers are told (weather, volcanic activity), use POST /v1/operator/departures/{id}/cancel.',
  ...managers,
  request: { params: idParam, body: { content: { 'application/json': { schema: cancelBody } }, required: false } },
  responses: { 200: jsonResponse('The departure', managedDepartureSchema), ...errorResponses(400, 401, 403, 404, 415) },
})

export const operatorRoutes = newRouter()
  .openapi(createOperatorRoute, async (c) => c.json(await discovery.createOperator(c.env.deps, c.get('user'), c.req.valid('json')), 201))
  .openapi(getOperatorRoute, async (c) => c.json(await discovery.getOperator(c.env.deps, c.req.valid('param').id), 200))
  .openapi(ownProfileRoute, async (c) => c.json(await discovery.getOwnOperator(c.env.deps, c.get('user')), 200))
  .openapi(listOwnToursRoute, async (c) => c.json(await discovery.listManagedTours(c.env.deps, c.get('user'), c.req.valid('query')), 200))
  .openapi(getOwnTourRoute, async (c) => c.json(await discovery.getManagedTour(c.env.deps, c.get('user'), c.req.valid('param').id), 200))
  .openapi(listOwnDeparturesRoute, async (c) =>
    c.json({ items: await discovery.listManagedDepartures(c.env.deps, c.get('user'), c.req.valid('param').id, c.req.valid('query')) }, 200),
  )
  .openapi(addDepartureRoute, async (c) => c.json(await discovery.addDeparture(c.env.deps, c.get('user'), c.req.valid('param').id, c.req.valid('json')), 201))
  .openapi(generateDeparturesRoute, async (c) =>
    c.json(await discovery.generateDepartures(c.env.deps, c.get('user'), c.req.valid('param').id, c.req.valid('json')), 201),
  )
  .openapi(updateDepartureRoute, async (c) => c.json(await discovery.updateDeparture(c.env.deps, c.get('user'), c.req.valid('param').id, c.req.valid('json')), 200))
  .openapi(cancelDepartureRoute, async (c) => {
    // The body is optional (required: false): without one, validation is skipped and there is no reason.
    const body = (c.req.valid('json') ?? {}) as { reason?: string }
    const id = c.req.valid('param').id
    // Travellers' bookings go with the departure (full refunds); the booking pillar owns that. The catalogue view
    // after it is the same call as before, now a no-op on an already cancelled departure.
    await booking.cancelDeparture(c.env.deps, c.get('user'), id, { reason: 'other', ...(body.reason ? { note: body.reason } : {}) })
    return c.json(await discovery.cancelDeparture(c.env.deps, c.get('user'), id, body.reason), 200)
  })
