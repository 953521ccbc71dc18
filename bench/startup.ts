/**
 * `npm start` to ready: spawns the real command a developer types, polls /health/ready until 200, then reads the
 * server process's resident memory once it has been idle for a moment. Cold = an empty DATA_DIR (PGlite initdb +
 * every migration); warm = the same directory again.
 */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { alive, cleanEnv, descendants, freePort, ROOT, rssBytes, sleep } from './lib.ts'

export interface StartupRun {
  /** Spawn of `npm start` → first 200 from /health/ready. */
  readyMs: number
  /** What the server itself logs as its start-up time (config, database, migrations, listen). */
  inProcessMs?: number
  /** VmRSS of the server process (the leaf node process) after 1 s idle. */
  serverRss: number
  /** VmRSS summed over npm, the shell and the server. */
  treeRss: number
}

const READY_DEADLINE_MS = 90_000

export async function measureStart(dataDir: string): Promise<StartupRun> {
  const port = await freePort()
  const startedAt = performance.now()
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: cleanEnv({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true, // its own process group, so the whole tree can be stopped together
  })
  let output = ''
  npm.stdout.on('data', (chunk: Buffer) => void (output += chunk.toString()))
  let exitCode: number | null | undefined
  const exited = new Promise<void>((resolve) => npm.once('exit', (code) => ((exitCode = code), resolve())))
  try {
    const readyMs = await waitReady(port, startedAt, () => exitCode !== undefined)
    await sleep(1000) // let start-up garbage be collected before reading "idle" memory
    const tree = [npm.pid!, ...descendants(npm.pid!)]
    // npm → sh → the server: the deepest process running the entry file.
    const server = tree.filter((pid) => commandLine(pid).includes('src/runtime/node.ts')).at(-1) ?? tree.at(-1)!
    return {
      readyMs,
      inProcessMs: startupMsFromLog(output),
      serverRss: rssBytes(server),
      treeRss: tree.reduce((sum, pid) => sum + rssBytes(pid), 0),
    }
  } finally {
    const tree = [npm.pid!, ...descendants(npm.pid!)]
    try {
      process.kill(-npm.pid!, 'SIGTERM')
    } catch {
      // already gone
    }
    await exited
    // npm may exit before the server has closed PGlite; a warm start must find a cleanly closed data dir.
    for (const deadline = Date.now() + 15_000; tree.some(alive) && Date.now() < deadline; ) await sleep(50)
    for (const pid of tree.filter(alive)) process.kill(pid, 'SIGKILL')
  }
}

async function waitReady(port: number, startedAt: number, gone: () => boolean): Promise<number> {
  const deadline = startedAt + READY_DEADLINE_MS
  while (performance.now() < deadline) {
    if (gone()) throw new Error('npm start exited before it was ready')
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health/ready`)
      await res.arrayBuffer()
      if (res.status === 200) return performance.now() - startedAt
    } catch {
      // not listening yet
    }
    await sleep(20)
  }
  throw new Error(`npm start was not ready within ${READY_DEADLINE_MS} ms`)
}

function startupMsFromLog(output: string): number | undefined {
  for (const line of output.split('\n')) {
    try {
      const record = JSON.parse(line) as { startupMs?: number }
      if (typeof record.startupMs === 'number') return record.startupMs
    } catch {
      // not a JSON line
    }
  }
  return undefined
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    return ''
  }
}
