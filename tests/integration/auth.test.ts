import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../support/app.ts'
import { PASSWORD, bearer, loginUser, postJson, registerUser, uniqueEmail } from '../support/auth.ts'
import { users } from '../../src/core/auth/tables.ts'
import { insertUser } from '../../src/core/auth/repo.ts'
import { hashPassword } from '../../src/core/auth/password.ts'
import type { Problem } from '../../src/core/http/problem.ts'
import type { Session } from '../../src/core/auth/service.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' } })
})
afterAll(() => t.close())

const storedUser = async (email: string) => (await t.deps.db.orm.select().from(users).where(eq(users.email, email)))[0]

describe('register', () => {
  it('creates a traveller and answers 201 with the user and a token pair, not cacheable', async () => {
    const email = uniqueEmail()
    const res = await postJson(t, '/v1/auth/register', { email, password: PASSWORD, displayName: ' Anna K ' })
    expect(res.status).toBe(201)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = (await res.json()) as Session
    expect(body.user).toMatchObject({ email, role: 'traveller', displayName: 'Anna K' })
    expect(body.tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 })
    expect(body.tokens.accessToken.split('.')).toHaveLength(3)
    expect(body.tokens.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(JSON.stringify(body)).not.toContain(PASSWORD)
  })

  it('always creates a traveller, whatever role the body asks for', async () => {
    const res = await postJson(t, '/v1/auth/register', { email: uniqueEmail(), password: PASSWORD, displayName: 'Eve', role: 'admin' })
    expect(res.status).toBe(201)
    expect(((await res.json()) as Session).user.role).toBe('traveller')
  })

  it('stores the email trimmed and lower-cased, and only a PBKDF2 hash of the password', async () => {
    const session = await registerUser(t, { email: '  Ivan.Petrov@Example.COM ' })
    expect(session.user.email).toBe('ivan.petrov@example.com')
    const row = await storedUser('ivan.petrov@example.com')
    expect(row?.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/)
    expect(row?.passwordHash).not.toContain(PASSWORD)
  })

  it('a second account with the same email in any case is a 409 that reveals nothing else', async () => {
    const email = uniqueEmail()
    await registerUser(t, { email })
    const res = await postJson(t, '/v1/auth/register', { email: email.toUpperCase(), password: 'another password', displayName: 'Other' })
    expect(res.status).toBe(409)
    const problem = (await res.json()) as Problem
    expect(problem).toMatchObject({ code: 'conflict', detail: 'This email is already registered' })
    expect(Object.keys(problem).sort()).toEqual(['code', 'detail', 'instance', 'requestId', 'status', 'title', 'type'])
  })

  it('two registrations racing for one email: exactly one account is created', async () => {
    const email = uniqueEmail()
    const answers = await Promise.all([1, 2, 3].map(() => postJson(t, '/v1/auth/register', { email, password: PASSWORD, displayName: 'Racer' })))
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409])
  })

  it('refuses bad input with field paths and never echoes the password', async () => {
    const short = 'short-pw1'
    const res = await postJson(t, '/v1/auth/register', { email: 'not-an-email', password: short, displayName: '' })
    expect(res.status).toBe(400)
    const text = await res.text()
    expect(text).not.toContain(short)
    const paths = (JSON.parse(text) as Problem).errors!.map((e) => e.path).sort()
    expect(paths).toEqual(['json.displayName', 'json.email', 'json.password'])
    const long = await postJson(t, '/v1/auth/register', { email: uniqueEmail(), password: 'x'.repeat(201), displayName: 'A' })
    expect(long.status).toBe(400)
  })
})

describe('login', () => {
  it('answers 200 with a token pair for the right password, with the email in any case', async () => {
    const { user } = await registerUser(t)
    const session = await loginUser(t, `  ${user.email.toUpperCase()}  `)
    expect(session.user.id).toBe(user.id)
    const me = await t.app.request('/v1/me', { headers: bearer(session.tokens.accessToken) })
    expect(me.status).toBe(200)
  })

  it('an unknown email and a wrong password are indistinguishable: same status, code and detail', async () => {
    const { user } = await registerUser(t)
    const wrong = await postJson(t, '/v1/auth/login', { email: user.email, password: 'not the password' })
    const unknown = await postJson(t, '/v1/auth/login', { email: 'nobody-here@example.com', password: 'not the password' })
    expect(wrong.status).toBe(401)
    expect(unknown.status).toBe(401)
    const strip = ({ requestId: _r, ...rest }: Problem) => rest
    expect(strip((await wrong.json()) as Problem)).toEqual(strip((await unknown.json()) as Problem))
    expect(wrong.headers.get('content-type')).toBe(unknown.headers.get('content-type'))
  })

  it('a hash made with weaker KDF parameters is upgraded on a successful login', async () => {
    const email = uniqueEmail('legacy')
    await insertUser(t.deps.db.orm, { email, passwordHash: await hashPassword(PASSWORD, { iterations: 1_000 }), role: 'traveller', displayName: 'Old', now: new Date() })
    await loginUser(t, email)
    expect((await storedUser(email))?.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$/)
    await loginUser(t, email)
  })

  it('a failed login leaves the stored hash alone', async () => {
    const email = uniqueEmail('legacy')
    const weak = await hashPassword(PASSWORD, { iterations: 1_000 })
    await insertUser(t.deps.db.orm, { email, passwordHash: weak, role: 'traveller', displayName: 'Old', now: new Date() })
    expect((await postJson(t, '/v1/auth/login', { email, password: 'wrong password' })).status).toBe(401)
    expect((await storedUser(email))?.passwordHash).toBe(weak)
  })
})

describe('me', () => {
  it('answers the account behind the access token', async () => {
    const { user, tokens } = await registerUser(t, { displayName: 'Olga' })
    const res = await t.app.request('/v1/me', { headers: bearer(tokens.accessToken) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual(user)
  })

  it('a valid token for an account deleted since is a 401', async () => {
    const { user, tokens } = await registerUser(t)
    await t.deps.db.orm.delete(users).where(eq(users.id, user.id))
    const res = await t.app.request('/v1/me', { headers: bearer(tokens.accessToken) })
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toContain('Bearer')
  })
})

describe('OpenAPI', () => {
  it('documents the auth routes, their bodies and the bearer requirement', async () => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const doc = (await (await t.app.request('/openapi.json')).json()) as any
    for (const path of ['/v1/auth/register', '/v1/auth/login', '/v1/auth/refresh', '/v1/auth/logout']) expect(doc.paths[path]?.post).toBeDefined()
    expect(doc.paths['/v1/me'].get.security).toEqual([{ bearer: [] }])
    expect(doc.paths['/v1/admin/users/{id}/role'].patch.security).toEqual([{ bearer: [] }])
    expect(doc.paths['/v1/auth/login'].post.responses['429']).toBeDefined()
    expect(doc.components.schemas.Session).toBeDefined()
  })
})
