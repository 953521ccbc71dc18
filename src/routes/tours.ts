/**
 * /v1/tours: the public catalogue (search, a tour, its departures — cached, with ETag and 304) and tour
 * management (create, edit, publish, archive — operators their own tours, admins any).
 */
import { createRoute } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { errorResponses } from '../core/http/problem.ts'
import { requireAuth, requireRole } from '../core/auth/guard.ts'
import * as discovery from '../pillars/discovery/service.ts'
import { cachedResponse, waitUntilOf } from './cached-answer.ts'
import { validationProblem } from '../core/http/validation.ts'
import {
  cachedHeaders,
  dateRangeQuery,
  departureListSchema,
  idParam,
  json,
  jsonResponse,
  notModified,
  publicTourSchema,
  requestLanguage,
  searchQuery,
  searchResultSchema,
  tourInputBody,
  tourPatchBody,
  tourSchema,
} from './tours-schemas.ts'

const managers = { security: [{ bearer: [] }], middleware: [requireAuth(), requireRole('operator', 'admin')] }

const searchRoute = createRoute({
  method: 'get',
  path: '/v1/tours',
  tags: ['catalogue'],
  summary: 'Search published tours',
  description:
    'Text in Russian and English with stemming, tolerant of typos and transliteration ("Авача", "avacha" and ' +
    '"avachinsky" find the same volcano). Filters combine with AND; `category` and `difficulty` take comma lists. ' +
    'Availability: `from`/`to` (dates are Kamchatka days, `to` inclusive; or instants) and `party` keep tours with a ' +
    'departure in the window with that many seats left. Geo: `near=lat,lng` with `radiusKm` (default 50, at most 500), ' +
    'and/or `bbox=west,south,east,north`. Sorts: relevance (default with q), distance (default with near), soonest ' +
    '(default otherwise), price_asc, price_desc, rating. `facets=true` adds category and price-bucket counts. ' +
    'The content language comes from `lang` or Accept-Language (ru, en, zh; fallback ru).',
  request: { query: searchQuery },
  responses: {
    200: { ...jsonResponse('A page of tours', searchResultSchema), headers: cachedHeaders },
    ...notModified,
    ...errorResponses(400),
  },
})

const getTourRoute = createRoute({
  method: 'get',
  path: '/v1/tours/{id}',
  tags: ['catalogue'],
  summary: 'A published tour with its upcoming departures and seats left',
  request: { params: idParam },
  responses: {
    200: { ...jsonResponse('The tour in the content language', publicTourSchema), headers: cachedHeaders },
    ...notModified,
    ...errorResponses(400, 404),
  },
})

const listDeparturesRoute = createRoute({
  method: 'get',
  path: '/v1/tours/{id}/departures',
  tags: ['catalogue'],
  summary: "A published tour's open departures in a time range",
  request: { params: idParam, query: dateRangeQuery },
  responses: {
    200: { ...jsonResponse('Departures in time order', departureListSchema), headers: cachedHeaders },
    ...notModified,
    ...errorResponses(400, 404),
  },
})

const createTourRoute = createRoute({
  method: 'post',
  path: '/v1/tours',
  tags: ['catalogue management'],
  summary: 'Create a tour (draft)',
  description: 'Operators create tours for their own profile; admins name `operatorId`. Publishes `tour.created`.',
  ...managers,
  request: { body: json(tourInputBody) },
  responses: { 201: jsonResponse('The new draft', tourSchema), ...errorResponses(400, 401, 403, 409, 415, 422) },
})

const updateTourRoute = createRoute({
  method: 'patch',
  path: '/v1/tours/{id}',
  tags: ['catalogue management'],
  summary: 'Edit a tour',
  description: 'Replaces the top-level fields given. Archived tours cannot be edited. Publishes `tour.updated` with the fields.',
  ...managers,
  request: { params: idParam, body: json(tourPatchBody) },
  responses: { 200: jsonResponse('The tour', tourSchema), ...errorResponses(400, 401, 403, 404, 409, 415) },
})

const publishRoute = createRoute({
  method: 'post',
  path: '/v1/tours/{id}/publish',
  tags: ['catalogue management'],
  summary: 'Publish a draft',
  description: 'draft → published: travellers can find and read it. Publishes `tour.published`.',
  ...managers,
  request: { params: idParam },
  responses: { 200: jsonResponse('The tour', tourSchema), ...errorResponses(401, 403, 404, 409) },
})

const archiveRoute = createRoute({
  method: 'post',
  path: '/v1/tours/{id}/archive',
  tags: ['catalogue management'],
  summary: 'Archive a tour',
  description: 'draft | published → archived: withdrawn from sale. Publishes `tour.archived`.',
  ...managers,
  request: { params: idParam },
  responses: { 200: jsonResponse('The tour', tourSchema), ...errorResponses(401, 403, 404, 409) },
})

// The id schema's own check (a z.uuid() is its pattern alone), tested without a zod parse on the hot path.
const UUID = idParam.shape.id._zod.def.pattern!
const router = newRouter()
// The documentation of the hand-routed GET /v1/tours/{id} (at the end of the chain): the route object `.openapi()` takes.
router.openAPIRegistry.registerPath(getTourRoute)

export const tourRoutes = router
  // Cached answers go out as their stored JSON text (the contract above still describes them for clients).
  .openapi(searchRoute, async (c) => {
    const query = c.req.valid('query')
    const lang = requestLanguage(c, query.lang)
    const cached = await discovery.searchTours(c.env.deps, query, lang, { waitUntil: waitUntilOf(c) })
    return (await cachedResponse(c, cached, lang)) as never
  })
  .openapi(listDeparturesRoute, async (c) => {
    const cached = await discovery.listPublicDepartures(c.env.deps, c.req.valid('param').id, c.req.valid('query'), { waitUntil: waitUntilOf(c) })
    return (await cachedResponse(c, cached)) as never
  })
  .openapi(createTourRoute, async (c) => c.json(await discovery.createTour(c.env.deps, c.get('user'), c.req.valid('json')), 201))
  .openapi(updateTourRoute, async (c) => c.json(await discovery.updateTour(c.env.deps, c.get('user'), c.req.valid('param').id, c.req.valid('json')), 200))
  .openapi(publishRoute, async (c) => c.json(await discovery.publishTour(c.env.deps, c.get('user'), c.req.valid('param').id), 200))
  .openapi(archiveRoute, async (c) => c.json(await discovery.archiveTour(c.env.deps, c.get('user'), c.req.valid('param').id), 200))
  // The hottest catalogue read, GET /v1/tours/{id}, routed by hand (last: `.get` leaves the OpenAPI chain; its
  // description is registered above). With `.openapi()` the id would be checked in a zod-validator middleware, which
  // is asynchronous and puts every request on Hono's and Node's promise path. Checked here, a cache hit held in
  // memory answers synchronously: no promise from the request to the bytes written (npm run bench:search).
  .get('/v1/tours/:id', (c): Response | Promise<Response> => {
    const id = c.req.param('id')
    // The whole params schema only to word a failure (`param.id`).
    if (!UUID.test(id)) return validationProblem(c, idParam.safeParse({ id }).error!, 'param')
    const lang = requestLanguage(c)
    const hit = discovery.peekPublicTour(c.env.deps, id, lang)
    if (hit) return cachedResponse(c, hit, lang)
    return discovery.getPublicTour(c.env.deps, id, lang, { waitUntil: waitUntilOf(c) }).then((cached) => cachedResponse(c, cached, lang))
  })
