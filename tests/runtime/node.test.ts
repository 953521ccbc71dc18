/**
 * Node smoke test: the command of `npm start` (package.json `scripts.start`: node, tsx's loader, the Node flags, the
 * entry), run directly, on the embedded PGlite database in a fresh data dir and on a fresh PostgreSQL database.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BIN, ROOT, baseEnv, databaseTargets, describeServer, freePort, startChild, until, waitForHttp } from './support.ts'

const ENTRY = 'src/runtime/node.ts'
const [command, ...args] = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/)
/** As npm runs it: `node` is the Node running this test, anything else a binary of node_modules/.bin. */
const executable = command === 'node' ? process.execPath : join(BIN, command!)

async function startNode(env: Record<string, string>) {
  const port = await freePort()
  const child = startChild(executable, args, baseEnv({ PORT: String(port), ...env }))
  const base = `http://127.0.0.1:${port}`
  await waitForHttp(child, `${base}/health/live`)
  return { child, base }
}

describe("npm start's command", () => {
  // tsx's launcher ran the server as a second process and SIGKILLed it when it had not acknowledged a relayed SIGTERM
  // within 30 ms, so a server busy at that moment was killed without draining. The signal must reach the server's
  // own handler however long its main thread is busy.
  it('hands SIGTERM to the server even while its main thread is busy', async () => {
    expect(args).toContain(ENTRY)
    const fixture = args.map((arg) => (arg === ENTRY ? 'tests/runtime/fixtures/busy-at-sigterm.ts' : arg))
    const child = startChild(executable, fixture, baseEnv({}))
    try {
      expect(await until(() => child.output().includes('ready') || child.process.exitCode !== null, 60_000)).toBe(true)
      child.process.kill('SIGTERM')
      expect(await child.exited).toEqual({ code: 0, signal: null })
      expect(child.output()).toContain('drained')
    } finally {
      await child.stop()
    }
  })
})

describeServer('Node on embedded PGlite', () => databaseTargets.pglite('node'), startNode)
describeServer('Node on PostgreSQL', () => databaseTargets.postgres('node'), startNode)
