/**
 * Node smoke test: the command of `npm start` (package.json `scripts.start`: tsx, its Node flags, the entry), run
 * directly, on the embedded PGlite database in a fresh data dir and on a fresh PostgreSQL database.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BIN, ROOT, baseEnv, databaseTargets, describeServer, freePort, startChild, waitForHttp } from './support.ts'

const [command, ...args] = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/)

async function startNode(env: Record<string, string>) {
  const port = await freePort()
  const child = startChild(join(BIN, command!), args, baseEnv({ PORT: String(port), ...env }))
  const base = `http://127.0.0.1:${port}`
  await waitForHttp(child, `${base}/health/live`)
  return { child, base }
}

describeServer('Node on embedded PGlite', () => databaseTargets.pglite('node'), startNode)
describeServer('Node on PostgreSQL', () => databaseTargets.postgres('node'), startNode)
