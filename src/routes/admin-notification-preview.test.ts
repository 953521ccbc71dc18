import { describe, expect, it } from 'vitest'
import { OpenAPIHono } from '@hono/zod-openapi'
import { adminNotificationPreviewRoutes } from './admin-notification-preview.ts'
import type { AppEnv } from './env.ts'
import { RequestScope } from '../core/http/request-scope.ts'
import { issueAccessToken } from '../core/auth/tokens.ts'
import { parseConfig, jwtSecret } from '../core/config/schema.ts'
import { onError } from '../core/http/on-error.ts'
import { createLogger } from '../core/monitoring/logger.ts'
import type { Deps } from '../deps.ts'
import type { AuthUser } from '../core/auth/principal.ts'

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked by value below
type Json = any

const config = parseConfig({ NODE_ENV: 'test', JWT_SECRET: 'preview-test-secret-preview-test-secret' })
const now = new Date('2026-07-01T10:00:00Z')
const deps = { config, clock: { now: () => now }, logger: createLogger({ level: 'silent' }) } as unknown as Deps

/** The routes, each request with its scope as the app's envelope gives it (`c.env`). */
function app() {
  const routes = new OpenAPIHono<AppEnv>().route('/', adminNotificationPreviewRoutes).onError(onError)
  return { request: (path: string, init?: RequestInit) => routes.request(path, init, new RequestScope('preview-test', deps)) }
}

const admin: AuthUser = { id: '0190f3a1-0000-7000-8000-000000000001', email: 'admin@kamhub.ru', role: 'admin' }
const operator: AuthUser = { id: '0190f3a1-0000-7000-8000-000000000002', email: 'op@kamhub.ru', role: 'operator' }
const bearer = async (user: AuthUser) => ({
  Authorization: `Bearer ${(await issueAccessToken(user, { secret: jwtSecret(config), issuer: config.JWT_ISSUER, ttlSeconds: 900, now })).token}`,
})

describe('GET /v1/admin/notifications/preview', () => {
  it('renders the e-mail of a kind in a locale from its sample variables', async () => {
    const res = await app().request('/v1/admin/notifications/preview?kind=booking_confirmed&locale=en&channel=email', { headers: await bearer(admin) })
    expect(res.status).toBe(200)
    const body: Json = await res.json()
    expect(body).toMatchObject({ kind: 'booking_confirmed', locale: 'en', channel: 'email', priority: 'normal' })
    expect(body.email.subject).toBe('Booking confirmed: Восхождение на Авачинский вулкан')
    expect(body.email.html).toContain('<html lang="en">')
    expect(body.sms).toBeUndefined()
  })

  it('an SMS preview reports its encoding and part count', async () => {
    const res = await app().request('/v1/admin/notifications/preview?kind=departure_cancelled&channel=sms', { headers: await bearer(admin) })
    expect(res.status).toBe(200)
    const { sms, locale }: Json = await res.json()
    expect(locale).toBe('ru')
    expect(sms).toMatchObject({ encoding: 'UCS-2', segments: 2 })
    expect(sms.body).toContain('ОТМЕНЁН')
  })

  it('a push preview carries string data naming the kind', async () => {
    const res = await app().request('/v1/admin/notifications/preview?kind=review_request&locale=zh&channel=push', { headers: await bearer(admin) })
    expect(((await res.json()) as Json).push.data).toMatchObject({ kind: 'review_request', url: 'https://kamhub.ru/r/HB6Z3KQA' })
  })

  it('an unknown kind or locale is a 400 naming the field', async () => {
    for (const query of ['kind=booking_lost', 'kind=booking_confirmed&locale=de']) {
      const res = await app().request(`/v1/admin/notifications/preview?${query}`, { headers: await bearer(admin) })
      expect(res.status).toBe(400)
      expect(JSON.stringify(await res.json())).toMatch(/kind|locale/)
    }
  })

  it('is admins only: 401 without a token, 403 for an operator', async () => {
    const url = '/v1/admin/notifications/preview?kind=booking_confirmed'
    expect((await app().request(url)).status).toBe(401)
    expect((await app().request(url, { headers: await bearer(operator) })).status).toBe(403)
  })
})
