/** /v1/admin/users: account administration (admins only). Operators and admins are made here, never by register. */
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { errorResponses } from '../core/http/problem.ts'
import { requireAuth, requireRole } from '../core/auth/guard.ts'
import { setUserRole } from '../core/auth/service.ts'
import { ROLES } from '../core/auth/principal.ts'
import { userSchema } from './auth.ts'

const setRole = createRoute({
  method: 'patch',
  path: '/v1/admin/users/{id}/role',
  tags: ['admin'],
  summary: "Change a user's role",
  description: 'Tokens already issued keep the old role until they expire; the next refresh carries the new one.',
  security: [{ bearer: [] }],
  middleware: [requireAuth(), requireRole('admin')] as const,
  request: {
    params: z.object({ id: z.uuid() }),
    body: { content: { 'application/json': { schema: z.object({ role: z.enum(ROLES) }).openapi('SetRoleRequest') } }, required: true },
  },
  responses: {
    200: { description: 'The updated user', content: { 'application/json': { schema: userSchema } } },
    ...errorResponses(400, 401, 403, 404, 415),
  },
})

export const adminUserRoutes = newRouter().openapi(setRole, async (c) =>
  c.json(await setUserRole(c.env.deps, c.get('user'), c.req.valid('param').id, c.req.valid('json').role), 200),
)
