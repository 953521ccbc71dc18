/**
 * The database port. Pillars query through `orm` (Drizzle, the same API on postgres.js and PGlite) and receive an
 * `Executor` — the database or an open transaction — as an explicit argument. `scriptTransaction` and `listen`
 * reach the underlying client for what an ORM does not cover: multi-statement migration scripts and LISTEN/NOTIFY.
 */
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core'
import type { SQL } from 'drizzle-orm'

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Orm = PgDatabase<PgQueryResultHKT, any>
/** Either the database or a transaction opened on it; repository functions take this as their first argument. */
export type Executor = Orm

export interface ScriptTx {
  /** Runs a multi-statement SQL script (no parameters). */
  exec(script: string): Promise<void>
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>
}

export type Unlisten = () => Promise<void>

export interface ListenOptions {
  onListen?(): void
  onError?(error: unknown): void
  heartbeatMs?: number
}

export interface Database {
  readonly kind: 'pglite' | 'postgres'
  readonly orm: Orm
  scriptTransaction<T>(fn: (tx: ScriptTx) => Promise<T>): Promise<T>
  /**
   * Subscribes to NOTIFY on a channel. On PostgreSQL this is a dedicated, self-healing connection (heartbeat,
   * reconnect with backoff); `onListen` runs after every (re)connect so callers can catch up on what they missed.
   */
  listen(channel: string, onPayload: (payload: string) => void, options?: ListenOptions): Promise<Unlisten>
  notify(channel: string, payload: string): Promise<void>
  /** Round trip used by readiness checks. */
  ping(): Promise<void>
  close(): Promise<void>
}

/** Raw `execute` answers differ between drivers (an array on postgres.js, `{ rows }` on PGlite): normalise here. */
export async function queryRows<T = Record<string, unknown>>(ex: Executor, query: SQL): Promise<T[]> {
  return rowsOf<T>(await ex.execute(query))
}

/** The rows of a raw driver answer, whichever driver gave it (see queryRows). */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[]
}
