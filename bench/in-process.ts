/**
 * Benchmark child: JavaScript cost per request with the network taken out. node-server's own request listener
 * drives real IncomingMessage/ServerResponse objects over a socket that discards writes, so the figure covers
 * routing, every middleware, logging and response serialisation, but no kernel and no client. CPU time, minimum of
 * several repetitions: on a shared machine this is the stable number to compare runs with.
 *
 * Reports { fullDebug, fullInfo, bare } in µs per request over IPC, and what an idle minute's maintenance costs
 * (`idleTick`, below). Full-app logs go to stdout (= /dev/null).
 */
import { IncomingMessage, ServerResponse } from 'node:http'
import { Duplex } from 'node:stream'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { buildServerDeps } from '../src/runtime/server-deps.node.ts'
import { createApp } from '../src/app.ts'
import { nodeResponseHeaders } from '../src/runtime/node-response-headers.ts'
import { nodeRawHeaders } from '../src/runtime/node-request-headers.ts'
import { sql } from 'drizzle-orm'
import type { Deps } from '../src/deps.ts'
import { runMinuteMaintenance } from '../src/maintenance.ts'
import { median, productionSecrets } from './lib.ts'

class DiscardingSocket extends Duplex {
  override _read() {}
  override _write(_chunk: unknown, _encoding: unknown, done: () => void) {
    done()
  }
  override _writev(_chunks: unknown, done: () => void) {
    done()
  }
}

type Fetch = (request: Request) => Response | Promise<Response>

async function cpuPerRequest(fetch: Fetch, path: string, requests = 10_000, repetitions = 7): Promise<number> {
  const listener = getRequestListener(fetch)
  const socket = new DiscardingSocket()
  const once = () =>
    new Promise<void>((resolve) => {
      const req = new IncomingMessage(socket as never)
      Object.assign(req, { method: 'GET', url: path, httpVersion: '1.1', httpVersionMajor: 1, httpVersionMinor: 1 })
      req.headers = { host: '127.0.0.1', 'user-agent': 'kamhub-bench', accept: '*/*' }
      req.rawHeaders = ['Host', '127.0.0.1', 'User-Agent', 'kamhub-bench', 'Accept', '*/*']
      req.push(null)
      const res = new ServerResponse(req)
      res.assignSocket(socket as never)
      res.once('finish', () => {
        res.detachSocket(socket as never)
        resolve()
      })
      void listener(req, res)
    })
  for (let i = 0; i < 5_000; i++) await once() // warm-up: JIT, caches
  let best = Infinity
  for (let r = 0; r < repetitions; r++) {
    const before = process.cpuUsage()
    for (let i = 0; i < requests; i++) await once()
    const used = process.cpuUsage(before)
    best = Math.min(best, (used.user + used.system) / requests)
  }
  return best
}

/**
 * The minute's maintenance on a server with nothing due (src/maintenance.ts), against one `select 1` round trip on the
 * same database in the same run: wall time (what the PGlite thread and the driver add) and the main thread's CPU
 * (what requests in flight wait behind). Medians of `ticks` after a warm-up; warm code, where a real tick, a minute
 * apart, also pays for colder code.
 */
export interface IdleTick {
  wallMs: number
  mainMs: number
  statements: number
  selectOneWallMs: number
  selectOneMainMs: number
}

async function idleTick(deps: Deps, ticks = 100): Promise<IdleTick> {
  const statements = deps.metrics.histogram('db_query_duration_seconds', '')
  const selectOne = () => deps.db.orm.execute(sql`select 1`)
  const measure = async (run: () => Promise<unknown>) => {
    for (let i = 0; i < 20; i++) await run()
    const walls: number[] = []
    const mains: number[] = []
    const before = statements.totalCount()
    for (let i = 0; i < ticks; i++) {
      const main = mainThreadMs()
      const start = performance.now()
      await run()
      walls.push(performance.now() - start)
      mains.push(mainThreadMs() - main)
    }
    return { wallMs: median(walls), mainMs: median(mains), statements: (statements.totalCount() - before) / ticks }
  }
  const tick = await measure(() => runMinuteMaintenance(deps))
  const one = await measure(selectOne)
  return { ...tick, selectOneWallMs: one.wallMs, selectOneMainMs: one.mainMs }
}

/** This thread's CPU so far, in ms (Linux: the thread group leader's schedstat, as sched-sampler.ts reads it; NaN elsewhere). */
function mainThreadMs(): number {
  try {
    return Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[0]) / 1e6
  } catch {
    return NaN
  }
}

/** Builds the full app's deps as a server does (embedded PGlite in a temp dir), runs `measure` on them, releases them. */
async function withFullApp<T>(level: string, measure: (deps: Deps) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'kamhub-bench-'))
  const { deps, close } = await buildServerDeps({
    NODE_ENV: 'production',
    ALLOW_DEV_ADAPTERS: 'true',
    ...productionSecrets(),
    DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: level,
    EVENTS_DISPATCHER: 'false', // background polling would be billed to the requests
  })
  try {
    return await measure(deps)
  } finally {
    await close()
    await rm(dir, { recursive: true, force: true })
  }
}

const bare = new Hono().get('/hello', (c) => c.text('Hello'))
const perRequest = (deps: Deps) => cpuPerRequest(createApp(deps, { headerSink: nodeResponseHeaders, rawHeaders: nodeRawHeaders }).fetch, '/health/live')
const fullDebug = await withFullApp('debug', perRequest)
const info = await withFullApp('info', async (deps) => ({ cpuUs: await perRequest(deps), idleTick: await idleTick(deps) }))
const result = { fullDebug, fullInfo: info.cpuUs, bare: await cpuPerRequest(bare.fetch, '/hello'), idleTick: info.idleTick }
process.send!(result, () => process.exit(0))
