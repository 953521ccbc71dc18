/**
 * Helpers for the runtime smoke tests: each boots the real app as a child process (its own process group, so
 * wrangler's workerd and tsx's inner node go down with it), waits until it answers HTTP (polling under a deadline,
 * never a fixed sleep), and can make a fresh PostgreSQL database that is dropped afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { withDatabase } from '../support/global-setup.ts'

export const ROOT = process.cwd()
export const TMP = join(ROOT, '.tmp')
export const BIN = join(ROOT, 'node_modules', '.bin')

/** A fresh directory under the project's ignored `.tmp/`; `rm()` removes it. */
export async function tempDir(prefix: string) {
  await mkdir(TMP, { recursive: true })
  const path = await mkdtemp(join(TMP, `${prefix}-`))
  return { path, rm: () => rm(path, { recursive: true, force: true }) }
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface FreshDatabase {
  url: string
  drop(): Promise<void>
}

/** An empty database with a unique name on TEST_DATABASE_URL's server (postgres@127.0.0.1:5432 by default). */
export async function freshDatabase(label: string): Promise<FreshDatabase> {
  const adminUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
  const name = `kamhub_rt_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`create database ${name}`)
  } finally {
    await admin.end()
  }
  return {
    url: withDatabase(adminUrl, name),
    async drop() {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} })
      try {
        await sql.unsafe(`drop database if exists ${name} with (force)`)
      } finally {
        await sql.end()
      }
    },
  }
}

/** A fresh database migrated by `npm run migrate`'s CLI, as a Workers deploy prepares one. */
export async function migratedDatabase(label: string): Promise<FreshDatabase> {
  const db = await freshDatabase(label)
  const migrated = await run(join(BIN, 'tsx'), ['src/cli/migrate.ts'], baseEnv({ DATABASE_URL: db.url }))
  if (migrated.code !== 0) {
    await db.drop()
    throw new Error(`npm run migrate failed (${migrated.code}):\n${migrated.output}`)
  }
  return db
}

export interface Child {
  process: ChildProcess
  /** Everything it printed so far (the tail), for failure messages. */
  output(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Stops the whole process group: SIGTERM, then SIGKILL if anything is left at the deadline. */
  stop(deadlineMs?: number): Promise<void>
}

export function startChild(command: string, args: string[], env: Record<string, string | undefined>): Child {
  const child = spawn(command, args, { cwd: ROOT, env: definedOnly(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-64_000)
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
  })
  return {
    process: child,
    output: () => output,
    exited,
    async stop(deadlineMs = 10_000) {
      const group = -child.pid!
      if (!signalGroup(group, 'SIGTERM')) return
      const gone = await until(() => !signalGroup(group, 0), deadlineMs)
      if (!gone) signalGroup(group, 'SIGKILL')
      await exited
    },
  }
}

/** Sends a signal to a process group; false when the group no longer exists. */
function signalGroup(group: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(group, signal)
    return true
  } catch {
    return false
  }
}

/** Polls until the server answers HTTP at all; fails early, with its output, if the process exits first. */
export async function waitForHttp(child: Child, url: string, deadlineMs = 90_000): Promise<void> {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined
  void child.exited.then((e) => (exit = e))
  const answered = await until(async () => {
    if (exit) return true
    try {
      await fetch(url, { signal: AbortSignal.timeout(2000) })
      return true
    } catch {
      return false
    }
  }, deadlineMs)
  if (exit) throw new Error(`${url}: the process exited (${exit.code ?? exit.signal}) before answering:\n${child.output()}`)
  if (!answered) throw new Error(`${url}: no answer within ${deadlineMs} ms:\n${child.output()}`)
}

export interface Workerd {
  child: Child
  base: string
  /** Stops wrangler and workerd, then removes their state directory. */
  stop(): Promise<void>
}

/**
 * `wrangler dev` (local mode, no login) serving src/runtime/worker.ts on 127.0.0.1, its Hyperdrive binding pointed at
 * `databaseUrl`, with extra `[vars]` (given its base URL, for vars like PUBLIC_URL); resolves once it answers /health/live.
 */
export async function startWorkerd({
  label,
  databaseUrl,
  vars = () => ({}),
}: {
  label: string
  databaseUrl: string
  vars?: (base: string) => Record<string, string>
}): Promise<Workerd> {
  const dir = await tempDir(label)
  const [port, inspectorPort] = [await freePort(), await freePort()]
  const base = `http://127.0.0.1:${port}`
  const child = startChild(
    join(BIN, 'wrangler'),
    [
      'dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort), '--persist-to', join(dir.path, 'state'),
      '--show-interactive-dev-session=false',
      ...Object.entries(vars(base)).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    ],
    baseEnv({
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: hyperdriveUrl(databaseUrl),
      // Offline and self-contained: no telemetry, no request.cf lookup, every wrangler file under .tmp/.
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_HIDE_BANNER: 'true',
      XDG_CONFIG_HOME: join(dir.path, 'config'),
      WRANGLER_LOG_PATH: join(dir.path, 'logs'),
      MINIFLARE_CACHE_DIR: join(dir.path, 'cache'),
      TMPDIR: dir.path,
      NO_COLOR: '1',
    }),
  )
  try {
    await waitForHttp(child, `${base}/health/live`)
  } catch (error) {
    await child.stop()
    await dir.rm()
    throw error
  }
  return {
    child,
    base,
    async stop() {
      await child.stop()
      await dir.rm()
    },
  }
}

/** Hyperdrive's local mode refuses a connection string without a password; with trust auth any one works. */
function hyperdriveUrl(url: string): string {
  const u = new URL(url)
  if (!u.password) u.password = 'trust'
  return u.toString()
}

/** Re-checks a condition every 100 ms until it holds or the deadline passes. */
export async function until(condition: () => boolean | Promise<boolean>, deadlineMs: number): Promise<boolean> {
  const deadline = Date.now() + deadlineMs
  while (Date.now() < deadline) {
    if (await condition()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return condition()
}

export interface Run {
  code: number | null
  output: string
}

/** Runs a command to completion (the migrate CLI). */
export async function run(command: string, args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const child = startChild(command, args, env)
  // 'close' (not 'exit') so the output read includes everything the process wrote before exiting.
  const code = await new Promise<number | null>((resolve) => child.process.once('close', resolve))
  return { code, output: child.output() }
}

/** The parent environment without the variables that choose a database or port: each test sets its own. */
export function baseEnv(extra: Record<string, string | undefined>): Record<string, string | undefined> {
  const { DATABASE_URL, DATA_DIR, PORT, HOST, NODE_ENV, APP_ENV, ...rest } = process.env
  void [DATABASE_URL, DATA_DIR, PORT, HOST, NODE_ENV, APP_ENV]
  return { ...rest, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...extra }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
}

/** What every runtime must answer: readiness with the database up, over a real round trip to it. */
export async function expectReady(base: string): Promise<void> {
  const res = await fetch(`${base}/health/ready`)
  const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> }
  expect({ status: res.status, body }).toMatchObject({ status: 200, body: { status: 'ok', checks: { database: { status: 'up' } } } })
}

/**
 * Every answer — a route's, a 404 problem and the /docs page alike — carries the security headers and the request id,
 * whichever way the runtime sets them (Node writes them onto its ServerResponse; the others through the Fetch API
 * Headers); the HTML page also the document headers. HSTS only when the client came over HTTPS: here, through a
 * TLS-terminating proxy that says so (the smoke servers speak plain HTTP).
 */
export async function expectEnvelopeHeaders(base: string): Promise<void> {
  for (const path of ['/health/live', '/no/such/route', '/docs']) {
    for (const proto of ['http', 'https']) {
      const res = await fetch(`${base}${path}`, { headers: { 'X-Request-Id': 'smoke-request-1', 'X-Forwarded-Proto': proto } })
      await res.arrayBuffer()
      expect({
        path,
        proto,
        requestId: res.headers.get('x-request-id'),
        nosniff: res.headers.get('x-content-type-options'),
        frame: res.headers.get('x-frame-options'),
        hsts: res.headers.get('strict-transport-security'),
        referrer: res.headers.get('referrer-policy'),
      }).toEqual({
        path,
        proto,
        requestId: 'smoke-request-1',
        nosniff: 'nosniff',
        frame: 'DENY',
        hsts: proto === 'https' ? 'max-age=15552000; includeSubDomains' : null,
        // A document's header: on the HTML page only.
        referrer: path === '/docs' ? 'no-referrer' : null,
      })
    }
  }
}

/**
 * The database-backed round trip: register an account (rows written through the runtime's driver), then read it back
 * through the access token the runtime signed.
 */
export async function expectAccountRoundTrip(base: string): Promise<void> {
  const email = `smoke-${Math.random().toString(36).slice(2, 10)}@example.com`
  const registered = await fetch(`${base}/v1/auth/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password: 'correct horse battery staple', displayName: 'Smoke Test' }),
  })
  const session = (await registered.json()) as { user: { id: string }; tokens: { accessToken: string } }
  expect(registered.status, JSON.stringify(session)).toBe(201)

  const me = await fetch(`${base}/v1/me`, { headers: { Authorization: `Bearer ${session.tokens.accessToken}` } })
  expect({ status: me.status, body: await me.json() }).toMatchObject({ status: 200, body: { id: session.user.id, email, role: 'traveller' } })
}

/** Where a server keeps its data for one suite: the env that selects it, and how to throw it away. */
export interface DatabaseTarget {
  label: string
  env: Record<string, string>
  cleanup(): Promise<void>
}

export const databaseTargets = {
  async postgres(label: string): Promise<DatabaseTarget> {
    const db = await freshDatabase(label)
    return { label: 'PostgreSQL (DATABASE_URL)', env: { DATABASE_URL: db.url }, cleanup: db.drop }
  },
  async pglite(label: string): Promise<DatabaseTarget> {
    const dir = await tempDir(`${label}-pglite`)
    return { label: 'embedded PGlite (DATA_DIR)', env: { DATA_DIR: dir.path }, cleanup: dir.rm }
  },
}

export interface Server {
  child: Child
  base: string
}

/**
 * The suite every long-running server entry (Node, Deno) must pass on a database target: migrates a fresh database
 * at start-up and is ready, then stops gracefully on SIGTERM (exit 0: in-flight requests drained, database closed).
 */
export function describeServer(runtime: string, target: () => Promise<DatabaseTarget>, start: (env: Record<string, string>) => Promise<Server>) {
  describe(runtime, () => {
    let db: DatabaseTarget
    let server: Server
    beforeAll(async () => {
      db = await target()
      server = await start(db.env)
    })
    afterAll(async () => {
      await server?.child.stop()
      await db?.cleanup()
    })

    it('migrates a fresh database at start-up and is ready', async () => {
      await expectReady(server.base)
    })

    it('registers an account and reads it back with its access token', async () => {
      await expectAccountRoundTrip(server.base)
    })

    it('every answer carries the security headers and the caller’s request id', async () => {
      await expectEnvelopeHeaders(server.base)
    })

    it('SIGTERM drains, closes the database and exits 0', async () => {
      server.child.process.kill('SIGTERM')
      expect(await server.child.exited).toEqual({ code: 0, signal: null })
    })
  })
}
