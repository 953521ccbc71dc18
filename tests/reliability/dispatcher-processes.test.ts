/**
 * Delivery guarantees that need real processes and a real server: a worker SIGKILLed mid-handler, two worker
 * processes sharing one database, the listening connection killed, PostgreSQL restarted mid-stream.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { postgresDatabase } from '../../src/core/db/postgres.ts'
import { migrate } from '../../src/core/db/migrate.ts'
import { loadMigrations } from '../../src/core/db/migrations.node.ts'
import { queryRows, type Database } from '../../src/core/db/index.ts'
import { publish } from '../../src/events/publish.ts'
import { defineSubscription, registerSubscriptions } from '../../src/events/subscription.ts'
import { bookingHeld, dispatcherFor, recorder } from '../support/events.ts'
import { createLogger } from '../../src/core/monitoring/logger.ts'
import { MetricsRegistry } from '../../src/core/monitoring/metrics.ts'
import { createDispatcher } from '../../src/events/dispatcher.ts'
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.ts'
import { createReliabilityLog, eventually, logCounts, startWorker, stopWorker, type WorkerChild } from './support.ts'

let pg: PrivatePostgres
let dbCounter = 0
const workers: WorkerChild[] = []

beforeAll(async () => {
  pg = await startPrivatePostgres()
}, 120_000)
afterAll(() => pg?.destroy())
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => stopWorker(w, 'SIGKILL')))
})

/** A fresh migrated database on the private server. */
async function freshDatabase(): Promise<{ db: Database; url: string }> {
  const name = `rel_${++dbCounter}`
  const admin = postgresDatabase({ url: pg.url, max: 1 })
  await admin.orm.execute(sql.raw(`create database ${name}`))
  await admin.close()
  const url = pg.url.replace(/\/postgres$/, `/${name}`)
  const db = postgresDatabase({ url, max: 8 })
  await migrate(db, await loadMigrations())
  await createReliabilityLog(db)
  await registerSubscriptions(db.orm, [defineSubscription('reliability', ['#'], async () => {}, { maxAttempts: 50, backoffBaseMs: 50, backoffMaxMs: 500 })])
  return { db, url }
}

async function publishMany(db: Database, count: number, reason?: string) {
  for (let i = 0; i < count; i++) {
    await db.orm.transaction((tx) => publish(tx, { ...bookingHeld(), data: { ...bookingHeld().data, ...(reason ? { reason } : {}) } }))
  }
}

describe('dispatcher processes', () => {
  it('a worker SIGKILLed mid-handler: the delivery runs again after its lease', async () => {
    const { db, url } = await freshDatabase()
    try {
      // Leases are not renewed while a handler runs: with a short one, a slow machine could let the first worker's
      // own claim loop re-claim its still-running delivery before the kill (an attempt and a crash more). Its lease
      // outlives the test instead, and is moved into the past after the kill rather than waited out.
      const first = await startWorker({ DATABASE_URL: url, LEASE_MS: '60000', HANG: '1' })
      workers.push(first)
      await publishMany(db, 1, 'hang')
      await eventually('the handler started', async () => (await queryRows(db.orm, sql`select 1 from reliability_log where phase = 'started'`)).length === 1)
      await stopWorker(first, 'SIGKILL')
      // Still the dead worker's until its lease ends: the end comes now.
      const expired = await queryRows(
        db.orm,
        sql`update event_deliveries set leased_until = now() - interval '1 second' where status = 'pending' and lease_owner is not null returning 1 as expired`,
      )
      expect(expired).toHaveLength(1)

      const second = await startWorker({ DATABASE_URL: url, LEASE_MS: '60000' })
      workers.push(second)
      await eventually('a second worker completed it after the lease ran out', async () =>
        (await queryRows(db.orm, sql`select 1 from event_deliveries where status = 'delivered'`)).length === 1,
      )
      const done = await queryRows<{ pid: number }>(db.orm, sql`select pid from reliability_log where phase = 'done'`)
      expect(done.map((r) => Number(r.pid))).toEqual([second.child.pid])
      const [delivery] = await queryRows<{ crashes: number; attempts: number }>(db.orm, sql`select crashes, attempts from event_deliveries`)
      expect({ attempts: Number(delivery!.attempts), crashes: Number(delivery!.crashes) }).toEqual({ attempts: 2, crashes: 1 })
    } finally {
      await db.close()
    }
  })

  it('two worker processes on one database: every delivery done, none twice', async () => {
    const { db, url } = await freshDatabase()
    try {
      await publishMany(db, 600)
      workers.push(await startWorker({ DATABASE_URL: url, BATCH_SIZE: '20' }), await startWorker({ DATABASE_URL: url, BATCH_SIZE: '20' }))
      await publishMany(db, 400) // some arrive while both run
      await eventually('all 1000 handled', async () => (await logCounts(db)).distinct === 1000, 60_000)
      await eventually('every delivery recorded', async () =>
        (await queryRows(db.orm, sql`select 1 from event_deliveries where status <> 'delivered' limit 1`)).length === 0,
      )
      expect(await logCounts(db)).toEqual({ total: 1000, distinct: 1000 })
      const pids = await queryRows<{ pid: number; n: number }>(db.orm, sql`select pid, count(*)::int as n from reliability_log group by pid`)
      expect(pids.length).toBeGreaterThanOrEqual(1)
    } finally {
      await db.close()
    }
  })

  // Without push a reconnect's sweep claims what was missed; with push the owner also adopts what was pushed to it
  // while it did not listen (its NOTIFY lost), instead of leaving it to the lease.
  for (const push of [false, true])
  it(`the listening connection killed (pg_terminate_backend): it reconnects and catches up${push ? ', push on' : ''}`, async () => {
    const { db } = await freshDatabase()
    const rec = recorder()
    const sub = defineSubscription('listener-test', ['booking.*'], rec.handler)
    // Polling far beyond the test's deadline: only NOTIFY or the post-reconnect sweep can deliver.
    const dispatcher = createDispatcher({ db, subscriptions: [sub], logger: createLogger({ level: 'silent' }), metrics: new MetricsRegistry(), listen: true, pollIntervalMs: 600_000, heartbeatMs: 200, push })
    await dispatcher.start()
    try {
      if (push) {
        const [owner] = await queryRows<{ owner: string }>(db.orm, sql`select owner from event_push_owner`)
        expect(owner?.owner).toBe(dispatcher.owner)
      }
      await publishMany(db, 1)
      await rec.waitFor(1)
      // With push: a push it never heard — its own live lease (1 h) with no NOTIFY behind it, as when a publisher
      // leased to it just before the connection dropped. Only adopting it after the reconnect delivers it in time.
      // Written before the kill: the adoption runs as soon as the listener is back, and a row committed after it
      // would wait out its lease.
      const lost = push ? 1 : 0
      if (push) {
        await db.orm.execute(sql`insert into event_deliveries (event_seq, subscription, lease_owner, leased_until, attempts)
          select seq, 'listener-test', ${dispatcher.owner}, now() + interval '1 hour', 1 from event_outbox order by seq limit 1`)
      }
      const killed = await queryRows<{ ok: boolean }>(
        db.orm,
        sql`select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = 'kamhub-listener' and datname = current_database()`,
      )
      expect(killed.length).toBe(1)
      await publishMany(db, 3) // published while the listener is down or reconnecting
      await rec.waitFor(4 + lost)
      await publishMany(db, 1) // and NOTIFY works again on the new connection
      await rec.waitFor(5 + lost)
      expect(rec.seen).toHaveLength(5 + lost)
      await eventually('every delivery recorded', async () =>
        (await queryRows(db.orm, sql`select 1 from event_deliveries where subscription = 'listener-test' and status <> 'delivered' limit 1`)).length === 0,
      )
    } finally {
      await dispatcher.stop()
      await db.close()
    }
  })

  for (const push of [false, true])
  it(`PostgreSQL restarted mid-stream: nothing is lost${push ? ', push on' : ''}`, async () => {
    const { db, url } = await freshDatabase()
    const handled = new Map<string, number>()
    const sub = defineSubscription('reliability', ['#'], async (event) => {
      handled.set(event.id, (handled.get(event.id) ?? 0) + 1)
    }, { maxAttempts: 50, backoffBaseMs: 50, backoffMaxMs: 500 })
    const consumerDb = postgresDatabase({ url, max: 4 })
    const dispatcher = createDispatcher({ db: consumerDb, subscriptions: [sub], logger: createLogger({ level: 'silent' }), metrics: new MetricsRegistry(), pollIntervalMs: 100, heartbeatMs: 200, push })
    await dispatcher.start()
    try {
      // A producer that keeps going through the restart; commits that fail are simply not produced.
      let stop = false
      const producer = (async () => {
        while (!stop) {
          await db.orm.transaction((tx) => publish(tx, bookingHeld())).catch(() => new Promise((r) => setTimeout(r, 20)))
        }
      })()
      await eventually('some events handled', async () => handled.size >= 50)
      pg.restart()
      await eventually('events flow again after the restart', async () => handled.size >= 150, 60_000)
      stop = true
      await producer
      const outbox = await queryRows<{ id: string }>(db.orm, sql`select id::text as id from event_outbox`)
      await eventually('every committed event handled', async () => outbox.every((e) => handled.has(e.id)), 60_000)
      expect(outbox.filter((e) => !handled.has(e.id))).toEqual([])
      expect([...handled.keys()].filter((id) => !outbox.some((e) => e.id === id))).toEqual([])
    } finally {
      await dispatcher.stop()
      await consumerDb.close()
      await db.close()
    }
  }, 120_000)
})
