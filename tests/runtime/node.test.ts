/**
 * Node smoke test: `tsx src/runtime/node.ts` (what `npm start` runs) on the embedded PGlite database in a fresh data
 * dir and on a fresh PostgreSQL database.
 */
import { join } from 'node:path'
import { BIN, baseEnv, databaseTargets, describeServer, freePort, startChild, waitForHttp } from './support.ts'

async function startNode(env: Record<string, string>) {
  const port = await freePort()
  const child = startChild(join(BIN, 'tsx'), ['src/runtime/node.ts'], baseEnv({ PORT: String(port), ...env }))
  const base = `http://127.0.0.1:${port}`
  await waitForHttp(child, `${base}/health/live`)
  return { child, base }
}

describeServer('Node on embedded PGlite', () => databaseTargets.pglite('node'), startNode)
describeServer('Node on PostgreSQL', () => databaseTargets.postgres('node'), startNode)
