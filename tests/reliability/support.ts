/** Child processes and condition polling for reliability tests (waiting on a condition with a deadline, never a fixed sleep). */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { queryRows, type Database } from '../../src/core/db/index.ts'
export { eventually } from '../support/eventually.ts'

const WORKER = fileURLToPath(new URL('./worker-process.ts', import.meta.url))

export interface WorkerChild {
  child: ChildProcess
  output: () => string
}

export async function startWorker(env: Record<string, string>): Promise<WorkerChild> {
  // --import keeps one process (tsx's CLI would fork a child), so child.pid is the worker's pid
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  await new Promise<void>((resolve, reject) => {
    const onData = () => output.includes('ready') && resolve()
    child.stdout!.on('data', onData)
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before it was ready:\n${output}`)))
  })
  return { child, output: () => output }
}

export async function stopWorker(w: WorkerChild | undefined, signal: NodeJS.Signals = 'SIGTERM') {
  if (!w || w.child.exitCode !== null || w.child.signalCode) return
  const exited = new Promise((resolve) => w.child.once('exit', resolve))
  w.child.kill(signal)
  await exited
}

export async function createReliabilityLog(db: Database) {
  await db.orm.execute(sql`create table if not exists reliability_log (event_id uuid not null, pid int not null, phase text not null, at timestamptz not null default clock_timestamp())`)
}

export async function logCounts(db: Database) {
  const [row] = await queryRows<{ total: number; distinct_events: number }>(
    db.orm,
    sql`select count(*)::int as total, count(distinct event_id)::int as distinct_events from reliability_log where phase = 'done'`,
  )
  return { total: Number(row!.total), distinct: Number(row!.distinct_events) }
}
