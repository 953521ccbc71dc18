/**
 * The embedded database's own thread: PGlite (PostgreSQL in WebAssembly) with its contrib extensions, answering the
 * main thread's messages (protocol: pglite-thread.node.ts, which owns the types).
 *
 * Why a thread: loaded in the HTTP server's thread, PGlite's contrib extensions (dynamically linked WebAssembly side
 * modules) slowed every request of the process, not only queries: a bare hello route served beside them lost 23% of
 * its requests per second (+7 µs of CPU each; `perf` shows property stores in Node's own stream internals, the tick
 * objects of process.nextTick, falling to V8's runtime slow path, which a process without them never takes). And
 * each query's WebAssembly ran between requests. In this thread neither touches the HTTP thread.
 *
 * JavaScript, not TypeScript: Node loads a worker's entry itself, without the main thread's TypeScript loader.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { PGlite } from '@electric-sql/pglite'

/** @type {{ dataDir?: string, loadDataDir?: Blob, extensions: string[] }} */
const options = workerData
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort)

/** Contrib modules by name: only these may be asked for (a name becomes an import path). */
const CONTRIB = {
  pg_trgm: () => import('@electric-sql/pglite/contrib/pg_trgm').then((m) => m.pg_trgm),
  cube: () => import('@electric-sql/pglite/contrib/cube').then((m) => m.cube),
  earthdistance: () => import('@electric-sql/pglite/contrib/earthdistance').then((m) => m.earthdistance),
}

const extensions = {}
for (const name of options.extensions) {
  const load = CONTRIB[name]
  if (!load) throw new Error(`unknown PGlite extension "${name}"`)
  extensions[name] = await load()
}
const pg = await PGlite.create(options.dataDir, { extensions, ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}) })

/** Open transactions by id: the PGlite transaction handle and how to end it. */
const transactions = new Map()
/** Live LISTEN registrations by id: PGlite's unsubscribe. */
const listeners = new Map()
let nextTransactionId = 0
const ROLLBACK = Symbol('rollback')

/** A parser that keeps PostgreSQL's text, for the type ids the caller asked to keep as text (Drizzle's dates). */
const keepText = (value) => value
const parserSets = new Map()
function parsersFor(textTypes) {
  const key = textTypes.join(',')
  let parsers = parserSets.get(key)
  if (!parsers) parserSets.set(key, (parsers = Object.fromEntries(textTypes.map((oid) => [oid, keepText]))))
  return parsers
}

/** Runs on the transaction when one is named, else on the database (which waits for an open transaction to end). */
const target = (tx) => (tx === undefined ? pg : transactions.get(tx)?.handle ?? closedTransaction(tx))
function closedTransaction(tx) {
  throw new Error(`transaction ${tx} is not open`)
}

const operations = {
  async query({ text, params, rowMode, textTypes, tx }) {
    const result = await target(tx).query(text, params, { rowMode, ...(textTypes ? { parsers: parsersFor(textTypes) } : {}) })
    return { rows: result.rows, fields: result.fields, affectedRows: result.affectedRows }
  },
  async exec({ script, tx }) {
    const results = await target(tx).exec(script)
    return results.map((r) => ({ rows: r.rows, fields: r.fields, affectedRows: r.affectedRows }))
  },
  begin() {
    const tx = ++nextTransactionId
    return new Promise((opened, failed) => {
      const open = { handle: undefined, commit: undefined, rollback: undefined, settled: undefined }
      // PGlite holds the transaction open while this callback's promise is pending; `end` settles it.
      open.settled = pg.transaction(
        (handle) =>
          new Promise((commit, rollback) => {
            Object.assign(open, { handle, commit, rollback: () => rollback(ROLLBACK) })
            transactions.set(tx, open)
            opened(tx)
          }),
      )
      // Failed before it opened (BEGIN itself): that is the begin's answer. Once open, `end` reports the outcome.
      open.settled.catch((error) => {
        if (!transactions.has(tx)) failed(error)
      })
    })
  },
  async end({ tx, commit }) {
    const open = transactions.get(tx)
    if (!open) throw new Error(`transaction ${tx} is not open`)
    if (commit) open.commit()
    else open.rollback()
    try {
      await open.settled
    } catch (error) {
      if (error !== ROLLBACK) throw error
    } finally {
      transactions.delete(tx)
    }
  },
  async listen({ listenerId, channel }) {
    listeners.set(listenerId, await pg.listen(channel, (payload) => port.postMessage({ notification: listenerId, payload })))
  },
  async unlisten({ listenerId }) {
    const unlisten = listeners.get(listenerId)
    listeners.delete(listenerId)
    await unlisten?.()
  },
  async close() {
    if (!pg.closed) await pg.close()
  },
}

/**
 * A PostgreSQL error's fields (code, constraint, detail, …) cross as own properties (an Error's own clone keeps only
 * its message); what cannot be cloned stays behind (PGlite also attaches the query's options: parsers are functions).
 */
function serializeError(error) {
  if (!(error instanceof Error)) return { message: String(error) }
  const fields = {}
  for (const [key, value] of Object.entries(error)) {
    try {
      fields[key] = structuredClone(value)
    } catch {
      // not cloneable: left behind
    }
  }
  return { ...fields, name: error.name, message: error.message, stack: error.stack }
}

port.on('message', async (message) => {
  const { id, op } = message
  try {
    const result = await operations[op](message)
    try {
      port.postMessage({ id, result })
    } catch (error) {
      // An answer that cannot be cloned still answers: as the error saying why.
      port.postMessage({ id, error: serializeError(error) })
    }
  } catch (error) {
    port.postMessage({ id, error: serializeError(error) })
  }
})
port.postMessage({ ready: true })
