/**
 * Benchmark child: the whole KamHub app built exactly as `npm start` builds it (config from the environment,
 * embedded PGlite, migrations, the event dispatcher, pino to stdout, every middleware), on an ephemeral port
 * reported over IPC. The parent points stdout at /dev/null, so the access log is written through the production
 * code path and then discarded.
 */
import { serve } from '@hono/node-server'
import { buildServerDeps } from '../src/runtime/server-deps.node.ts'
import { createApp } from '../src/app.ts'

const { deps, start, close } = await buildServerDeps(process.env)
const server = serve({ fetch: createApp(deps).fetch, port: 0, hostname: '127.0.0.1' }, (info) => process.send!({ port: info.port }))
await start()

process.once('SIGTERM', () => server.close(() => void close().then(() => process.exit(0))))
