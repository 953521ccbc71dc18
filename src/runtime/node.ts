/**
 * Node entry: `npm start`. Without DATABASE_URL it runs on the embedded PGlite database under DATA_DIR
 * (dev only); with it, on a postgres.js pool. Applies migrations, listens, and shuts down gracefully.
 */
import type { Server } from 'node:http'
import { serve } from '@hono/node-server'
import { buildServerDeps } from './server-deps.node.ts'
import { createApp } from '../app.ts'
import { nodeResponseHeaders } from './node-response-headers.ts'
import { nodeRawHeaders } from './node-request-headers.ts'
import { ConfigError } from '../core/config/schema.ts'
import { coalesceSocketWrites } from './write-coalescing.node.ts'

async function main() {
  const startedAt = performance.now()
  const { deps, start, close } = await buildServerDeps(process.env)
  const app = createApp(deps, { headerSink: nodeResponseHeaders, rawHeaders: nodeRawHeaders })
  const { config, logger } = deps
  const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
    logger.info(
      { port: info.port, host: config.HOST, database: deps.db.kind, startupMs: Math.round(performance.now() - startedAt) },
      `KamHub listening on http://localhost:${info.port}`,
    )
  })
  if (config.HTTP_WRITE_COALESCING) coalesceSocketWrites(server as Server)
  await start()

  let stopping = false
  async function shutdown(signal: string) {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    // Stop accepting, let in-flight requests finish, then close the database (PGlite flushes to disk).
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await close()
    logger.info('stopped')
    process.exit(0)
  }
  process.once('SIGINT', () => void shutdown('SIGINT'))
  process.once('SIGTERM', () => void shutdown('SIGTERM'))
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message)
  } else {
    console.error('KamHub failed to start:', error)
  }
  process.exit(1)
})
