/**
 * Replay and redrive: fresh deliveries of past events for one subscription (event ids kept, linked to the earlier
 * delivery), never a second pending delivery of one event to one subscription, progress in chunks, and the same
 * from the `npm run events` CLI.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { execFile } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { bearer } from '../../support/auth.ts'
import { bookingHeld, deliveryStates, dispatcherFor, publishOne, recorder } from '../../support/events.ts'
import { onRealPostgres } from '../../support/db.ts'
import { queryRows, type Database } from '../../../src/core/db/index.ts'
import { jwtSecret } from '../../../src/core/config/schema.ts'
import { issueAccessToken } from '../../../src/core/auth/tokens.ts'
import { pgliteDatabase } from '../../../src/core/db/pglite.ts'
import { migrate } from '../../../src/core/db/migrate.ts'
import { loadMigrations } from '../../../src/core/db/migrations.node.ts'
import { defineSubscription, registerSubscriptions } from '../../../src/events/subscription.ts'
import { replayEvents, redriveSubscription, type ReplayProgress } from '../../../src/events/replay.ts'
import type { EventEnvelope } from '../../../src/events/envelope.ts'
import { publish } from '../../../src/events/publish.ts'

let t: TestApp
let admin: Record<string, string>
beforeEach(async () => {
  t = await startTestApp()
  const { token } = await issueAccessToken(
    { id: crypto.randomUUID(), email: 'ops@example.com', role: 'admin' },
    { secret: jwtSecret(t.deps.config), issuer: t.deps.config.JWT_ISSUER, ttlSeconds: 600, now: new Date() },
  )
  admin = { ...bearer(token), 'Content-Type': 'application/json' }
})
afterEach(() => t.close())

const replay = (name: string, body: unknown) => t.app.request(`/v1/admin/subscriptions/${name}/replay`, { method: 'POST', headers: admin, body: JSON.stringify(body) })
const redrive = (name: string, body?: unknown) =>
  t.app.request(`/v1/admin/subscriptions/${name}/redrive`, { method: 'POST', headers: body ? admin : { Authorization: admin.Authorization! }, body: body ? JSON.stringify(body) : undefined })

const payment = (paymentId: string) => ({
  type: 'payment.failed' as const,
  data: { paymentId, bookingId: 'b-x', provider: 'sandbox', amount: { amount: 500, currency: 'EUR' } },
  aggregate: { type: 'payment', id: paymentId },
})

describe('replay', () => {
  it('creates fresh deliveries keeping the event ids, linked to the earlier delivery; the dispatcher delivers them again', async () => {
    const rec = recorder()
    const sub = defineSubscription('projector', ['booking.*'], rec.handler)
    await registerSubscriptions(t.db.orm, [sub])
    const events = [await publishOne(t.db), await publishOne(t.db), await publishOne(t.db)]
    const dispatcher = dispatcherFor(t.db, { subscriptions: [sub] })
    await dispatcher.drain()
    expect(rec.seen).toHaveLength(3)

    const res = await replay('projector', { pattern: 'booking.*', fromSeq: events[1]!.seq })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ scanned: 2, created: 2 })
    const rows = await queryRows<{ event_id: string; replay_of: string | null; original: string }>(
      t.db.orm,
      sql`select e.id::text as event_id, d.replay_of::text as replay_of,
            (select min(o.id) from event_deliveries o where o.event_seq = d.event_seq)::text as original
          from event_deliveries d join event_outbox e on e.seq = d.event_seq where d.status = 'pending' order by d.id`,
    )
    expect(rows.map((r) => r.event_id).sort()).toEqual([events[1]!.id, events[2]!.id].sort())
    for (const r of rows) expect(r.replay_of).toBe(r.original)

    await dispatcher.drain()
    // A batch runs its handlers side by side, so only the sets are compared, not the order within a drain.
    expect(rec.seen.slice(3).map((e) => e.id).sort()).toEqual([events[1]!.id, events[2]!.id].sort())
    expect(await deliveryStates(t.db)).toEqual({ delivered: 5 })
  })

  it('an event already pending for the subscription is skipped: replaying twice adds nothing', async () => {
    await registerSubscriptions(t.db.orm, [defineSubscription('slow', ['booking.*'], async () => {})])
    const first = await publishOne(t.db) // its original delivery is still pending
    await publishOne(t.db)
    expect(await (await replay('slow', { fromSeq: first.seq })).json()).toEqual({ scanned: 2, created: 0 })
    await t.db.orm.execute(sql`update event_deliveries set status = 'delivered', completed_at = now()`)
    expect(await (await replay('slow', { fromSeq: first.seq })).json()).toEqual({ scanned: 2, created: 2 })
    expect(await (await replay('slow', { fromSeq: first.seq })).json()).toEqual({ scanned: 2, created: 0 })
    expect(await deliveryStates(t.db, 'slow')).toEqual({ delivered: 2, pending: 2 })
  })

  it('only types the subscription subscribes to are replayed, whatever the pattern asked', async () => {
    const rec = recorder()
    const sub = defineSubscription('bookings-only', ['booking.*'], rec.handler)
    await registerSubscriptions(t.db.orm, [sub])
    await publishOne(t.db)
    await t.db.orm.transaction((tx) => publish(tx, payment('p-1')))
    await t.db.orm.execute(sql`delete from event_deliveries`)
    expect(await (await replay('bookings-only', { pattern: '#', fromSeq: '1' })).json()).toEqual({ scanned: 1, created: 1 })
    await dispatcherFor(t.db, { subscriptions: [sub] }).drain()
    expect(rec.seen.map((e) => e.type)).toEqual(['booking.held'])
  })

  it('ranges by time and by seq bound the replay; a range is required', async () => {
    await registerSubscriptions(t.db.orm, [defineSubscription('ranged', ['#'], async () => {})])
    const at = (iso: string, id: string) => t.db.orm.transaction((tx) => publish(tx, { ...bookingHeld(id), time: new Date(iso) }))
    await at('2025-01-01T00:00:00Z', 'jan')
    const feb = await at('2025-02-01T00:00:00Z', 'feb')
    await at('2025-03-01T00:00:00Z', 'mar')
    await t.db.orm.execute(sql`delete from event_deliveries`)
    expect(await (await replay('ranged', { from: '2025-01-15T00:00:00Z', to: '2025-03-01T00:00:00Z' })).json()).toEqual({ scanned: 1, created: 1 })
    expect(await (await replay('ranged', { toSeq: feb.seq })).json()).toEqual({ scanned: 2, created: 1 })
    const noRange = await replay('ranged', { pattern: '#' })
    expect(noRange.status).toBe(400)
  })

  it('unknown subscription → 404; inactive → 409', async () => {
    expect((await replay('nobody', { fromSeq: '1' })).status).toBe(404)
    const created = await t.app.request('/v1/admin/subscriptions', { method: 'POST', headers: admin, body: JSON.stringify({ name: 'gone', url: 'https://g.example/h', patterns: ['#'] }) })
    expect(created.status).toBe(201)
    await t.app.request('/v1/admin/subscriptions/gone', { method: 'DELETE', headers: admin })
    expect((await replay('gone', { fromSeq: '1' })).status).toBe(409)
    expect((await redrive('gone')).status).toBe(409)
  })

  it('a large replay walks the outbox in chunks and reports progress after each', async () => {
    await registerSubscriptions(t.db.orm, [defineSubscription('bulk', ['#'], async () => {})])
    for (let i = 0; i < 5; i++) await publishOne(t.db)
    await t.db.orm.execute(sql`delete from event_deliveries`)
    const seen: ReplayProgress[] = []
    const result = await replayEvents(t.db, 'bulk', { fromSeq: '1' }, { batchSize: 2, onProgress: (p) => seen.push(p) })
    expect(seen).toEqual([
      { scanned: 0, total: 5, created: 0 },
      { scanned: 2, total: 5, created: 2 },
      { scanned: 4, total: 5, created: 4 },
      { scanned: 5, total: 5, created: 5 },
    ])
    expect(result).toEqual({ scanned: 5, total: 5, created: 5 })
  })
})

describe('redrive', () => {
  it('dead deliveries of one subscription go back to pending and are delivered; other subscriptions are untouched', async () => {
    let fail = true
    const seen: EventEnvelope[] = []
    const subs = [
      defineSubscription('fragile', ['booking.*'], async (e) => {
        if (fail) throw new Error('down')
        seen.push(e)
      }, { maxAttempts: 1 }),
      defineSubscription('other', ['booking.*'], async () => {
        throw new Error('also down')
      }, { maxAttempts: 1 }),
    ]
    await registerSubscriptions(t.db.orm, subs)
    await publishOne(t.db)
    await publishOne(t.db)
    const dispatcher = dispatcherFor(t.db, { subscriptions: subs })
    await dispatcher.drain()
    expect(await deliveryStates(t.db)).toEqual({ dead: 4 })
    fail = false
    const res = await redrive('fragile')
    expect(await res.json()).toEqual({ redriven: 2 })
    await dispatcher.drain()
    expect(seen).toHaveLength(2)
    expect(await deliveryStates(t.db, 'fragile')).toEqual({ delivered: 2 })
    expect(await deliveryStates(t.db, 'other')).toEqual({ dead: 2 })
    expect((await redrive('nobody')).status).toBe(404)
  })

  it('redrive never makes a second pending delivery of an event a replay already re-queued', async () => {
    await registerSubscriptions(t.db.orm, [defineSubscription('twice', ['#'], async () => {})])
    const e = await publishOne(t.db)
    await t.db.orm.execute(sql`update event_deliveries set status = 'dead', dead_reason = 'max_attempts', completed_at = now()`)
    expect(await replayEvents(t.db, 'twice', { fromSeq: e.seq })).toMatchObject({ created: 1 })
    expect(await redriveSubscription(t.db, 'twice')).toBe(0)
    expect(await deliveryStates(t.db, 'twice')).toEqual({ dead: 1, pending: 1 })
  })

  it('redrive by delivery id', async () => {
    await registerSubscriptions(t.db.orm, [defineSubscription('picky', ['#'], async () => {})])
    await publishOne(t.db)
    await publishOne(t.db)
    await t.db.orm.execute(sql`update event_deliveries set status = 'dead', dead_reason = 'max_attempts', completed_at = now()`)
    const [first] = await queryRows<{ id: string }>(t.db.orm, sql`select id::text as id from event_deliveries order by id limit 1`)
    expect(await (await redrive('picky', { ids: [first!.id] })).json()).toEqual({ redriven: 1 })
    expect(await deliveryStates(t.db, 'picky')).toEqual({ dead: 1, pending: 1 })
  })
})

describe('npm run events (CLI)', () => {
  /** The CLI runs against a database of its own: a PGlite data dir, or this test's PostgreSQL database. */
  async function cliDatabase(): Promise<{ env: Record<string, string>; open(): Promise<Database>; cleanup(): Promise<void> }> {
    if (onRealPostgres()) {
      return { env: { DATABASE_URL: t.db.url! }, open: async () => t.db, cleanup: async () => {} }
    }
    const dir = await mkdtemp(join(tmpdir(), 'kamhub-events-cli-'))
    return {
      env: { DATA_DIR: dir },
      async open() {
        const db = await pgliteDatabase({ dataDir: dir })
        await migrate(db, await loadMigrations())
        return db
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    }
  }

  function run(args: string[], env: Record<string, string>) {
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      // SLOW_QUERY_MS=0 logs every query: proves log lines stay off stdout, which carries only results.
      execFile(process.execPath, ['--import', 'tsx', 'src/cli/events.ts', ...args], { env: { PATH: process.env.PATH, LOG_LEVEL: 'warn', SLOW_QUERY_MS: '0', ...env } }, (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      )
    })
  }

  it('replay shows progress on stderr and a JSON summary on stdout; history lists; redrive; usage errors exit 2', async () => {
    const target = await cliDatabase()
    try {
      const db = await target.open()
      await registerSubscriptions(db.orm, [defineSubscription('cli-sub', ['booking.*'], async () => {})])
      for (let i = 0; i < 5; i++) await publishOne(db)
      await db.orm.execute(sql`update event_deliveries set status = 'dead', dead_reason = 'max_attempts', completed_at = now()`)
      if (db !== t.db) await db.close()

      const replayed = await run(['replay', '--subscription', 'cli-sub', '--pattern', 'booking.*', '--from-seq', '1', '--batch', '2'], target.env)
      expect(replayed.stderr).toContain('replay [')
      expect(replayed.stderr).toContain('5/5 events, 5 new deliveries')
      expect(replayed.stderr.trim().split('\n').length).toBeGreaterThanOrEqual(3) // one line per chunk off a terminal
      expect(replayed.code).toBe(0)
      expect(JSON.parse(replayed.stdout)).toEqual({ subscription: 'cli-sub', scanned: 5, created: 5 })

      const history = await run(['history', '--type', 'booking.*', '--limit', '3'], target.env)
      expect(history.code).toBe(0)
      const lines = history.stdout.trim().split('\n')
      expect(lines[0]).toMatch(/^SEQ\s+TIME\s+TYPE\s+SUBJECT\s+ID$/)
      expect(lines).toHaveLength(4)
      expect(history.stderr).toContain('more: --cursor ')

      const redriven = await run(['redrive', '--subscription', 'cli-sub'], target.env)
      expect(redriven.code).toBe(0)
      expect(JSON.parse(redriven.stdout)).toEqual({ subscription: 'cli-sub', redriven: 0 }) // each event is pending again via the replay

      expect((await run(['replay', '--pattern', 'x.*'], target.env)).code).toBe(2)
      expect((await run(['bogus'], target.env)).code).toBe(2)
      const unknown = await run(['redrive', '--subscription', 'nobody'], target.env)
      expect(unknown.code).toBe(1)
      expect(unknown.stderr).toContain('No subscription named "nobody"')
    } finally {
      await target.cleanup()
    }
  }, 300_000) // each run starts a process (and on PGlite opens the data dir): seconds, not milliseconds
})
