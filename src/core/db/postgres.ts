/**
 * PostgreSQL through postgres.js: a pool on Node/Deno, one short-lived client per request on Workers (Hyperdrive
 * pools for us there, and `sql.end()` must never be called inside workerd — porsager/postgres#1202).
 */
import postgres from 'postgres'
import { drizzle } from 'drizzle-orm/postgres-js'
import type { Database, Orm } from './index.ts'
import type { QueryObserver } from './instrument.ts'
import { startPostgresListener } from './postgres-listener.ts'

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
  const client = observe ? instrument(sql, observe) : sql
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

/**
 * Wraps `unsafe` (what Drizzle calls) and the transaction entry points so every statement is timed.
 * postgres.js queries are lazy — they run when awaited — so the clock starts in `then`.
 */
function instrument(sql: Sql, observe: QueryObserver): Sql {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === 'unsafe') {
        return (text: string, ...rest: unknown[]) => timed(text, (target.unsafe as (...a: unknown[]) => unknown)(text, ...rest), observe)
      }
      if (prop === 'begin' || prop === 'savepoint') {
        const original = Reflect.get(target, prop, receiver) as (...a: unknown[]) => unknown
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: Sql) => unknown
          return original.call(target, ...args, (tx: Sql) => fn(instrument(tx, observe)))
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
    const startedAt = performance.now()
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
