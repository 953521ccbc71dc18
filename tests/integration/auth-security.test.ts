/**
 * Security tests for the authenticated route family (/v1/me, /v1/admin/*): every way a bearer token can be wrong
 * ends in 401 + `WWW-Authenticate: Bearer`, a valid token with the wrong role in 403, and no secret is ever written
 * to the logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SignJWT } from 'jose'
import { Writable } from 'node:stream'
import { startTestApp, type TestApp } from '../support/app.ts'
import { PASSWORD, bearer, loginUser, manualClock, postJson, registerUser, uniqueEmail } from '../support/auth.ts'
import { createLogger } from '../../src/core/monitoring/logger.ts'
import { jwtSecret } from '../../src/core/config/schema.ts'
import { issueAccessToken } from '../../src/core/auth/tokens.ts'
import { bootstrapAdmin } from '../../src/core/auth/bootstrap.ts'
import type { Session } from '../../src/core/auth/service.ts'

const ADMIN = { email: 'root@example.com', password: 'admin password 123' }
const logLines: string[] = []
const clock = manualClock()
let t: TestApp
let admin: Session
let traveller: Session

beforeAll(async () => {
  const logger = createLogger({ level: 'debug', destination: new Writable({ write: (chunk, _e, done) => (logLines.push(String(chunk)), done()) }) })
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000', ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password }, deps: { logger, clock } })
  await bootstrapAdmin(t.deps)
  admin = await loginUser(t, ADMIN.email, ADMIN.password)
  traveller = await registerUser(t)
})
afterAll(() => t.close())

const setRole = (id: string, role: string, headers: Record<string, string> = {}) =>
  t.app.request(`/v1/admin/users/${id}/role`, { method: 'PATCH', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ role }) })

/** Every protected route, called with the given headers. */
const protectedCalls = (headers: Record<string, string>) => [
  () => t.app.request('/v1/me', { headers }),
  () => setRole(traveller.user.id, 'operator', headers),
]

async function expectUnauthorized(headers: Record<string, string>) {
  for (const call of protectedCalls(headers)) {
    const res = await call()
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="kamhub"/)
    expect(await res.json()).toMatchObject({ code: 'unauthorized', status: 401 })
  }
}

describe('bearer authentication on protected routes', () => {
  it('no token → 401', async () => {
    await expectUnauthorized({})
  })

  it('a malformed Authorization header → 401', async () => {
    for (const value of ['Bearer', 'Bearer ', 'Token abc', `Basic ${btoa('a:b')}`, 'Bearer two words', 'Bearer abc.def.ghi']) {
      await expectUnauthorized({ Authorization: value })
    }
  })

  it('a token signed with another secret → 401', async () => {
    const forged = await issueAccessToken(
      { id: admin.user.id, email: ADMIN.email, role: 'admin' },
      { secret: 'some-other-secret-some-other-secret-123', issuer: t.deps.config.JWT_ISSUER, ttlSeconds: 900, now: clock.now() },
    )
    await expectUnauthorized(bearer(forged.token))
  })

  it('an unsigned (alg none) token → 401', async () => {
    const enc = (o: object) => btoa(JSON.stringify(o)).replace(/=+$/, '')
    const now = Math.floor(clock.now().getTime() / 1000)
    const token = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: admin.user.id, role: 'admin', email: ADMIN.email, iss: 'kamhub', iat: now, exp: now + 600 })}.`
    await expectUnauthorized(bearer(token))
  })

  it('a token from another issuer → 401', async () => {
    const key = new TextEncoder().encode(jwtSecret(t.deps.config))
    const now = Math.floor(clock.now().getTime() / 1000)
    const token = await new SignJWT({ role: 'admin', email: ADMIN.email }).setProtectedHeader({ alg: 'HS256' }).setIssuer('elsewhere').setSubject(admin.user.id).setIssuedAt(now).setExpirationTime(now + 600).sign(key)
    await expectUnauthorized(bearer(token))
  })

  it('an expired token → 401', async () => {
    const { tokens } = await registerUser(t)
    expect((await t.app.request('/v1/me', { headers: bearer(tokens.accessToken) })).status).toBe(200)
    clock.advance(t.deps.config.ACCESS_TOKEN_TTL_SECONDS + 1)
    try {
      await expectUnauthorized(bearer(tokens.accessToken))
    } finally {
      clock.advance(-(t.deps.config.ACCESS_TOKEN_TTL_SECONDS + 1))
    }
  })

  it('a refresh token used as a bearer token → 401', async () => {
    await expectUnauthorized(bearer(traveller.tokens.refreshToken))
  })
})

describe('admin role management', () => {
  it('a traveller or an operator calling an admin route → 403 forbidden', async () => {
    const res = await setRole(traveller.user.id, 'admin', bearer(traveller.tokens.accessToken))
    expect(res.status).toBe(403)
    expect(await res.json()).toMatchObject({ code: 'forbidden' })

    const op = await registerUser(t)
    expect((await setRole(op.user.id, 'operator', bearer(admin.tokens.accessToken))).status).toBe(200)
    const opSession = await loginUser(t, op.user.email)
    expect((await setRole(traveller.user.id, 'operator', bearer(opSession.tokens.accessToken))).status).toBe(403)
  })

  it('an admin grants a role; /v1/me shows it at once', async () => {
    const user = await registerUser(t)
    const res = await setRole(user.user.id, 'operator', bearer(admin.tokens.accessToken))
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: user.user.id, role: 'operator' })
    expect(await (await t.app.request('/v1/me', { headers: bearer(user.tokens.accessToken) })).json()).toMatchObject({ role: 'operator' })
  })

  it('an admin cannot change their own role', async () => {
    const res = await setRole(admin.user.id, 'traveller', bearer(admin.tokens.accessToken))
    expect(res.status).toBe(403)
  })

  it('an unknown user is 404, a non-uuid id or an unknown role is 400', async () => {
    expect((await setRole(crypto.randomUUID(), 'operator', bearer(admin.tokens.accessToken))).status).toBe(404)
    expect((await setRole('not-a-uuid', 'operator', bearer(admin.tokens.accessToken))).status).toBe(400)
    expect((await setRole(traveller.user.id, 'superuser', bearer(admin.tokens.accessToken))).status).toBe(400)
  })
})

describe('secrets stay out of logs', () => {
  it('no password, access token or refresh token appears in any log line', async () => {
    const email = uniqueEmail('logged')
    const password = 'a very secret passphrase'
    const reg = await registerUser(t, { email, password })
    await postJson(t, '/v1/auth/login', { email, password: 'wrong password guess' })
    const login = await loginUser(t, email, password)
    const next = (await (await postJson(t, '/v1/auth/refresh', { refreshToken: login.tokens.refreshToken })).json()) as Session
    await postJson(t, '/v1/auth/refresh', { refreshToken: login.tokens.refreshToken }) // reuse → warning logged
    await t.app.request('/v1/me', { headers: bearer(reg.tokens.accessToken) })
    await t.app.request('/v1/me', { headers: bearer(reg.tokens.accessToken + 'x') })
    await postJson(t, '/v1/auth/logout', { refreshToken: reg.tokens.refreshToken })

    const logs = logLines.join('\n')
    expect(logs).toContain('refresh reuse detected')
    for (const secret of [password, 'wrong password guess', PASSWORD, ADMIN.password, reg.tokens.accessToken, reg.tokens.refreshToken, login.tokens.accessToken, login.tokens.refreshToken, next.tokens.refreshToken]) {
      expect(logs).not.toContain(secret)
    }
  })
})
