/** The error half of the HTTP contract: every failure is problem+json with a stable code, never a 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRoute, z } from '@hono/zod-openapi'
import { startTestApp, type TestApp } from '../support/app.ts'
import { createApp } from '../../src/app.ts'
import { sql } from 'drizzle-orm'
import { DomainError } from '../../src/core/errors.ts'

let t: TestApp

const echo = createRoute({
  method: 'post',
  path: '/v1/test/echo',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z.object({ name: z.string().min(1), party: z.object({ adults: z.number().int().min(1) }) }),
        },
      },
    },
  },
  responses: { 200: { description: 'echo' } },
})

beforeAll(async () => {
  // The default request timeout: a slow machine (a cold first request, a fresh PostgreSQL connection) must not turn
  // these answers into 504s. The timeout test builds its own app with a short one.
  t = await startTestApp({ env: { BODY_LIMIT_BYTES: '2048' } })
  t.app
    .openapi(echo, (c) => c.json(c.req.valid('json'), 200))
    .get('/v1/test/boom', () => {
      throw new Error('secret internal detail')
    })
    .get('/v1/test/sold-out', () => {
      throw new DomainError('sold_out', 'No seats left on this departure')
    })
    .get('/v1/test/unique', async (c) => {
      await t.db.orm.transaction(async (tx) => {
        const insert = sql`insert into schema_migrations (name, checksum) values ('9999_dup.sql', 'x')`
        await tx.execute(insert)
        await tx.execute(insert)
      })
      return c.text('unreachable')
    })
})
afterAll(() => t.close())

const post = (body: BodyInit, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
  t.app.request('/v1/test/echo', { method: 'POST', body, headers })

describe('HTTP errors', () => {
  it('a valid body passes validation', async () => {
    const res = await post(JSON.stringify({ name: 'Avacha', party: { adults: 2 } }))
    expect(res.status).toBe(200)
  })

  it('validation errors list every failing field path', async () => {
    const res = await post(JSON.stringify({ name: '', party: { adults: 0 } }))
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    const body: any = await res.json()
    expect(body.code).toBe('invalid')
    expect(body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['json.name', 'json.party.adults'])
  })

  it('malformed JSON is a 400 malformed_json', async () => {
    const res = await post('{"name": "Avacha",')
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ code: 'malformed_json' })
  })

  it('a body over the limit is a 413', async () => {
    const res = await post(JSON.stringify({ name: 'x'.repeat(5000), party: { adults: 1 } }))
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' })
  })

  it('a provider webhook over the limit is a 413 before anything reads or verifies it', async () => {
    const res = await t.app.request('/webhooks/stripe', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Stripe-Signature': 't=1,v1=00' },
      body: JSON.stringify({ id: 'evt_big', padding: 'x'.repeat(5000) }),
    })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' })
  })

  it('a body that is not JSON is a 415', async () => {
    const res = await post('name=Avacha', { 'Content-Type': 'application/x-www-form-urlencoded' })
    expect(res.status).toBe(415)
    expect(await res.json()).toMatchObject({ code: 'unsupported_media_type' })
  })

  it('a missing body is a 400 naming the body', async () => {
    const res = await t.app.request('/v1/test/echo', { method: 'POST', headers: { 'Content-Type': 'application/json' } })
    expect(res.status).toBe(400)
  })

  it('a request that outlives the timeout is a 504 problem', async () => {
    // A route that never answers: with a 100 ms timeout its 504 is certain however slow the machine is.
    const app = createApp({ ...t.deps, config: { ...t.deps.config, REQUEST_TIMEOUT_MS: 100 } })
    app.get('/v1/test/slow', () => new Promise<Response>(() => {}))
    const res = await app.request('/v1/test/slow')
    expect(res.status).toBe(504)
    expect(await res.json()).toMatchObject({ code: 'timeout' })
  })

  it('an unexpected error is a 500 that does not leak its message', async () => {
    const res = await t.app.request('/v1/test/boom')
    expect(res.status).toBe(500)
    const body: any = await res.json()
    expect(body.code).toBe('internal')
    expect(JSON.stringify(body)).not.toContain('secret internal detail')
    expect(body.requestId).toBeTruthy()
  })

  it('a domain error keeps its code and status', async () => {
    const res = await t.app.request('/v1/test/sold-out')
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ code: 'sold_out', detail: 'No seats left on this departure' })
  })

  it('a unique violation (SQLSTATE 23505) is a 409 conflict, not a 500', async () => {
    const res = await t.app.request('/v1/test/unique')
    expect(res.status).toBe(409)
    expect(await res.json()).toMatchObject({ code: 'conflict' })
  })
})
