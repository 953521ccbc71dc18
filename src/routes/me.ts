/** /v1/me: the signed-in account, read fresh from the database (role changes show at once here). */
import { createRoute } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { errorResponses } from '../core/http/problem.ts'
import { requireAuth } from '../core/auth/guard.ts'
import { getProfile } from '../core/auth/service.ts'
import { userSchema } from './auth.ts'

const getMe = createRoute({
  method: 'get',
  path: '/v1/me',
  tags: ['auth'],
  summary: 'The signed-in account',
  security: [{ bearer: [] }],
  middleware: [requireAuth()] as const,
  responses: { 200: { description: 'The account', content: { 'application/json': { schema: userSchema } } }, ...errorResponses(401) },
})

export const meRoutes = newRouter().openapi(getMe, async (c) => c.json(await getProfile(c.env.deps, c.get('user').id), 200))
