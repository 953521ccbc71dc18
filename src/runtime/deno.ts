/**
 * Deno entry: `npm run start:deno` (`deno run -A src/runtime/deno.ts`). The same server adapters as Node
 * (server-deps.node.ts: Deno runs its `node:` imports and the packages in node_modules), served by `Deno.serve`;
 * migrates at start-up, and on SIGINT/SIGTERM stops accepting, drains in-flight requests and closes the database.
 */
import { buildServerDeps } from './server-deps.node.ts'
import { createApp } from '../app.ts'
import { ConfigError } from '../core/config/schema.ts'

// The slice of the Deno namespace used here, so `tsc` (which has no Deno types) checks this file too.
declare const Deno: {
  env: { toObject(): Record<string, string> }
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number; hostname: string }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> }
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void
  exit(code: number): never
}

async function main() {
  const startedAt = performance.now()
  const { deps, start, close } = await buildServerDeps(Deno.env.toObject())
  const app = createApp(deps)
  const { config, logger } = deps
  const server = Deno.serve(
    {
      port: config.PORT,
      hostname: config.HOST,
      onListen: ({ port }) =>
        logger.info(
          { port, host: config.HOST, database: deps.db.kind, runtime: 'deno', startupMs: Math.round(performance.now() - startedAt) },
          `KamHub listening on http://localhost:${port}`,
        ),
    },
    (request) => app.fetch(request),
  )
  await start()

  let stopping = false
  async function shutdown(signal: string) {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    // shutdown() waits for in-flight requests; then the database closes (PGlite flushes to disk).
    await server.shutdown()
    await close()
    logger.info('stopped')
    Deno.exit(0)
  }
  Deno.addSignalListener('SIGINT', () => void shutdown('SIGINT'))
  Deno.addSignalListener('SIGTERM', () => void shutdown('SIGTERM'))
}

main().catch((error) => {
  console.error(error instanceof ConfigError ? error.message : `KamHub failed to start: ${error?.stack ?? error}`)
  Deno.exit(1)
})
