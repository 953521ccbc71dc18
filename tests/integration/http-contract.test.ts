import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

describe('HTTP contract', () => {
  it('an unknown route is a 404 problem with the request id', async () => {
    const res = await t.app.request('/nowhere', { headers: { 'X-Request-Id': 'abc-123' } })
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(res.headers.get('x-request-id')).toBe('abc-123')
    expect(await res.json()).toMatchObject({ status: 404, code: 'not_found', requestId: 'abc-123', instance: '/nowhere' })
  })

  it('a route without middleware of its own answers synchronously: the envelope keeps Hono and Node on their fast path', async () => {
    // A middleware on every request (app.use('*')) would make this a promise and cost a fifth of the throughput of a
    // small answer (npm run bench).
    const res = t.app.fetch(new Request('http://localhost/health/live'))
    expect(res).not.toBeInstanceOf(Promise)
    expect((res as Response).status).toBe(200)
    expect((res as Response).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect((res as Response).headers.get('x-content-type-options')).toBe('nosniff')
    // The body is serialised once at start-up: still the JSON the OpenAPI document promises.
    expect((res as Response).headers.get('content-type')).toMatch(/^application\/json/)
    expect(await (res as Response).json()).toEqual({ status: 'ok' })
  })

  it('a wrong method is a 405 with Allow', async () => {
    const res = await t.app.request('/health/live', { method: 'DELETE' })
    expect(res.status).toBe(405)
    expect(res.headers.get('allow')).toContain('GET')
    expect(await res.json()).toMatchObject({ code: 'method_not_allowed' })
  })

  it('an unsafe incoming request id is replaced by a fresh one', async () => {
    const res = await t.app.request('/health/live', { headers: { 'X-Request-Id': 'bad id <script>' } })
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('readiness reports the database with its latency', async () => {
    const res = await t.app.request('/health/ready')
    expect(res.status).toBe(200)
    const body: any = await res.json()
    expect(body.status).toBe('ok')
    expect(body.checks.database).toMatchObject({ status: 'up', required: true })
    expect(typeof body.checks.database.latencyMs).toBe('number')
  })

  it('readiness is 503 when the database is down', async () => {
    const down = await startTestApp()
    await down.db.close()
    const res = await down.app.request('/health/ready')
    expect(res.status).toBe(503)
    expect(((await res.json()) as any).checks.database.status).toBe('down')
  })

  it('serves an OpenAPI 3.1 document', async () => {
    const res = await t.app.request('/openapi.json')
    const doc: any = await res.json()
    expect(doc.openapi).toBe('3.1.0')
    expect(doc.paths['/health/ready']).toBeDefined()
  })

  it("sets an API's security headers on every answer, and a document's on HTML only", async () => {
    const api = await t.app.request('/health/live')
    expect(api.headers.get('x-content-type-options')).toBe('nosniff')
    expect(api.headers.get('x-frame-options')).toBe('DENY')
    expect(api.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'")
    for (const name of ['referrer-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy']) expect([name, api.headers.get(name)]).toEqual([name, null])
    const problem = await t.app.request('/nowhere')
    expect([problem.status, problem.headers.get('x-frame-options'), problem.headers.get('referrer-policy')]).toEqual([404, 'DENY', null])

    const page = await t.app.request('/docs')
    expect(page.headers.get('content-type')).toMatch(/^text\/html/)
    expect(page.headers.get('referrer-policy')).toBe('no-referrer')
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin')
    expect(page.headers.get('cross-origin-resource-policy')).toBe('same-origin')
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    // The page's own policy (it loads its scripts and styles), not the API's.
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
  })

  it('sends Strict-Transport-Security only to requests that arrived over HTTPS (RFC 6797 §7.2)', async () => {
    const hsts = async (url: string, headers: Record<string, string> = {}) => (await t.app.request(url, { headers })).headers.get('strict-transport-security')
    const policy = 'max-age=15552000; includeSubDomains'
    expect({
      plain: await hsts('http://api.kamhub.test/health/live'),
      https: await hsts('https://api.kamhub.test/health/live'),
      proxiedHttps: await hsts('/health/live', { 'X-Forwarded-Proto': 'https' }),
      proxiedChainFromHttps: await hsts('/health/live', { 'X-Forwarded-Proto': 'HTTPS, http' }),
      proxiedHttp: await hsts('/health/live', { 'X-Forwarded-Proto': 'http' }),
      forwardedHttps: await hsts('/health/live', { Forwarded: 'for=192.0.2.60;proto="https";by=203.0.113.43, for=10.0.0.1;proto=http' }),
      forwardedHttp: await hsts('/health/live', { Forwarded: 'for=192.0.2.60;proto=http' }),
      problemOverHttps: await hsts('https://api.kamhub.test/no/such/route'),
    }).toEqual({
      plain: null,
      https: policy,
      proxiedHttps: policy,
      proxiedChainFromHttps: policy,
      proxiedHttp: null,
      forwardedHttps: policy,
      forwardedHttp: null,
      problemOverHttps: policy,
    })
  })
})
