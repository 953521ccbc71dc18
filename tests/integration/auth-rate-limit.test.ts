import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.ts'
import { PASSWORD, postJson, registerUser, uniqueEmail } from '../support/auth.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '3', AUTH_RATE_WINDOW_SECONDS: '60' } })
})
afterAll(() => t.close())

const fromIp = (ip: string) => ({ 'X-Forwarded-For': `${ip}, 10.0.0.1` })

describe('login rate limit', () => {
  it('past the budget for one IP and email: 429 rate_limited with Retry-After, even with the right password', async () => {
    const { user } = await registerUser(t, { email: uniqueEmail() })
    for (let i = 0; i < 3; i++) {
      expect((await postJson(t, '/v1/auth/login', { email: user.email, password: 'wrong password' }, fromIp('198.51.100.7'))).status).toBe(401)
    }
    const res = await postJson(t, '/v1/auth/login', { email: user.email, password: PASSWORD }, fromIp('198.51.100.7'))
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(60)
    expect(await res.json()).toMatchObject({ code: 'rate_limited', status: 429 })
  })

  it('the budget is per IP and normalised email: another address or another account is unaffected', async () => {
    const { user } = await registerUser(t)
    for (let i = 0; i < 3; i++) await postJson(t, '/v1/auth/login', { email: user.email, password: 'wrong password' }, fromIp('198.51.100.8'))
    expect((await postJson(t, '/v1/auth/login', { email: ` ${user.email.toUpperCase()}`, password: PASSWORD }, fromIp('198.51.100.8'))).status).toBe(429)
    expect((await postJson(t, '/v1/auth/login', { email: user.email, password: PASSWORD }, fromIp('198.51.100.9'))).status).toBe(200)
    expect((await postJson(t, '/v1/auth/login', { email: 'someone-else@example.com', password: PASSWORD }, fromIp('198.51.100.8'))).status).toBe(401)
  })

  it('CF-Connecting-IP identifies the client when present', async () => {
    const email = uniqueEmail()
    const headers = { 'CF-Connecting-IP': '203.0.113.50', 'X-Forwarded-For': '198.51.100.77' }
    for (let i = 0; i < 3; i++) await postJson(t, '/v1/auth/login', { email, password: 'wrong password' }, headers)
    expect((await postJson(t, '/v1/auth/login', { email, password: 'wrong password' }, { ...headers, 'X-Forwarded-For': '198.51.100.78' })).status).toBe(429)
  })

  it('invalid bodies do not spend the budget', async () => {
    const email = uniqueEmail()
    for (let i = 0; i < 5; i++) expect((await postJson(t, '/v1/auth/login', { email }, fromIp('198.51.100.10'))).status).toBe(400)
    expect((await postJson(t, '/v1/auth/login', { email, password: 'wrong password' }, fromIp('198.51.100.10'))).status).toBe(401)
  })
})

describe('register rate limit', () => {
  it('past the budget for one IP: 429 with Retry-After, and no account is created', async () => {
    const ip = fromIp('192.0.2.1')
    for (let i = 0; i < 3; i++) {
      expect((await postJson(t, '/v1/auth/register', { email: uniqueEmail(), password: PASSWORD, displayName: 'A' }, ip)).status).toBe(201)
    }
    const email = uniqueEmail()
    const res = await postJson(t, '/v1/auth/register', { email, password: PASSWORD, displayName: 'A' }, ip)
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
    expect((await postJson(t, '/v1/auth/login', { email, password: PASSWORD }, fromIp('192.0.2.2'))).status).toBe(401)
  })
})
