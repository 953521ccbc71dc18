import { afterAll, beforeAll, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp({ env: { CORS_ORIGINS: 'https://app.kamhub.example' } })
})
afterAll(() => t.close())

it('a configured origin gets CORS headers on a preflight', async () => {
  const res = await t.app.request('/v1/me', {
    method: 'OPTIONS',
    headers: { Origin: 'https://app.kamhub.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
  })
  expect(res.status).toBe(204)
  expect(res.headers.get('access-control-allow-origin')).toBe('https://app.kamhub.example')
  expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization')
})

it('an origin that is not configured gets no CORS grant', async () => {
  const res = await t.app.request('/health/live', { headers: { Origin: 'https://evil.example' } })
  expect(res.headers.get('access-control-allow-origin')).toBeNull()
})

it('responses expose the request id to browsers', async () => {
  const res = await t.app.request('/health/live', { headers: { Origin: 'https://app.kamhub.example' } })
  expect(res.headers.get('access-control-expose-headers')).toContain('X-Request-Id')
})
