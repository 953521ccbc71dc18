/**
 * Benchmark child: the whole KamHub app built exactly as `npm start` builds it (config from the environment,
 * embedded PGlite, migrations, the event dispatcher, pino to stdout, every middleware), on an ephemeral port
 * reported over IPC. The parent points stdout at /dev/null, so the access log is written through the production
 * code path and then discarded.
 */
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { sql } from 'drizzle-orm'
import { queryRows } from '../src/core/db/index.ts'
import { buildServerDeps } from '../src/runtime/server-deps.node.ts'
import { createApp } from '../src/app.ts'
import { nodeResponseHeaders } from '../src/runtime/node-response-headers.ts'
import { nodeRawHeaders } from '../src/runtime/node-request-headers.ts'
import { coalesceSocketWrites } from '../src/runtime/write-coalescing.node.ts'
import { answerLoopStallRequests } from './loop-stalls.ts'
import { countingRequests } from './sched-sampler.ts'

const { deps, start, settled, close } = await buildServerDeps(process.env)
// Every statement is timed into this histogram (src/core/db/instrument.ts); /health/live runs none, so a statement
// during a paced round is the server's background work: the dispatcher, the minute's maintenance, notifications.
const statements = deps.metrics.histogram('db_query_duration_seconds', '')
answerLoopStallRequests(() => statements.totalCount())
let listening!: (port: number) => void
const port = new Promise<number>((resolve) => (listening = resolve))
const server = serve({ fetch: countingRequests(createApp(deps, { headerSink: nodeResponseHeaders, rawHeaders: nodeRawHeaders }).fetch), port: 0, hostname: '127.0.0.1' }, (info) => listening(info.port))
if (deps.config.HTTP_WRITE_COALESCING) coalesceSocketWrites(server as Server)
await start()
// The first run of the embedded default seeds the demo catalogue in the background on the same thread; measuring
// while it loads would measure the seed. Report the port once it is done.
await settled()
await deliveriesDrained()
process.send!({ port: await port })

/**
 * The seed publishes thousands of tour and departure events; the dispatcher delivers them over the next seconds on
 * the same thread. A benchmark of the HTTP stack waits until nothing is pending (a poll is fine here: this is a
 * benchmark's warm-up, not a test).
 */
async function deliveriesDrained() {
  for (let waited = 0; waited < 180_000; waited += 250) {
    const [row] = await queryRows<{ pending: number }>(deps.db.orm, sql`select count(*)::int as pending from event_deliveries where status = 'pending'`)
    if (!row || Number(row.pending) === 0) return
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

process.once('SIGTERM', () => server.close(() => void close().then(() => process.exit(0))))
