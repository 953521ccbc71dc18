/**
 * Upstash failing or slow, seen from HTTP: requests keep succeeding (memory, then the loader), the circuit opens
 * after the configured number of consecutive failures, /health/ready says "degraded" with a 200, and once Upstash
 * answers again a probe after the cool-down closes the circuit and lands the deletes the outage held back.
 * The cool-down is driven by the test's clock, never waited out; "down" is the bridge refusing connections.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { Redis } from '@upstash/redis'
import { UpstashCache, upstashCacheClientOptions } from '../../src/core/cache/upstash.ts'
import { MetricsRegistry } from '../../src/core/monitoring/metrics.ts'
import { startTestApp, type TestApp } from '../support/app.ts'
import { deleteKeysWithPrefix, startUpstashBridge, type UpstashBridge } from '../support/upstash-bridge.ts'

const prefix = `kamhub-test:${randomBytes(6).toString('hex')}:outage:`
const COOLDOWN_MS = 10_000

let bridge: UpstashBridge
let t: TestApp
let cache: UpstashCache
let metrics: MetricsRegistry
let clockMs = Date.now()
let loads = 0

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

async function readTour(id: string) {
  const res = await t.app.request(`/test/tours/${id}`)
  expect(res.status).toBe(200)
  return (await res.json()) as { id: string; load: number }
}

async function readiness() {
  const res = await t.app.request('/health/ready')
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, { status: string; required: boolean; error?: string }> } }
}

beforeAll(async () => {
  bridge = await startUpstashBridge()
  metrics = new MetricsRegistry()
  // "Down" here is refused connections, which fail at once: the timeout only guards calls to the healthy bridge,
  // and is long so that a slow machine never turns one of them into a failure.
  cache = new UpstashCache({
    redis: new Redis({ url: bridge.url, token: bridge.token, ...upstashCacheClientOptions(15_000) }),
    prefix,
    timeoutMs: 15_000,
    failureThreshold: 3,
    cooldownMs: COOLDOWN_MS,
    l1TtlMs: 0,
    metrics,
    now: () => clockMs,
  })
  t = await startTestApp({ deps: { cache, metrics } })
  // Stands in for a catalogue read: the loader is the database.
  t.app.get('/test/tours/:id', async (c) => {
    const id = c.req.param('id')
    return c.json(await c.env.deps.cache.getOrLoad(`tour:${id}`, async () => ({ id, load: ++loads }), { ttlSeconds: 60 }))
  })
})
afterAll(async () => {
  await t?.close()
  await deleteKeysWithPrefix(bridge.redis, prefix)
  await bridge.close()
})

describe('cache outage', () => {
  it('while Upstash answers: cached in Redis, readiness ok', async () => {
    expect(await readTour('avacha')).toEqual({ id: 'avacha', load: 1 })
    expect(await readTour('avacha')).toEqual({ id: 'avacha', load: 1 })
    expect(await bridge.redis.exists(prefix + 'tour:avacha')).toBe(1)
    const ready = await readiness()
    expect(ready.status).toBe(200)
    expect(ready.body.status).toBe('ok')
    expect(ready.body.checks.cache).toMatchObject({ status: 'up', required: false })
  })

  it('Upstash down: every request still succeeds, the circuit opens after 3 failures, readiness is degraded with 200', async () => {
    await bridge.pause()
    const before = loads
    // Each miss is a failed read and a failed write: two failures per request, so the second request opens it.
    expect(await readTour('mutnovsky')).toMatchObject({ id: 'mutnovsky' })
    expect(cache.breaker.state).toBe('closed')
    expect(await readTour('gorely')).toMatchObject({ id: 'gorely' })
    expect(cache.breaker.state).toBe('open')
    expect(loads).toBe(before + 2)
    // Open: no call to Upstash at all; what the loader produced during the outage is served from memory.
    expect(await readTour('mutnovsky')).toMatchObject({ id: 'mutnovsky', load: before + 1 })
    expect(loads).toBe(before + 2)
    // A key cached only in Redis before the outage: loaded again, not failed.
    expect(await readTour('avacha')).toMatchObject({ id: 'avacha', load: before + 3 })

    const ready = await readiness()
    expect(ready.status).toBe(200)
    expect(ready.body.status).toBe('degraded')
    expect(ready.body.checks.cache).toMatchObject({ status: 'down', required: false })
    expect(ready.body.checks.cache!.error).toContain('circuit open')
    expect(ready.body.checks.database!.status).toBe('up')

    const text = await (await t.app.request('/metrics')).text()
    expect(sample(text, 'cache_circuit_state{cache="upstash",state="open"}')).toBe(1)
    expect(sample(text, 'cache_circuit_state{cache="upstash",state="closed"}')).toBe(0)
    expect(sample(text, 'cache_requests_total{cache="upstash",result="error"}')).toBeGreaterThanOrEqual(3)
    expect(sample(text, 'cache_backend_errors_total{cache="upstash",op="get"}')).toBe(2)
    expect(sample(text, 'cache_backend_errors_total{cache="upstash",op="set"}')).toBe(1)
    expect(sample(text, 'cache_operation_duration_seconds_count{cache="upstash",op="get"}')).toBeGreaterThanOrEqual(4)
  })

  it('a delete during the outage is remembered', async () => {
    await cache.delete('tour:avacha') // Redis still holds avacha from before the outage
    expect(cache.pendingDeletes).toBe(1)
    expect(await bridge.redis.exists(prefix + 'tour:avacha')).toBe(1)
  })

  it('Upstash back: still open until the cool-down ends, then one probe closes the circuit and lands the delete', async () => {
    await bridge.resume()
    clockMs += COOLDOWN_MS - 1
    await readTour('gorely')
    expect(cache.breaker.state).toBe('open')
    clockMs += 1
    const before = loads
    // The probe is the held-back DEL; then the read goes to Redis, which no longer holds avacha: a fresh load.
    expect(await readTour('avacha')).toEqual({ id: 'avacha', load: before + 1 })
    expect(cache.breaker.state).toBe('closed')
    expect(cache.pendingDeletes).toBe(0)
    // Memory written during the outage was dropped on closing: mutnovsky comes from Redis or the loader, not memory.
    expect(await bridge.redis.exists(prefix + 'tour:mutnovsky')).toBe(0)
    expect(await readTour('mutnovsky')).toEqual({ id: 'mutnovsky', load: before + 2 })
    expect(await bridge.redis.exists(prefix + 'tour:mutnovsky')).toBe(1)

    const ready = await readiness()
    expect(ready.status).toBe(200)
    expect(ready.body.status).toBe('ok')
    const text = await (await t.app.request('/metrics')).text()
    expect(sample(text, 'cache_circuit_state{cache="upstash",state="closed"}')).toBe(1)
  })

  it('a readiness check is itself the probe: with no traffic, /health/ready closes the circuit once Upstash is back', async () => {
    await bridge.pause()
    for (let i = 0; i < 3; i++) await cache.health()
    expect(cache.breaker.state).toBe('open')
    expect((await readiness()).body.status).toBe('degraded')
    await bridge.resume()
    clockMs += COOLDOWN_MS
    const ready = await readiness()
    expect(ready.body.status).toBe('ok')
    expect(cache.breaker.state).toBe('closed')
  })
})

describe('slow Upstash', () => {
  it('a call with no answer within the timeout counts as a failure and the loader answers', async () => {
    const slowMetrics = new MetricsRegistry()
    const slow = new UpstashCache({
      redis: new Redis({ url: bridge.url, token: bridge.token, ...upstashCacheClientOptions(50) }),
      prefix: prefix + 'slow:',
      timeoutMs: 50,
      failureThreshold: 2,
      metrics: slowMetrics,
    })
    bridge.stall()
    try {
      expect(await slow.getOrLoad('k', async () => 'from the database', { ttlSeconds: 60 })).toBe('from the database')
      expect(slow.breaker.state).toBe('open') // the read and the write both timed out
      expect(slowMetrics.counter('cache_backend_errors_total', '').get({ cache: 'upstash', op: 'get' })).toBe(1)
      expect((await slow.health()).status).toBe('degraded')
    } finally {
      await bridge.resume()
    }
  })
})
