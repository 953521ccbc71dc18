/**
 * The embedded PGlite database run in its own worker thread (pglite-thread.node.mjs), behind the same client surface
 * as an in-process PGlite, so `pgliteFromClient` (Drizzle, scripts, LISTEN) is the same for both. The server uses
 * this one: PGlite's WebAssembly and its contrib extensions stay off the thread that serves HTTP (why: the thread's
 * own header). Semantics are PGlite's own, one session: a statement outside a transaction waits while one is open.
 *
 * Each call is one message each way; values cross by structured clone (rows, Dates, bytes, bigint). Row parsers
 * cannot cross (functions): the ones Drizzle passes only keep a type's text, so they cross as the type ids to keep.
 */
import { Worker } from 'node:worker_threads'
import type { Results } from '@electric-sql/pglite'
import type { Database } from './index.ts'
import type { QueryObserver } from './instrument.ts'
import { PGLITE_EXTENSIONS, pgliteFromClient, type PgliteClient, type PgliteQueryOptions, type PgliteTransaction } from './pglite.ts'

export interface PgliteThreadOptions {
  /** A directory to persist to; omit for an in-memory database. */
  dataDir?: string
  /** A tarball made by `dumpDataDir()` to start from (tests share one template). */
  loadDataDir?: Blob
  observe?: QueryObserver
}

type Request =
  | { op: 'query'; text: string; params: unknown[]; rowMode?: 'array' | 'object'; textTypes?: number[]; tx?: number }
  | { op: 'exec'; script: string; tx?: number }
  | { op: 'begin' }
  | { op: 'end'; tx: number; commit: boolean }
  | { op: 'listen'; listenerId: number; channel: string }
  | { op: 'unlisten'; listenerId: number }
  | { op: 'close' }

type Reply = { id: number; result?: unknown; error?: Record<string, unknown> & { message: string } }
type Notification = { notification: number; payload: string }

export async function pgliteThreadDatabase({ dataDir, loadDataDir, observe }: PgliteThreadOptions = {}): Promise<Database> {
  const client = await startThread({ dataDir, loadDataDir, extensions: Object.keys(PGLITE_EXTENSIONS) })
  return pgliteFromClient(client, observe)
}

async function startThread(workerData: { dataDir?: string; loadDataDir?: Blob; extensions: string[] }): Promise<PgliteClient> {
  const worker = new Worker(new URL('./pglite-thread.node.mjs', import.meta.url), { workerData })
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>()
  const listeners = new Map<number, (payload: string) => void>()
  let nextId = 0
  let closed = false
  let failure: Error | undefined

  const ready = new Promise<void>((resolve, reject) => {
    worker.on('message', (message: Reply | Notification | { ready: true }) => {
      if ('ready' in message) return resolve()
      if ('notification' in message) return listeners.get(message.notification)?.(message.payload)
      const call = pending.get(message.id)
      pending.delete(message.id)
      if (message.error) call?.reject(reviveError(message.error))
      else call?.resolve(message.result)
    })
    // The thread died (start-up failed, or it crashed): every waiting and later call fails with why.
    const fail = (error: Error) => {
      failure ??= error
      closed = true
      reject(failure)
      for (const call of pending.values()) call.reject(failure)
      pending.clear()
    }
    worker.once('error', fail)
    worker.once('exit', (code) => fail(new Error(`the PGlite thread exited (code ${code})`)))
  })
  await ready

  const call = <T>(request: Request): Promise<T> => {
    if (failure) return Promise.reject(failure)
    const id = ++nextId
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      worker.postMessage({ id, ...request })
    })
  }

  const queryOn =
    (tx?: number) =>
    <T>(text: string, params: unknown[] = [], options: PgliteQueryOptions = {}) =>
      call<Results<T>>({ op: 'query', text, params, rowMode: options.rowMode, textTypes: textTypesOf(options), tx })
  const execOn = (tx?: number) => (script: string) => call<Results[]>({ op: 'exec', script, tx })

  return {
    get closed() {
      return closed
    },
    query: queryOn(),
    exec: execOn(),
    async transaction<T>(fn: (tx: PgliteTransaction) => Promise<T>): Promise<T> {
      const tx = await call<number>({ op: 'begin' })
      let result: T
      try {
        result = await fn({ query: queryOn(tx), exec: execOn(tx) })
      } catch (error) {
        // The caller's error is the one to see, even if the rollback cannot be asked for (the thread is gone).
        await call({ op: 'end', tx, commit: false }).catch(() => undefined)
        throw error
      }
      await call({ op: 'end', tx, commit: true })
      return result
    },
    async listen(channel, onPayload) {
      const listenerId = ++nextId
      listeners.set(listenerId, onPayload)
      await call({ op: 'listen', listenerId, channel })
      return async () => {
        listeners.delete(listenerId)
        if (!closed) await call({ op: 'unlisten', listenerId })
      }
    },
    async close() {
      if (closed) return
      await call({ op: 'close' })
      closed = true
      await worker.terminate()
    },
  }
}

/**
 * Drizzle's parsers keep dates and intervals as PostgreSQL's text; the thread does the same for these type ids.
 * Drizzle passes one parsers object per prepared query, so its ids are listed once.
 */
const textTypeLists = new WeakMap<object, number[]>()
function textTypesOf({ parsers }: PgliteQueryOptions): number[] | undefined {
  if (!parsers) return undefined
  let ids = textTypeLists.get(parsers)
  if (!ids) textTypeLists.set(parsers, (ids = Object.keys(parsers).map(Number)))
  return ids
}

/** An error with the thread's fields (code, constraint, detail …) as its own, like PGlite's DatabaseError. */
function reviveError(fields: Record<string, unknown> & { message: string }): Error {
  const { message, stack, ...rest } = fields
  const error = Object.assign(new Error(message), rest)
  if (typeof stack === 'string') error.stack = `${stack}\n    (in the PGlite thread)`
  return error
}
