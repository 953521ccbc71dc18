/**
 * The systems `npm run bench:events` compares, and what the benchmark needs from each: a fresh database, a
 * producer that commits one business transaction per event (insert a row + publish/enqueue), and the consumer
 * configuration its child process starts (see events-consumer.ts).
 *
 * Timestamps are `process.hrtime.bigint()` in milliseconds: CLOCK_MONOTONIC on Linux, one clock for every
 * process on the machine, so a commit acknowledged here and a handler started in a child compare directly.
 */
import postgres from 'postgres'
import { sql } from 'drizzle-orm'
import { Logger as GraphileLogger, runMigrations } from 'graphile-worker'
import { postgresDatabase } from '../src/core/db/postgres.ts'
import { migrate } from '../src/core/db/migrate.ts'
import { loadMigrations } from '../src/core/db/migrations.node.ts'
import { publish } from '../src/events/publish.ts'
import { defineSubscription, registerSubscriptions, type EventHandler } from '../src/events/subscription.ts'

export const nowMs = () => Number(process.hrtime.bigint()) / 1e6

export interface KamhubConfig {
  kind: 'kamhub'
  batchSize: number
  loops: number
  /** Push ownership (EVENTS_PUSH, on by default in a server): handlers run from the NOTIFY, no claim round trip. */
  push: boolean
}

export interface GraphileConfig {
  kind: 'graphile'
  concurrency: number
  /** graphile-worker's batching: jobs fetched `size` at a time into a local queue, completions batched. */
  localQueueSize?: number
  completeJobBatchDelay?: number
}

/** No queue at all: the commit NOTIFYs the event number and the consumer's handler is the notification. */
export interface FloorConfig {
  kind: 'floor'
}

export const FLOOR_CHANNEL = 'bench_floor'

export interface System {
  name: string
  config: KamhubConfig | GraphileConfig | FloorConfig
  /** Another checkout whose bench/events-consumer.ts (and so whose src/events) runs the consumer: before/after. */
  root?: string
}

export function describeConfig(config: System['config']): string {
  if (config.kind === 'kamhub') return `dispatcher batchSize ${config.batchSize}, loops ${config.loops} (a server runs this with EVENTS_BATCH_SIZE=${config.batchSize} EVENTS_CLAIM_LOOPS=${config.loops}; its defaults are 100 and 2), LISTEN on, push ${config.push ? 'on (the default)' : 'off'}, poll backstop 30 s (the default; NOTIFY wakes it)`
  if (config.kind === 'floor') return 'LISTEN/NOTIFY only, no queue: the least any LISTEN-woken consumer can take here (no drain)'
  const batching = config.localQueueSize
    ? `, localQueue.size ${config.localQueueSize}, completeJobBatchDelay ${config.completeJobBatchDelay ?? -1}, failJobBatchDelay ${config.completeJobBatchDelay ?? -1}`
    : ''
  return `concurrency ${config.concurrency}${batching}, maxPoolSize 10, poll 2 s`
}

/** The one code subscription the KamHub consumer runs; the producer registers it so publish fans out to it. */
export function benchSubscription(handler: EventHandler = async () => {}) {
  return defineSubscription('bench', ['booking.held'], handler)
}

export interface Producer {
  /** One business transaction: insert an order row and publish/enqueue event `n`, commit. */
  commit(n: number): Promise<void>
  /** `count` events from `from` in transactions of `perTx` (a backlog; not timed). */
  commitMany(from: number, count: number, perTx: number): Promise<void>
  /** Rows not yet processed (KamHub: pending deliveries; graphile: jobs). */
  unfinished(): Promise<number>
  vacuum(): Promise<void>
  close(): Promise<void>
}

const ORDERS_TABLE = 'create table bench_orders (id bigint primary key, created_at timestamptz not null default now())'

function bookingHeld(n: number) {
  const id = String(n)
  return {
    type: 'booking.held' as const,
    data: { bookingId: id, departureId: 'dep-bench', travellerId: 'u-bench', seats: 1, expiresAt: '2030-01-01T00:00:00.000Z' },
    aggregate: { type: 'booking', id },
  }
}

/** Migrates a fresh database for `config` and returns a producer on it (pool of `connections`). */
export async function openProducer(url: string, config: System['config'], connections: number): Promise<Producer> {
  if (config.kind === 'kamhub') return openKamhubProducer(url, connections)
  return openSqlProducer(url, connections, config.kind)
}

async function openKamhubProducer(url: string, connections: number): Promise<Producer> {
  const db = postgresDatabase({ url, max: connections, applicationName: 'bench-producer' })
  await migrate(db, await loadMigrations())
  await db.orm.execute(sql.raw(ORDERS_TABLE))
  await registerSubscriptions(db.orm, [benchSubscription()])
  const count = async (query: ReturnType<typeof sql>) => Number(((await db.orm.execute(query)) as unknown as Array<{ n: number }>)[0]!.n)
  return {
    commit: (n) =>
      db.orm.transaction(async (tx) => {
        await tx.execute(sql`insert into bench_orders (id) values (${n})`)
        await publish(tx, bookingHeld(n))
      }),
    async commitMany(from, count, perTx) {
      for (let start = from; start < from + count; start += perTx) {
        await db.orm.transaction(async (tx) => {
          for (let n = start; n < Math.min(start + perTx, from + count); n++) {
            await tx.execute(sql`insert into bench_orders (id) values (${n})`)
            await publish(tx, bookingHeld(n))
          }
        })
      }
    },
    unfinished: () => count(sql`select count(*)::int as n from event_deliveries where status = 'pending'`),
    vacuum: async () => void (await db.orm.execute(sql`vacuum analyze`)),
    close: () => db.close(),
  }
}

/** graphile-worker's add_job, or the floor's bare NOTIFY, from postgres.js. */
async function openSqlProducer(url: string, connections: number, kind: 'graphile' | 'floor'): Promise<Producer> {
  if (kind === 'graphile') await runMigrations({ connectionString: url, logger: quietGraphileLogger() })
  const pg = postgres(url, { max: connections, prepare: true, fetch_types: false, onnotice: () => {}, connection: { application_name: 'bench-producer' } })
  await pg.unsafe(ORDERS_TABLE)
  // add_job NOTIFYs `jobs:insert` itself, like publish does. A JSON string here would be encoded twice.
  const enqueue = (tx: postgres.TransactionSql, n: number) =>
    kind === 'graphile' ? tx`select graphile_worker.add_job('bench', ${tx.json({ n })}::json)` : tx`select pg_notify(${FLOOR_CHANNEL}, ${String(n)})`
  return {
    commit: async (n) => {
      await pg.begin(async (tx) => {
        await tx`insert into bench_orders (id) values (${n})`
        await enqueue(tx, n)
      })
    },
    async commitMany(from, count, perTx) {
      for (let start = from; start < from + count; start += perTx) {
        await pg.begin(async (tx) => {
          for (let n = start; n < Math.min(start + perTx, from + count); n++) {
            await tx`insert into bench_orders (id) values (${n})`
            await enqueue(tx, n)
          }
        })
      }
    },
    unfinished: async () => (kind === 'graphile' ? Number((await pg`select count(*)::int as n from graphile_worker.jobs`)[0]!.n) : 0),
    vacuum: async () => void (await pg`vacuum analyze`),
    close: () => pg.end({ timeout: 5 }),
  }
}

export const quietGraphileLogger = () => new GraphileLogger(() => () => {})

/** A database per system per run, created from the admin URL and dropped at the end. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`create database "${name}"`)
  } finally {
    await admin.end({ timeout: 5 })
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`drop database if exists "${name}" with (force)`)
  } finally {
    await admin.end({ timeout: 5 })
  }
}
