/** Small helpers for the benchmark: child servers, /proc readings, statistics. Linux only (reads /proc). */
import { fork, type ChildProcess } from 'node:child_process'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import webPush from 'web-push'
import { readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CLOCK_TICKS_PER_SECOND, processStat } from './machine-cpu.ts'
import type { PacedLoadOptions, PacedLoadResult } from './paced-load.ts'
import type { LoopStalls } from './loop-stalls.ts'
import type { Span } from './sched-sampler.ts'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** A clean environment: the benchmark must not pick up a developer's DATABASE_URL or Upstash settings. */
export function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'LANG']
  return { ...Object.fromEntries(keep.filter((k) => process.env[k]).map((k) => [k, process.env[k]!])), ...extra }
}

/**
 * The secrets production start-up insists on, fresh for each run: a JWT secret, an Ed25519 ticket signing key
 * (PKCS8 DER, base64url — the form TICKET_SIGNING_KEY takes), a payment provider (production refuses the sandbox)
 * and a provider per notification channel (production refuses the dev inbox). Provider keys are well-formed
 * placeholders: no benchmark books, pays or notifies, so no provider is ever called.
 */
export function productionSecrets(): Record<string, string> {
  const { privateKey } = generateKeyPairSync('ed25519')
  const vapid = webPush.generateVAPIDKeys()
  const token = () => randomBytes(12).toString('hex')
  return {
    JWT_SECRET: randomBytes(32).toString('hex'),
    TICKET_SIGNING_KEY: privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64url'),
    STRIPE_SECRET_KEY: `sk_test_bench_${token()}`,
    STRIPE_WEBHOOK_SECRET: `whsec_bench_${token()}`,
    EMAIL_FROM: 'KamHub bench <bench@kamhub.invalid>',
    RESEND_API_KEY: `re_bench_${token()}`,
    TWILIO_ACCOUNT_SID: `AC${token()}`,
    TWILIO_AUTH_TOKEN: token(),
    TWILIO_FROM: '+15005550006',
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: 'mailto:bench@kamhub.invalid',
  }
}

export interface ChildServer {
  child: ChildProcess
  port: number
  stop(): Promise<void>
  /** SIGSTOP / SIGCONT the server and every process it started (see `alone`). */
  pause(): void
  resume(): void
  /** Watches the server's event loop from now until `stop` (bench/loop-stalls.ts), and the client's CPU beside it. */
  watchLoop(clientPid?: number): Promise<{ stop(span?: Span): Promise<LoopStalls> }>
}

/**
 * Runs `measure` with every other benchmark server stopped (SIGSTOP), then lets them go on: the server measured has
 * the machine to itself, as a deployed one does. A neighbour that is not being measured is not idle — V8 shrinks its
 * heaps with full GCs in the seconds after its own round, the full app's timers and PGlite thread wake up — and on two
 * vCPUs shared with the load generator that lands on whoever is measured. Three such neighbours beside a paced bare
 * /hello (14,500 req/s, alternating 5 s rounds): p99 3.6–8.7 ms and 398–1,800 answers over 5 ms per 72,500 with
 * them running, 2.0–3.0 ms and 34–209 with them stopped.
 */
export async function alone<T>(servers: readonly ChildServer[], measured: ChildServer, measure: () => Promise<T>): Promise<T> {
  const others = [...new Set(servers)].filter((s) => s !== measured)
  for (const s of others) s.pause()
  try {
    return await measure()
  } finally {
    for (const s of others) s.resume()
  }
}

/**
 * The Node flags `npm start` runs the server with (package.json `scripts.start`: `node --import tsx <flags> <entry>`;
 * forkChild adds the loader itself). Every benchmark server, the full app and the bare baseline alike, gets them: a
 * figure is for the server as it is run.
 */
export const NPM_START_NODE_FLAGS: readonly string[] = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
).scripts.start
  .split(/\s+/)
  .filter((token) => token.startsWith('--') && token !== '--import')

/**
 * Starts a TypeScript server file in its own Node process (own event loop), with npm start's Node flags, and waits
 * for the port it reports.
 */
export async function startChildServer(file: string, env: Record<string, string>, execArgv: string[] = []): Promise<ChildServer> {
  const { child, message } = forkChild<{ port: number }>(file, env, [...NPM_START_NODE_FLAGS, ...execArgv])
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const { port } = await message
  const running = () => child.exitCode === null && child.signalCode === null
  const signal = (name: NodeJS.Signals) => {
    if (!running()) return
    for (const pid of [child.pid!, ...descendants(child.pid!)]) {
      try {
        process.kill(pid, name)
      } catch {
        // Gone between the listing and the signal.
      }
    }
  }
  return {
    child,
    port,
    async stop() {
      // A stopped process would hold SIGTERM until it is continued.
      signal('SIGCONT')
      if (running()) child.kill('SIGTERM')
      await exited
    },
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    async watchLoop(clientPid?: number) {
      await loopStallsReply(child, 'start', undefined, clientPid)
      return { stop: (span?: Span) => loopStallsReply(child, 'stop', span) as Promise<LoopStalls> }
    },
  }
}

function loopStallsReply(child: ChildProcess, action: 'start' | 'stop', span?: Span, clientPid?: number): Promise<unknown> {
  return new Promise((resolve) => {
    const onMessage = (m: { type?: string }) => {
      if (m.type !== 'loop-stalls') return
      child.off('message', onMessage)
      resolve(m)
    }
    child.on('message', onMessage)
    child.send({ type: 'loop-stalls', action, span, clientPid })
  })
}

/** Runs a TypeScript file in a child process and resolves with the first message it sends. */
export function forkChild<T>(file: string, env: Record<string, string>, execArgv: string[] = []) {
  const child = fork(new URL(file, import.meta.url), [], {
    cwd: ROOT,
    env,
    execArgv: ['--import', 'tsx', ...execArgv],
    // stdout → /dev/null: logs are written (and paid for) exactly as in production, then discarded.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const message = new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} sent nothing within 180 s`)), 180_000)
    child.once('message', (m: T) => {
      clearTimeout(timer)
      resolve(m)
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${file} exited with code ${code} before reporting`))
    })
  })
  return { child, message }
}

/** A paced load generator in a child process of its own (bench/paced-client.ts): `run` is `pacedLoad` there. */
export interface PacedClient {
  /** The client process, for its CPU time. */
  pid: number
  run(options: PacedLoadOptions): Promise<PacedLoadResult>
  stop(): Promise<void>
}

export async function startPacedClient(): Promise<PacedClient> {
  const { child, message } = forkChild<{ ready: true }>('./paced-client.ts', cleanEnv({}), [...NPM_START_NODE_FLAGS])
  await message
  let next = 0
  const waiting = new Map<number, { resolve: (result: PacedLoadResult) => void; reject: (error: Error) => void }>()
  child.on('message', (m: { id?: number; result?: Omit<PacedLoadResult, 'latencies'> & { latencies: number[] } }) => {
    if (m.id === undefined || !m.result) return
    waiting.get(m.id)?.resolve({ ...m.result, latencies: Float64Array.from(m.result.latencies) })
    waiting.delete(m.id)
  })
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      for (const w of waiting.values()) w.reject(new Error(`the paced client exited with code ${code}`))
      waiting.clear()
      resolve()
    }),
  )
  return {
    pid: child.pid!,
    run(options) {
      const id = next++
      return new Promise<PacedLoadResult>((resolve, reject) => {
        waiting.set(id, { resolve, reject })
        child.send({ id, options })
      })
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** User + system CPU seconds a process has used so far. */
export function cpuSeconds(pid: number): number {
  return processStat(pid).ticks / CLOCK_TICKS_PER_SECOND
}

/** Resident set size in bytes (VmRSS), or 0 if the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return Number(kb ?? 0) * 1024
  } catch {
    return 0
  }
}

/** Every descendant of `pid`, parents before children. */
export function descendants(pid: number): number[] {
  const out: number[] = []
  const walk = (p: number) => {
    let children: number[] = []
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        children.push(...readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number))
      }
    } catch {
      children = []
    }
    for (const c of children) {
      out.push(c)
      walk(c)
    }
  }
  walk(pid)
  return out
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/**
 * The order of slice `i` of a paired measurement: rotated by i and reversed every other slice, so no member always
 * runs first or right after the same neighbour (the machine's drift within a slice then falls on each in turn).
 */
export function turningOrder<T>(items: readonly T[], i: number): T[] {
  const order = [...items]
  for (let k = 0; k < i % items.length; k++) order.push(order.shift()!)
  return i % 2 ? order.reverse() : order
}

/** The q-quantile (0..1) of the first `n` values of `samples`, nearest-rank, on a sorted copy (the samples stay as they are). */
export function quantile(samples: Float64Array, n: number, q: number): number {
  return quantilesInPlace(samples.slice(0, n), n, [q])[0]!
}

/** Quantiles of the first n samples, which it sorts in place: for a buffer the caller reuses, with no copy made. */
export function quantilesInPlace(samples: Float64Array, n: number, qs: readonly number[]): number[] {
  const sorted = samples.subarray(0, n).sort()
  return qs.map((q) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))] ?? NaN)
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Headers Node writes itself on every answer: a replayed answer must not carry a recorded copy of them. */
const NODE_OWN_HEADERS = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'])

/**
 * Records a full-app answer and has the bare server (bare-server.ts) replay it at /replay/{name}: the same status,
 * headers and body bytes without any of KamHub's code. Returns the bare server's path for it and the body recorded.
 */
export async function recordForReplay(bare: ChildServer, name: string, url: string): Promise<{ path: string; body: Uint8Array }> {
  // The answer autocannon gets, which asks for no encoding. fetch() would ask for gzip and hand back the decoded
  // body under the gzip answer's headers: a replay that says gzip and sends plain text.
  const response = await fetch(url, { headers: { 'Accept-Encoding': 'identity' } })
  const body = Buffer.from(await response.arrayBuffer())
  const headers: Record<string, string> = {}
  response.headers.forEach((value, key) => {
    if (!NODE_OWN_HEADERS.has(key)) headers[key] = value
  })
  const replaying = new Promise<void>((resolve) => {
    const onMessage = (m: { type?: string; name?: string }) => {
      if (m.type !== 'replaying' || m.name !== name) return
      bare.child.off('message', onMessage)
      resolve()
    }
    bare.child.on('message', onMessage)
  })
  bare.child.send({ type: 'replay', name, status: response.status, headers, body: body.toString('base64') })
  await replaying
  return { path: `/replay/${name}`, body }
}
