import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import type { MatchRecorder } from '../../src/core/http/match-recorder.ts'
import { startTestApp, type TestApp } from '../support/app.ts'
import { captureLogs, type CapturedLogs } from '../support/logs.ts'
import { MetricsRegistry } from '../../src/core/monitoring/metrics.ts'
import { queryRows } from '../../src/core/db/index.ts'

/** One sample line's value, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('/metrics after real requests', () => {
  let t: TestApp
  let text: string
  beforeAll(async () => {
    t = await startTestApp()
    // A route that queries through the ORM like every pillar will (the readiness ping uses the raw client and is
    // deliberately not in the statement histogram: probes every few seconds would drown real queries).
    t.app.get('/test/db/:id', async (c) => c.json(await queryRows(c.env.deps.db.orm, sql`select ${c.req.param('id')}::int as id`)))
    await t.app.request('/health/live')
    await t.app.request('/health/live')
    await t.app.request('/docs/assets/nope.css') // a matched pattern answering 404
    await t.app.request('/nowhere/123') // no route at all
    await t.app.request('/test/db/7')
    text = await (await t.app.request('/metrics')).text()
  })
  afterAll(() => t.close())

  it('serves Prometheus text with its content type', async () => {
    const res = await t.app.request('/metrics')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    expect(text).toContain('# TYPE http_requests_total counter\n')
    expect(text).toContain('# TYPE http_request_duration_seconds histogram\n')
  })

  it('counts requests by method, route pattern (never the raw path) and status', () => {
    expect(sample(text, 'http_requests_total{method="GET",route="/health/live",status="200"}')).toBe(2)
    expect(sample(text, 'http_requests_total{method="GET",route="/docs/assets/:name",status="404"}')).toBe(1)
    expect(sample(text, 'http_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1)
    expect(text).not.toContain('nope.css')
    expect(text).not.toContain('/nowhere')
  })

  it('records request latency as a histogram per route', () => {
    const labels = 'method="GET",route="/health/live",status="200"'
    expect(sample(text, `http_request_duration_seconds_count{${labels}}`)).toBe(2)
    expect(sample(text, `http_request_duration_seconds_bucket{${labels},le="+Inf"}`)).toBe(2)
    expect(sample(text, `http_request_duration_seconds_sum{${labels}}`)).toBeGreaterThan(0)
  })

  it('records database statement latency after a request that touched the database', () => {
    expect(sample(text, 'http_requests_total{method="GET",route="/test/db/:id",status="200"}')).toBe(1)
    expect(sample(text, 'db_query_duration_seconds_count{operation="select"}')).toBeGreaterThanOrEqual(1)
  })

  it('includes process uptime', () => {
    expect(sample(text, 'process_uptime_seconds')).toBeGreaterThan(0)
  })
})

describe('/metrics with METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef'
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp({ env: { METRICS_TOKEN: token } })
  })
  afterAll(() => t.close())

  it('refuses a scrape without the token: 401 problem with WWW-Authenticate', async () => {
    const res = await t.app.request('/metrics', { headers: { 'X-Request-Id': 'scrape-1' } })
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toBe('application/problem+json')
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    expect(await res.json()).toMatchObject({ code: 'unauthorized', requestId: 'scrape-1' })
  })

  it('refuses a wrong token, a prefix of the token and another scheme', async () => {
    for (const authorization of ['Bearer wrong-token-0123456789abcdef', `Bearer ${token.slice(0, -1)}`, `Basic ${token}`, 'Bearer ']) {
      expect((await t.app.request('/metrics', { headers: { Authorization: authorization } })).status).toBe(401)
    }
  })

  it('serves the scrape with the right token (scheme in any case)', async () => {
    const res = await t.app.request('/metrics', { headers: { Authorization: `bearer ${token}` } })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('http_requests_total')
  })

  it('leaves the health endpoints open', async () => {
    expect((await t.app.request('/health/live')).status).toBe(200)
    expect((await t.app.request('/health/ready')).status).toBe(200)
  })

  it('refuses a token shorter than 16 characters at start-up', async () => {
    await expect(startTestApp({ env: { METRICS_TOKEN: 'short' } })).rejects.toThrow(/METRICS_TOKEN/)
  })
})

describe('logs', () => {
  let t: TestApp
  let logs: CapturedLogs
  beforeAll(async () => {
    logs = captureLogs('debug')
    t = await startTestApp({ env: { SLOW_QUERY_MS: '0' }, deps: { logger: logs.logger, metrics: new MetricsRegistry() } })
    // Registered before the first request (Hono builds its router then): a handler that fails with secrets in hand.
    t.app.get('/test/boom', () => {
      const cause = Object.assign(new Error('duplicate key'), { code: 'XX000' })
      throw Object.assign(new Error('Failed query: select 1\nparams: hunter2,4242424242424242', { cause }), { params: ['hunter2'] })
    })
  })
  afterAll(() => t.close())

  it('writes one access line per request: requestId, method, path, route, status, durationMs', async () => {
    await t.app.request('/docs/assets/nope.css', { headers: { 'X-Request-Id': 'req-access-1' } })
    const [line] = logs.find('request').filter((r) => r.requestId === 'req-access-1')
    expect(line).toMatchObject({ level: 'info', method: 'GET', path: '/docs/assets/nope.css', route: '/docs/assets/:name', status: 404 })
    expect(typeof line!.durationMs).toBe('number')
  })

  it('logs health probes at debug, so production logs are not flooded by them', async () => {
    await t.app.request('/health/live', { headers: { 'X-Request-Id': 'req-probe-1' } })
    const [line] = logs.find('request').filter((r) => r.requestId === 'req-probe-1')
    expect(line).toMatchObject({ level: 'debug', route: '/health/live', status: 200 })
  })

  it('logs a failed request as an error with its request id and no secret from the error', async () => {
    const res = await t.app.request('/test/boom', { headers: { 'X-Request-Id': 'req-boom-1', Authorization: 'Bearer abcdefgh-secret' } })
    expect(res.status).toBe(500)
    const lines = logs.raw.filter((l) => l.includes('req-boom-1'))
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['request failed', 'request'])
    for (const secret of ['hunter2', '4242424242424242', 'abcdefgh-secret']) expect(lines.join('')).not.toContain(secret)
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'error', route: '/test/boom', status: 500 })
  })

  it('logs a slow statement above SLOW_QUERY_MS with its SQL text and never its parameters', async () => {
    const marker = 'param-value-must-not-be-logged'
    await t.deps.db.orm.execute(sql`select ${marker}::text as kamhub_slow_probe`)
    const [line] = logs.find('slow query').filter((r) => String(r.sql).includes('kamhub_slow_probe'))
    expect(line).toMatchObject({ level: 'warn', operation: 'select', sql: expect.stringMatching(/select \$1::text as kamhub_slow_probe/) })
    expect(typeof line!.durationMs).toBe('number')
    expect(logs.raw.join('')).not.toContain(marker)
  })
})

describe('hot path', () => {
  it("keeps every route on Hono's RegExpRouter (one static path beside a `:param` one drops the whole app to TrieRouter)", async () => {
    const t = await startTestApp()
    try {
      await t.app.request('/health/live')
      const recorded = t.app.router as unknown as MatchRecorder
      expect((recorded.inner as unknown as { activeRouter?: { name: string } }).activeRouter?.name).toBe('RegExpRouter')
      // The docs script is still served, by the `:name` route.
      expect((await t.app.request('/docs/assets/init.js')).headers.get('content-type')).toContain('javascript')
    } finally {
      await t.close()
    }
  })
})
