/**
 * Benchmark child: the whole KamHub app built exactly as `npm start` builds it (config from the environment,
 * embedded PGlite, migrations, the event dispatcher, pino to stdout, every middleware), on an ephemeral port
 * reported over IPC. The parent points stdout at /dev/null, so the access log is written through the production
 * code path and then discarded.
 */
import { serve } from '@hono/node-server'
import { buildServerDeps } from '../src/runtime/server-deps.node.ts'
import { createApp } from '../src/app.ts'

const { deps, start, settled, close } = await buildServerDeps(process.env)
let listening!: (port: number) => void
const port = new Promise<number>((resolve) => (listening = resolve))
const server = serve({ fetch: createApp(deps).fetch, port: 0, hostname: '127.0.0.1' }, (info) => listening(info.port))
await start()
// The first run of the embedded default seeds the demo catalogue in the background on the same thread; measuring
// while it loads would measure the seed. Report the port once it is done.
await settled()
process.send!({ port: await port })

process.once('SIGTERM', () => server.close(() => void close().then(() => process.exit(0))))
