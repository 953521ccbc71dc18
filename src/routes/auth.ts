/**
 * /v1/auth: register, login, refresh, logout. Register and login are rate limited per client IP (login also per
 * email); answers carrying tokens are `Cache-Control: no-store`.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { errorResponses } from '../core/http/problem.ts'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../core/auth/password.ts'
import { login, logout, refresh, register } from '../core/auth/service.ts'
import { clientIp, enforceRateLimit, loginRateKey, registerRateKey } from '../core/auth/throttle.ts'
import { ROLES } from '../core/auth/principal.ts'

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email().max(254))
  .openapi({ example: 'anna@example.com', description: 'Compared trimmed and lower-cased' })

const passwordSchema = z
  .string()
  .min(PASSWORD_MIN_LENGTH)
  .max(PASSWORD_MAX_LENGTH)
  .openapi({ format: 'password', example: 'correct horse battery' })

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: z.enum(ROLES),
    displayName: z.string(),
    createdAt: z.iso.datetime(),
  })
  .openapi('User')

const tokensSchema = z
  .object({
    tokenType: z.literal('Bearer'),
    accessToken: z.string().openapi({ description: 'HS256 JWT; send as `Authorization: Bearer <accessToken>`' }),
    accessTokenExpiresAt: z.iso.datetime(),
    expiresIn: z.number().int().openapi({ description: 'Access token lifetime in seconds' }),
    refreshToken: z.string().openapi({ description: 'Opaque; single use — every refresh returns a new one' }),
    refreshTokenExpiresAt: z.iso.datetime(),
  })
  .openapi('Tokens')

const sessionSchema = z.object({ user: userSchema, tokens: tokensSchema }).openapi('Session')

const refreshBody = z.object({ refreshToken: z.string().min(1).max(200) }).openapi('RefreshRequest')

const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } }, required: true })
const sessionResponse = (description: string) => ({ description, content: { 'application/json': { schema: sessionSchema } } })

const registerRoute = createRoute({
  method: 'post',
  path: '/v1/auth/register',
  tags: ['auth'],
  summary: 'Create a traveller account and sign in',
  request: {
    body: json(
      z
        .object({ email: emailSchema, password: passwordSchema, displayName: z.string().trim().min(1).max(100) })
        .openapi('RegisterRequest'),
    ),
  },
  responses: { 201: sessionResponse('Account created; the session tokens'), ...errorResponses(400, 409, 415, 429) },
})

const loginRoute = createRoute({
  method: 'post',
  path: '/v1/auth/login',
  tags: ['auth'],
  summary: 'Sign in with email and password',
  description: 'An unknown email and a wrong password give the same 401.',
  request: { body: json(z.object({ email: emailSchema, password: z.string().min(1).max(PASSWORD_MAX_LENGTH) }).openapi('LoginRequest')) },
  responses: { 200: sessionResponse('Signed in'), ...errorResponses(400, 401, 415, 429) },
})

const refreshRoute = createRoute({
  method: 'post',
  path: '/v1/auth/refresh',
  tags: ['auth'],
  summary: 'Trade a refresh token for new tokens',
  description: 'The presented token is spent. Presenting a spent token again revokes the whole session (401).',
  request: { body: json(refreshBody) },
  responses: { 200: sessionResponse('New tokens'), ...errorResponses(400, 401, 415) },
})

const logoutRoute = createRoute({
  method: 'post',
  path: '/v1/auth/logout',
  tags: ['auth'],
  summary: 'End the session the refresh token belongs to',
  request: { body: json(refreshBody) },
  responses: { 204: { description: 'Signed out (also for unknown or already revoked tokens)' }, ...errorResponses(400, 415) },
})

export const authRoutes = newRouter()
  .openapi(registerRoute, async (c) => {
    const { deps } = c.env
    await enforceRateLimit(deps.rateLimiter, registerRateKey(clientIp(c.req.raw.headers)))
    const session = await register(deps, c.req.valid('json'))
    return c.json(session, 201, { 'Cache-Control': 'no-store' })
  })
  .openapi(loginRoute, async (c) => {
    const { deps } = c.env
    const body = c.req.valid('json')
    await enforceRateLimit(deps.rateLimiter, loginRateKey(clientIp(c.req.raw.headers), body.email))
    const session = await login(deps, body)
    return c.json(session, 200, { 'Cache-Control': 'no-store' })
  })
  .openapi(refreshRoute, async (c) => {
    const session = await refresh(c.env.deps, c.req.valid('json').refreshToken)
    return c.json(session, 200, { 'Cache-Control': 'no-store' })
  })
  .openapi(logoutRoute, async (c) => {
    await logout(c.env.deps, c.req.valid('json').refreshToken)
    return c.body(null, 204)
  })
