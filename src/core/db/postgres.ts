/**
 * PostgreSQL through postgres.js: a pool on Node/Deno, one short-lived client per request on Workers (Hyperdrive
 * pools for us there, and `sql.end()` must never be called inside workerd — porsager/postgres#1202).
 */
import postgres from 'postgres'
import { drizzle } from 'drizzle-orm/postgres-js'
import type { Database, Orm } from './index.ts'
import type { QueryObserver } from './instrument.ts'
import { startPostgresListener } from './postgres-listener.ts'
import { monotonicNow } from '../monotonic.ts'

type Sql = postgres.Sql

export interface PostgresOptions {
  url: string
  max?: number
  /** Workers: no pool of our own, no `end()` on close, no prepared statements (Hyperdrive multiplexes). */
  perRequest?: boolean
  observe?: QueryObserver
  applicationName?: string
}

export function postgresDatabase({ url, max = 10, perRequest = false, observe, applicationName = 'kamhub' }: PostgresOptions): Database {
  const sql = postgres(url, {
    max: perRequest ? 5 : max,
    prepare: !perRequest,
    fetch_types: false,
    onnotice: () => {},
    connection: { application_name: applicationName },
  })
  // Drizzle's `execute` asks postgres.js for an unnamed statement, which costs a describe round trip and a fresh
  // plan every time; on a long-lived pool every statement is prepared once per connection instead.
  const prepared = perRequest ? sql : preparing(sql)
  const client = observe ? instrument(prepared, observe) : prepared
  const orm = drizzle({ client }) as unknown as Orm

  return {
    kind: 'postgres',
    orm,
    scriptTransaction: (fn) =>
      sql.begin((tx) =>
        fn({
          exec: async (script) => {
            await tx.unsafe(script).simple()
          },
          query: async <T>(text: string, params: unknown[] = []) =>
            (await tx.unsafe(text, params as postgres.ParameterOrJSON<never>[])) as unknown as T[],
        }),
      ) as never,
    async listen(channel, onPayload, options = {}) {
      if (perRequest) throw new Error('LISTEN needs a long-lived connection; Workers wake dispatch with waitUntil and cron instead')
      const listener = startPostgresListener({ url, channel, onPayload, ...options, applicationName: `${applicationName}-listener` })
      await listener.ready
      return () => listener.stop()
    },
    async notify(channel, payload) {
      await sql.notify(channel, payload)
    },
    async ping() {
      await sql`select 1`
    },
    async close() {
      if (!perRequest) await sql.end({ timeout: 5 })
    },
  }
}

/** Makes `unsafe` (what Drizzle calls) prepare its statement. */
function preparing(sql: Sql): Sql {
  return withUnsafe(sql, (target) => (text, params, options) => target.unsafe(text, params, { ...options, prepare: true }))
}

/**
 * Times every statement `unsafe` runs. postgres.js queries are lazy — they run when awaited — so the clock
 * starts in `then`.
 */
function instrument(sql: Sql, observe: QueryObserver): Sql {
  return withUnsafe(sql, (target) => (text, ...rest) => timed(text, target.unsafe(text, ...rest), observe) as never)
}

/** A view of the client whose `unsafe` is replaced, in the transactions and savepoints it opens too. */
function withUnsafe(sql: Sql, replace: (target: Sql) => Sql['unsafe']): Sql {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') return replace(target)
      if (prop === 'begin' || prop === 'savepoint') {
        const original = Reflect.get(target, prop, receiver) as (...a: unknown[]) => unknown
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: Sql) => unknown
          return original.call(target, ...args, (tx: Sql) => fn(withUnsafe(tx, replace)))
        }
      }
      const value = Reflect.get(target, prop, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

function timed(text: string, query: unknown, observe: QueryObserver) {
  type Then = (onFulfilled?: ((v: unknown) => unknown) | null, onRejected?: ((e: unknown) => unknown) | null) => Promise<unknown>
  const q = query as { then: Then }
  const then = q.then
  q.then = function (onFulfilled, onRejected) {
    const startedAt = monotonicNow()
    return then.call(
      q,
      (value) => {
        observe(text, startedAt)
        return onFulfilled ? onFulfilled(value) : value
      },
      (error) => {
        observe(text, startedAt, error)
        if (onRejected) return onRejected(error)
        throw error
      },
    )
  }
  return q
}
