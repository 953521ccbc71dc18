import { describe, expect, it } from 'vitest'
import { Hono } from 'hono'
import { requireAuth, requireRole } from './guard.ts'
import { issueAccessToken } from './tokens.ts'
import { parseConfig, jwtSecret } from '../config/schema.ts'
import { onError } from '../http/on-error.ts'
import { createLogger } from '../monitoring/logger.ts'
import type { Deps } from '../../deps.ts'
import type { AuthUser } from './principal.ts'
import { RequestScope, type AppEnv } from '../http/request-scope.ts'

const config = parseConfig({ NODE_ENV: 'test', JWT_SECRET: 'guard-test-secret-guard-test-secret-123' })
const now = new Date('2026-11-01T10:00:00Z')
const deps = { config, clock: { now: () => now }, logger: createLogger({ level: 'silent' }) } as unknown as Deps

/** The guards behind routes, each request with its scope as the app's envelope gives it (`c.env`). */
function app() {
  const routes = new Hono<AppEnv>()
    .get('/me', requireAuth(), (c) => c.json(c.get('user')))
    .get('/admin', requireAuth(), requireRole('admin'), (c) => c.text('ok'))
    .get('/unguarded-role', requireRole('admin'), (c) => c.text('ok'))
    .onError(onError)
  return { request: (path: string, init?: RequestInit) => routes.request(path, init, new RequestScope('guard-test', deps)) }
}

const traveller: AuthUser = { id: '0b8c1a52-2f1e-4f4a-9f57-3f1f5d1a2b3c', email: 'anna@example.com', role: 'traveller' }
const tokenFor = async (user: AuthUser) =>
  (await issueAccessToken(user, { secret: jwtSecret(config), issuer: config.JWT_ISSUER, ttlSeconds: 900, now })).token

describe('requireAuth', () => {
  it('puts the verified caller on the context', async () => {
    const res = await app().request('/me', { headers: { Authorization: `Bearer ${await tokenFor(traveller)}` } })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(traveller)
  })

  it('accepts the scheme in any case', async () => {
    const res = await app().request('/me', { headers: { Authorization: `bearer ${await tokenFor(traveller)}` } })
    expect(res.status).toBe(200)
  })

  it('answers 401 with a Bearer challenge for a missing, non-bearer or garbage header', async () => {
    for (const header of [undefined, 'Basic dXNlcjpwdw==', 'Bearer', 'Bearer a b', 'Bearer not-a-jwt']) {
      const res = await app().request('/me', { headers: header ? { Authorization: header } : {} })
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="kamhub"/)
      expect(await res.json()).toMatchObject({ code: 'unauthorized' })
    }
  })

  it('never echoes the presented token in the error', async () => {
    // The signature's first character changed: it carries six whole bits of the MAC. Its last ones do not — the
    // final base64url character of a 32-byte MAC holds four bits and two of padding that decoders ignore, so an
    // edit there could leave the same signature (once in about a thousand tokens; CI met it).
    const [header, payload, signature] = (await tokenFor(traveller)).split('.') as [string, string, string]
    const token = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`
    const res = await app().request('/me', { headers: { Authorization: `Bearer ${token}` } })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"')
    expect(await res.text()).not.toContain(token.split('.')[2]!)
  })
})

describe('requireRole', () => {
  it('answers 403 forbidden when the caller lacks the role, and passes when it has it', async () => {
    const denied = await app().request('/admin', { headers: { Authorization: `Bearer ${await tokenFor(traveller)}` } })
    expect(denied.status).toBe(403)
    expect(await denied.json()).toMatchObject({ code: 'forbidden' })
    const allowed = await app().request('/admin', { headers: { Authorization: `Bearer ${await tokenFor({ ...traveller, role: 'admin' })}` } })
    expect(allowed.status).toBe(200)
  })

  it('fails closed with 401 when mounted without requireAuth', async () => {
    const res = await app().request('/unguarded-role')
    expect(res.status).toBe(401)
  })
})
