/**
 * The event admin API over the real app: who may call it, history filters and cursors (including the forward
 * feed that never skips a late commit), an event with its deliveries, the delivery ledger, and the partner
 * webhook registry (a secret is shown once, never listed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { bearer } from '../../support/auth.ts'
import { bookingHeld, deliveryStates, dispatcherFor } from '../../support/events.ts'
import { onRealPostgres } from '../../support/db.ts'
import { jwtSecret } from '../../../src/core/config/schema.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { issueAccessToken } from '../../../src/core/auth/tokens.ts'
import type { Role } from '../../../src/core/auth/principal.ts'
import { publish, type PublishInput } from '../../../src/events/publish.ts'
import { defineSubscription, registerSubscriptions } from '../../../src/events/subscription.ts'
import type { EventType } from '../../../src/events/catalog.ts'
import type { EventEnvelope } from '../../../src/events/envelope.ts'
import { encodeCursor } from '../../../src/events/cursor.ts'
import postgres from 'postgres'

let t: TestApp
let adminToken: string
let travellerToken: string
const published: Array<{ id: string; seq: string; type: string; aggregateId: string }> = []

async function token(role: Role) {
  const { token } = await issueAccessToken(
    { id: crypto.randomUUID(), email: `${role}@example.com`, role },
    { secret: jwtSecret(t.deps.config), issuer: t.deps.config.JWT_ISSUER, ttlSeconds: 600, now: new Date() },
  )
  return token
}

async function emit<T extends EventType>(input: PublishInput<T>) {
  const p = await t.db.orm.transaction((tx) => publish(tx, input))
  published.push({ id: p.id, seq: p.seq, type: p.type, aggregateId: input.aggregate.id })
  return p
}

const payment = (paymentId: string, bookingId: string) => ({
  type: 'payment.captured' as const,
  data: { paymentId, bookingId, provider: 'sandbox', amount: { amount: 120_000, currency: 'RUB' } },
  aggregate: { type: 'payment', id: paymentId },
})

beforeAll(async () => {
  t = await startTestApp()
  adminToken = await token('admin')
  travellerToken = await token('traveller')
  const flaky = defineSubscription('flaky', ['payment.*'], async () => {
    throw new Error('ledger offline')
  }, { maxAttempts: 1 })
  const audit = defineSubscription('audit', ['#'], async () => {})
  await registerSubscriptions(t.db.orm, [flaky, audit])
  await emit({ ...bookingHeld('b-1'), time: new Date('2025-06-01T10:00:00Z') })
  await emit({ ...bookingHeld('b-2'), time: new Date('2025-06-02T10:00:00Z') })
  await emit({ ...payment('p-1', 'b-1'), time: new Date('2025-06-03T10:00:00Z') })
  await emit({ ...bookingHeld('b-3'), subject: 'custom-subject', time: new Date('2025-06-04T10:00:00Z') })
  await emit({ ...payment('p-2', 'b-3'), time: new Date('2025-06-05T10:00:00Z') })
  await dispatcherFor(t.db, { subscriptions: [flaky, audit] }).drain()
})
afterAll(() => t.close())

const get = (path: string, auth = adminToken) => t.app.request(path, { headers: bearer(auth) })
const send = (method: string, path: string, body?: unknown, auth = adminToken) =>
  t.app.request(path, {
    method,
    headers: { ...bearer(auth), ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

type EventPage = { items: EventEnvelope[]; nextCursor: string | null; hasMore: boolean; heldBack: boolean }

/**
 * One page, asked again until `ready` says so. The asc feed's horizon is cluster-wide: another test file's open
 * transaction on the same PostgreSQL server holds it back for a moment (never skips), so a test that needs the
 * feed caught up re-asks — on the condition the API reports, with a deadline, not after a sleep.
 */
async function pageWhen(path: string, ready: (page: EventPage) => boolean = (p) => !p.heldBack): Promise<EventPage> {
  const deadline = Date.now() + 20_000
  for (;;) {
    const res = await get(path)
    expect(res.status).toBe(200)
    const page = (await res.json()) as EventPage
    if (ready(page) || Date.now() > deadline) return page
    await new Promise((resolve) => setImmediate(resolve))
  }
}

/** Walks every page of a list, following nextCursor while hasMore (and, on the feed, until it has caught up). */
async function walk(path: string): Promise<EventEnvelope[]> {
  const seen: EventEnvelope[] = []
  let cursor: string | null = null
  for (let pages = 0; pages < 50; pages++) {
    const page = await pageWhen(`${path}${cursor ? `&cursor=${cursor}` : ''}`, (p) => p.hasMore || !p.heldBack)
    seen.push(...page.items)
    if (!page.hasMore) return seen
    cursor = page.nextCursor
  }
  throw new Error('too many pages')
}

describe('admin event API security', () => {
  const calls = (auth?: string) => {
    const h = auth ? bearer(auth) : {}
    const j = { ...h, 'Content-Type': 'application/json' }
    return [
      () => t.app.request('/v1/admin/events', { headers: h }),
      () => t.app.request(`/v1/admin/events/${published[0]!.id}`, { headers: h }),
      () => t.app.request('/v1/admin/deliveries', { headers: h }),
      () => t.app.request('/v1/admin/subscriptions', { headers: h }),
      () => t.app.request('/v1/admin/subscriptions', { method: 'POST', headers: j, body: JSON.stringify({ name: 'sec-x', url: 'https://p.example/h', patterns: ['#'] }) }),
      () => t.app.request('/v1/admin/subscriptions/audit', { method: 'PATCH', headers: j, body: JSON.stringify({ active: true }) }),
      () => t.app.request('/v1/admin/subscriptions/audit', { method: 'DELETE', headers: h }),
      () => t.app.request('/v1/admin/subscriptions/audit/rotate-secret', { method: 'POST', headers: h }),
      () => t.app.request('/v1/admin/subscriptions/audit/replay', { method: 'POST', headers: j, body: JSON.stringify({ fromSeq: '1' }) }),
      () => t.app.request('/v1/admin/subscriptions/audit/redrive', { method: 'POST', headers: h }),
    ]
  }

  it('no token → 401 with a Bearer challenge, on every admin event route', async () => {
    for (const call of calls()) {
      const res = await call()
      expect(res.status).toBe(401)
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer/)
      expect(res.headers.get('Content-Type')).toContain('application/problem+json')
    }
  })

  it('a traveller → 403 on every admin event route, and nothing changes', async () => {
    for (const call of calls(travellerToken)) expect((await call()).status).toBe(403)
    const rows = await queryRows<{ name: string; active: boolean }>(t.db.orm, sql`select name, active from event_subscriptions order by name`)
    expect(rows).toEqual([{ name: 'audit', active: true }, { name: 'flaky', active: true }])
  })

  it('an admin → 200', async () => {
    for (const path of ['/v1/admin/events', `/v1/admin/events/${published[0]!.id}`, '/v1/admin/deliveries', '/v1/admin/subscriptions']) {
      expect((await get(path)).status).toBe(200)
    }
  })
})

describe('event history', () => {
  it('filters by type pattern, subject, aggregate, time range and seq range', async () => {
    const ids = async (query: string) => ((await (await get(`/v1/admin/events?${query}`)).json()) as EventPage).items.map((e) => e.id).sort()
    const byType = (type: string) => published.filter((p) => p.type.startsWith(type)).map((p) => p.id).sort()
    expect(await ids('type=booking.*')).toEqual(byType('booking.'))
    expect(await ids('type=*.captured')).toEqual(byType('payment.'))
    expect(await ids('subject=custom-subject')).toEqual([published[3]!.id])
    expect(await ids('aggregateType=payment&aggregateId=p-2')).toEqual([published[4]!.id])
    expect(await ids('from=2025-06-02T00:00:00Z&to=2025-06-04T00:00:00Z')).toEqual([published[1]!.id, published[2]!.id].sort())
    expect(await ids(`fromSeq=${published[1]!.seq}&toSeq=${published[3]!.seq}`)).toEqual([published[1]!.id, published[2]!.id, published[3]!.id].sort())
    expect(await ids('type=booking.*&from=2025-06-02T00:00:00Z')).toEqual([published[1]!.id, published[3]!.id].sort())
  })

  it('newest first by default; pages of 2 walk every event exactly once, in both orders', async () => {
    const desc = await walk('/v1/admin/events?limit=2')
    expect(desc.map((e) => e.id)).toEqual(published.map((p) => p.id).reverse())
    const asc = await walk('/v1/admin/events?limit=2&order=asc')
    expect(asc.map((e) => e.id).sort()).toEqual(published.map((p) => p.id).sort())
    expect(new Set(asc.map((e) => e.id)).size).toBe(published.length)
  })

  it('the asc feed answers a cursor to resume from, and later returns only what came after it', async () => {
    const first = await pageWhen('/v1/admin/events?order=asc&limit=500')
    expect(first.hasMore).toBe(false)
    expect(first.heldBack).toBe(false)
    expect(first.nextCursor).toBeTruthy()
    const again = (await (await get(`/v1/admin/events?order=asc&cursor=${first.nextCursor}`)).json()) as EventPage
    expect(again.items).toEqual([])
    expect(again.nextCursor).toBe(first.nextCursor)
  })

  it('a tampered, truncated or foreign cursor is a 400 problem', async () => {
    const page = (await (await get('/v1/admin/events?limit=1')).json()) as EventPage
    const cursor = page.nextCursor!
    const bad = [
      'not-a-cursor!',
      cursor.slice(0, -3),
      `${cursor}x`,
      encodeCursor({ o: 'desc', seq: "1; drop table event_outbox" }),
      encodeCursor({ o: 'asc', seq: '1' }),
      cursor.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
    ]
    for (const c of bad) {
      const res = await get(`/v1/admin/events?cursor=${encodeURIComponent(c)}`)
      expect([c, res.status]).toEqual([c, 400])
      expect(res.headers.get('Content-Type')).toContain('application/problem+json')
    }
    // A desc cursor given to the asc feed: explicit, not a silently wrong page.
    expect((await get(`/v1/admin/events?order=asc&cursor=${cursor}`)).status).toBe(400)
  })

  it('bad filters are 400 with the field named', async () => {
    const res = await get('/v1/admin/events?type=booking..x&fromSeq=abc&limit=0')
    expect(res.status).toBe(400)
    const body = (await res.json()) as { errors: Array<{ path: string }> }
    expect(body.errors.map((e) => e.path).sort()).toEqual(['query.fromSeq', 'query.limit', 'query.type'])
  })

  it('GET /v1/admin/events/{id}: the envelope and its deliveries with status, attempts, error and reason', async () => {
    const p = published[2]! // payment.captured: audit delivered, flaky dead
    const res = await get(`/v1/admin/events/${p.id}`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { event: EventEnvelope; deliveries: Array<Record<string, unknown>> }
    expect(body.event).toMatchObject({ id: p.id, type: 'payment.captured', sequence: p.seq, specversion: '1.0' })
    const bySub = Object.fromEntries(body.deliveries.map((d) => [d.subscription, d]))
    expect(bySub.audit).toMatchObject({ status: 'delivered', attempts: 1, lastError: null, nextAttemptAt: null, deadReason: null })
    expect(bySub.flaky).toMatchObject({ status: 'dead', attempts: 1, deadReason: 'max_attempts', nextAttemptAt: null })
    expect(bySub.flaky!.lastError).toContain('ledger offline')
    expect((await get(`/v1/admin/events/${crypto.randomUUID()}`)).status).toBe(404)
    expect((await get('/v1/admin/events/not-a-uuid')).status).toBe(400)
  })

  it('GET /v1/admin/deliveries?status=dead&subscription=flaky: the dead letters of one subscription', async () => {
    const res = await get('/v1/admin/deliveries?status=dead&subscription=flaky')
    const body = (await res.json()) as { items: Array<{ eventId: string; status: string }> }
    expect(body.items.map((d) => d.eventId).sort()).toEqual(published.filter((p) => p.type === 'payment.captured').map((p) => p.id).sort())
    expect(body.items.every((d) => d.status === 'dead')).toBe(true)
    expect((await get('/v1/admin/deliveries?status=lost')).status).toBe(400)
  })
})

describe('partner webhook registry', () => {
  it('create answers the secret once (no-store); lists never show it; a duplicate name is a 409', async () => {
    const res = await send('POST', '/v1/admin/subscriptions', { name: 'ski-partner', url: 'https://ski.example/hooks?x=1', patterns: ['booking.*', 'payment.#'] })
    expect(res.status).toBe(201)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const created = (await res.json()) as { secret: string; subscription: Record<string, unknown> }
    expect(created.secret).toMatch(/^whsec_/)
    expect(created.subscription).toMatchObject({ name: 'ski-partner', kind: 'http', active: true, maxAttempts: 15, signing: { secrets: 1, previousSecretExpiresAt: null } })
    const list = await (await get('/v1/admin/subscriptions')).text()
    expect(list).toContain('ski-partner')
    expect(list).not.toContain('whsec_')
    expect(list).not.toContain(created.secret.slice(6))
    expect((await send('POST', '/v1/admin/subscriptions', { name: 'ski-partner', url: 'https://ski.example/other', patterns: ['#'] })).status).toBe(409)
    expect((await send('POST', '/v1/admin/subscriptions', { name: 'audit', url: 'https://ski.example/other', patterns: ['#'] })).status).toBe(409)
  })

  it('invalid input is a 400: bad name, bad pattern, non-http URL, credentials in the URL, backoff cap below base', async () => {
    const bodies = [
      { name: 'Bad Name', url: 'https://p.example/h', patterns: ['#'] },
      { name: 'p1', url: 'https://p.example/h', patterns: ['booking..held'] },
      { name: 'p2', url: 'ftp://p.example/h', patterns: ['#'] },
      { name: 'p3', url: 'https://user:pass@p.example/h', patterns: ['#'] },
      { name: 'p4', url: 'https://p.example/h', patterns: [] },
      { name: 'p5', url: 'https://p.example/h', patterns: ['#'], backoffBaseMs: 60_000, backoffMaxMs: 1000 },
    ]
    for (const body of bodies) expect([body.name, (await send('POST', '/v1/admin/subscriptions', body)).status]).toEqual([body.name, 400])
  })

  it('rotate-secret answers the new secret once; both sign during the grace period', async () => {
    await send('POST', '/v1/admin/subscriptions', { name: 'rotating', url: 'https://r.example/h', patterns: ['#'] })
    const res = await send('POST', '/v1/admin/subscriptions/rotating/rotate-secret', { graceSeconds: 600 })
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('no-store')
    const rotated = (await res.json()) as { secret: string; previousSecretExpiresAt: string }
    expect(rotated.secret).toMatch(/^whsec_/)
    const list = (await (await get('/v1/admin/subscriptions')).json()) as { items: Array<{ name: string; signing: unknown }> }
    expect(list.items.find((s) => s.name === 'rotating')!.signing).toEqual({ secrets: 2, previousSecretExpiresAt: rotated.previousSecretExpiresAt })
    // Without a body the default grace applies.
    expect((await send('POST', '/v1/admin/subscriptions/rotating/rotate-secret')).status).toBe(200)
    expect((await send('POST', '/v1/admin/subscriptions/audit/rotate-secret')).status).toBe(409) // code subscription
    expect((await send('POST', '/v1/admin/subscriptions/nobody/rotate-secret')).status).toBe(404)
  })

  it('DELETE deactivates (no new fan-out); PATCH active=true brings it back; code subscriptions are read-only', async () => {
    await send('POST', '/v1/admin/subscriptions', { name: 'leaving', url: 'https://l.example/h', patterns: ['review.*'] })
    expect((await send('DELETE', '/v1/admin/subscriptions/leaving')).status).toBe(204)
    const review = { type: 'review.published' as const, data: { reviewId: 'r1', tourId: 't1', rating: 5 }, aggregate: { type: 'review', id: 'r1' } }
    await t.db.orm.transaction((tx) => publish(tx, review))
    expect(await deliveryStates(t.db, 'leaving')).toEqual({})
    const res = await send('PATCH', '/v1/admin/subscriptions/leaving', { active: true, url: 'https://l.example/v2' })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ active: true, url: 'https://l.example/v2' })
    await t.db.orm.transaction((tx) => publish(tx, { ...review, aggregate: { type: 'review', id: 'r2' } }))
    expect(await deliveryStates(t.db, 'leaving')).toEqual({ pending: 1 })
    expect((await send('DELETE', '/v1/admin/subscriptions/audit')).status).toBe(409)
    expect((await send('PATCH', '/v1/admin/subscriptions/audit', { patterns: ['x.*'] })).status).toBe(409)
    expect((await send('DELETE', '/v1/admin/subscriptions/nobody')).status).toBe(404)
  })

  it('the subscription list pages by name with an opaque cursor', async () => {
    const names: string[] = []
    let cursor = ''
    for (;;) {
      const page = (await (await get(`/v1/admin/subscriptions?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).json()) as { items: Array<{ name: string }>; nextCursor: string; hasMore: boolean }
      names.push(...page.items.map((s) => s.name))
      if (!page.hasMore) break
      cursor = page.nextCursor
    }
    expect(names).toEqual([...names].sort())
    expect(names).toEqual(expect.arrayContaining(['audit', 'flaky', 'ski-partner']))
    expect((await get('/v1/admin/subscriptions?cursor=zzz')).status).toBe(400)
  })
})

describe('the ordering trap, for the history feed (real PostgreSQL)', () => {
  it('a transaction with the older xid but the later seq does not make the feed skip the other one', async () => {
    if (!onRealPostgres()) return // PGlite is one session: the interleaving cannot happen there
    const start = await pageWhen('/v1/admin/events?order=asc&limit=500')
    const a = postgres(t.db.url!, { max: 1, onnotice: () => {} })
    const b = postgres(t.db.url!, { max: 1, onnotice: () => {} })
    try {
      const insert = (client: postgres.Sql, id: string) => client`insert into event_outbox (id, type, source, subject, time, data, data_version, aggregate_type, aggregate_id)
        values (${crypto.randomUUID()}, 'booking.held', '/kamhub', ${id}, now(), '{}'::jsonb, 1, 'booking', ${id}) returning seq::text as seq`
      await a`begin`
      await a`select pg_current_xact_id()` // A takes the older xid first...
      await b`begin`
      const [bRow] = await insert(b, 'late-b') // ...B takes the lower seq and stays open...
      const [aRow] = await insert(a, 'early-a') // ...A takes the higher seq and commits.
      await a`commit`
      expect(BigInt(bRow!.seq)).toBeLessThan(BigInt(aRow!.seq))

      // B is still open: the feed shows A (older xid) once the horizon reaches B.
      const mid = await pageWhen(`/v1/admin/events?order=asc&limit=500&cursor=${start.nextCursor}`, (p) => p.items.length > 0)
      expect(mid.items.map((e) => e.subject)).toEqual(['early-a'])
      await b`commit`
      const end = await pageWhen(`/v1/admin/events?order=asc&limit=500&cursor=${mid.nextCursor}`)
      // A seq cursor (even bounded by xmin) would now be past B's lower seq; the (tx_id, seq) cursor is not.
      expect(end.items.map((e) => e.subject)).toEqual(['late-b'])
    } finally {
      await a.end()
      await b.end()
    }
  })

  it('an event committed behind an older open transaction waits, and the page says heldBack', async () => {
    if (!onRealPostgres()) return
    const start = await pageWhen('/v1/admin/events?order=asc&limit=500')
    const older = postgres(t.db.url!, { max: 1, onnotice: () => {} })
    try {
      await older`begin`
      await older`select pg_current_xact_id()` // an older writing transaction, still open
      await emit(bookingHeld('behind-the-horizon'))
      const held = (await (await get(`/v1/admin/events?order=asc&limit=500&cursor=${start.nextCursor}`)).json()) as EventPage
      expect(held).toMatchObject({ items: [], hasMore: false, heldBack: true, nextCursor: start.nextCursor })
      await older`commit`
      const caught = await pageWhen(`/v1/admin/events?order=asc&limit=500&cursor=${start.nextCursor}`)
      expect(caught.items.map((e) => e.aggregateid)).toEqual(['behind-the-horizon'])
      expect(caught.heldBack).toBe(false)
    } finally {
      await older.end()
    }
  })
})
