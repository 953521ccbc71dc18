/**
 * Benchmark child: JavaScript cost per request with the network taken out. node-server's own request listener
 * drives real IncomingMessage/ServerResponse objects over a socket that discards writes, so the figure covers
 * routing, every middleware, logging and response serialisation, but no kernel and no client. CPU time, minimum of
 * several repetitions: on a shared machine this is the stable number to compare runs with.
 *
 * Reports { fullDebug, fullInfo, bare } in µs per request over IPC. Full-app logs go to stdout (= /dev/null).
 */
import { IncomingMessage, ServerResponse } from 'node:http'
import { Duplex } from 'node:stream'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { getRequestListener } from '@hono/node-server'
import { Hono } from 'hono'
import { buildServerDeps } from '../src/runtime/server-deps.node.ts'
import { createApp } from '../src/app.ts'
import { nodeResponseHeaders } from '../src/runtime/node-response-headers.ts'
import { nodeRawHeaders } from '../src/runtime/node-request-headers.ts'
import { productionSecrets } from './lib.ts'

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

async function fullApp(level: string): Promise<number> {
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
    return await cpuPerRequest(createApp(deps, { headerSink: nodeResponseHeaders, rawHeaders: nodeRawHeaders }).fetch, '/health/live')
  } finally {
    await close()
    await rm(dir, { recursive: true, force: true })
  }
}

const bare = new Hono().get('/hello', (c) => c.text('Hello'))
const result = { fullDebug: await fullApp('debug'), fullInfo: await fullApp('info'), bare: await cpuPerRequest(bare.fetch, '/hello') }
process.send!(result, () => process.exit(0))
