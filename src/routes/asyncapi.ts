/** GET /asyncapi.json: the AsyncAPI 3 document of the domain events partners receive (public, like /openapi.json). */
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { buildAsyncApiDocument } from '../events/asyncapi.ts'

const asyncApi = createRoute({
  method: 'get',
  path: '/asyncapi.json',
  tags: ['events'],
  summary: 'AsyncAPI 3 document of the event catalog and the partner webhook delivery',
  responses: { 200: { description: 'AsyncAPI 3.0 document', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } } },
})

let document: Record<string, unknown> | undefined

export const asyncApiRoutes = newRouter().openapi(asyncApi, (c) => {
  // Built on first use: it depends on the catalog only, which cannot change while the process runs.
  document ??= buildAsyncApiDocument()
  return c.json(document, 200, { 'Cache-Control': 'public, max-age=300' })
})
