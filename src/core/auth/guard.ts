/**
 * Route guards. `requireAuth()` accepts only `Authorization: Bearer <access token>` with a valid signature, issuer
 * and expiry, and puts the caller on `c.get('user')`; anything else is a 401 `unauthorized` with
 * `WWW-Authenticate: Bearer` (RFC 6750). `requireRole(...roles)` runs after it and answers 403 `forbidden`.
 * The token itself never appears in an error.
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../http/request-scope.ts'
import { jwtSecret } from '../config/schema.ts'
import { DomainError } from '../errors.ts'
import type { AuthUser, Role } from './principal.ts'
import { verifyAccessToken } from './tokens.ts'

const REALM = 'Bearer realm="kamhub"'
const BEARER = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i

export function requireAuth(): MiddlewareHandler<AppEnv> {
  return async function requireAuthMiddleware(c, next) {
    const header = c.req.header('Authorization')
    if (!header) throw unauthorized('Missing bearer token', REALM)
    const match = BEARER.exec(header.trim())
    if (!match) throw unauthorized('The Authorization header must be "Bearer <token>"', `${REALM}, error="invalid_request"`)
    const { config, clock } = c.env.deps
    const user = await verifyAccessToken(match[1]!, { secret: jwtSecret(config), issuer: config.JWT_ISSUER, now: clock.now() })
    if (!user) throw unauthorized('The access token is invalid or expired', `${REALM}, error="invalid_token"`)
    c.set('user', user)
    await next()
  }
}

export function requireRole(...roles: Role[]): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const user = c.get('user') as AuthUser | undefined
    // Mounted without requireAuth: a wiring mistake, but it must still fail closed.
    if (!user) throw unauthorized('Missing bearer token', REALM)
    if (!roles.includes(user.role)) throw new DomainError('forbidden', `This action requires the ${roles.join(' or ')} role`)
    await next()
  }
}

function unauthorized(detail: string, challenge: string) {
  return new DomainError('unauthorized', detail, { headers: { 'WWW-Authenticate': challenge } })
}
