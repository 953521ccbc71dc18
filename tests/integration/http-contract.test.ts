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

  it('sets security headers', async () => {
    const res = await t.app.request('/health/live')
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
  })
})
