/**
 * Deno smoke test: `deno run -A src/runtime/deno.ts` (the npm `deno` binary, against node_modules, no jsr) on a fresh
 * PostgreSQL database and on the embedded PGlite database.
 */
import { join } from 'node:path'
import { BIN, TMP, baseEnv, databaseTargets, describeServer, freePort, startChild, waitForHttp } from './support.ts'

async function startDeno(env: Record<string, string>) {
  const port = await freePort()
  // DENO_DIR: Deno's own cache (transpiled modules), inside the project's ignored .tmp/ and shared across runs.
  const child = startChild(join(BIN, 'deno'), ['run', '-A', 'src/runtime/deno.ts'], baseEnv({ PORT: String(port), DENO_DIR: join(TMP, 'deno'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1', ...env }))
  const base = `http://127.0.0.1:${port}`
  await waitForHttp(child, `${base}/health/live`)
  return { child, base }
}

describeServer('Deno on PostgreSQL', () => databaseTargets.postgres('deno'), startDeno)
describeServer('Deno on embedded PGlite', () => databaseTargets.pglite('deno'), startDeno)
