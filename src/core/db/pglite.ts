/**
 * The embedded default: PGlite (PostgreSQL compiled to WASM), persisted under a data directory, in this thread
 * (`pgliteDatabase`: tests and the CLIs) or in its own (pglite-thread.node.ts: the Node and Deno servers). One
 * session only — statements queue behind an open transaction — so it is for development and tests, and is refused
 * in production unless ALLOW_DEV_ADAPTERS is set.
 */
import { PGlite, type Extensions, type QueryOptions, type Results } from '@electric-sql/pglite'
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm'
import { cube } from '@electric-sql/pglite/contrib/cube'
import { earthdistance } from '@electric-sql/pglite/contrib/earthdistance'
import { drizzle } from 'drizzle-orm/pglite'
import type { Database, Orm } from './index.ts'
import type { QueryObserver } from './instrument.ts'
import { monotonicNow } from '../monotonic.ts'

export interface PgliteOptions {
  /** A directory to persist to; omit for an in-memory database. */
  dataDir?: string
  /** A tarball made by `dumpDataDir()`: starts from a copy instead of running initdb (tests share one template). */
  loadDataDir?: Blob | File
  observe?: QueryObserver
  /** Contrib extensions to load; defaults to what the migrations create (a data dir that has them needs them loaded). */
  extensions?: Extensions
}

/** The contrib extensions sql/ migrations create: trigram search and earthdistance geo (PGlite has no PostGIS). */
export const PGLITE_EXTENSIONS: Extensions = { pg_trgm, cube, earthdistance }

export async function pgliteDatabase({ dataDir, loadDataDir, observe, extensions = PGLITE_EXTENSIONS }: PgliteOptions = {}): Promise<Database> {
  const pg = await PGlite.create(dataDir, { extensions, ...(loadDataDir ? { loadDataDir } : {}) })
  return pgliteFromClient(pg, observe)
}

export type PgliteQueryOptions = Pick<QueryOptions, 'rowMode' | 'parsers'>

/** What Drizzle and this adapter use of a PGlite transaction. */
export interface PgliteTransaction {
  query<T>(text: string, params?: unknown[], options?: PgliteQueryOptions): Promise<Results<T>>
  exec(script: string): Promise<Results[]>
}

/** What this adapter uses of PGlite: an in-process `PGlite` is one, and so is the thread's client. */
export interface PgliteClient extends PgliteTransaction {
  transaction<T>(fn: (tx: PgliteTransaction) => Promise<T>): Promise<T>
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>
  close(): Promise<void>
  readonly closed: boolean
}

export function pgliteFromClient(pg: PgliteClient, observe?: QueryObserver): Database {
  const client = observe ? instrument(pg, observe) : pg
  // Drizzle's PGlite session calls only `query` and `transaction` (see PgliteClient), so either client drives it.
  const orm = drizzle({ client: client as unknown as PGlite }) as unknown as Orm
  return {
    kind: 'pglite',
    orm,
    scriptTransaction: (fn) =>
      pg.transaction((tx) =>
        fn({
          exec: async (script) => {
            await tx.exec(script)
          },
          query: async <T>(text: string, params: unknown[] = []) => (await tx.query<T>(text, params)).rows,
        }),
      ),
    // In-process: the listener cannot drop, so onListen fires once.
    async listen(channel, onPayload, options = {}) {
      const unlisten = await pg.listen(channel, onPayload)
      options.onListen?.()
      return unlisten
    },
    async notify(channel, payload) {
      await pg.query('select pg_notify($1, $2)', [channel, payload])
    },
    async ping() {
      await pg.query('select 1')
    },
    async close() {
      if (!pg.closed) await pg.close()
    },
  }
}

type Queryable = Pick<PgliteTransaction, 'query'>

/** Times `query` on the client and inside transactions (what Drizzle's PGlite session calls). */
function instrument<T extends Queryable>(client: T, observe: QueryObserver): T {
  return new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver)
      if (prop === 'query' && typeof value === 'function') {
        return async (text: string, ...rest: unknown[]) => {
          const startedAt = monotonicNow()
          try {
            const result = await value.call(target, text, ...rest)
            observe(text, startedAt)
            return result
          } catch (error) {
            observe(text, startedAt, error)
            throw error
          }
        }
      }
      if (prop === 'transaction' && typeof value === 'function') {
        return (fn: (tx: Queryable) => unknown) => value.call(target, (tx: Queryable) => fn(instrument(tx, observe)))
      }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}
