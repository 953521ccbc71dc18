/**
 * `npm run bench:notify`: the notifications queue on real PostgreSQL, sending e-mail through the real Resend adapter
 * (the `resend` SDK, RESEND_BASE_URL) to a fake Resend in this process, over HTTP on 127.0.0.1. The processor runs
 * in a child process (notify-worker.ts) built like a server's, so this process's event loop is the provider's.
 *
 *   1. throughput: N receipt e-mails (booking_confirmed, rendered at send time) queued for N users in one insert,
 *      then drained by: processNotifications back to back (the processor's ceiling); the worker a server runs
 *      (startNotificationWorker: rounds of ≤ 10 batches, kicked after the insert as a subscriber does); and two
 *      processes of the loop (SKIP LOCKED lets any number share the queue). Each run first drains a warm-up set.
 *      messages/s = N / (insert committed → the queue seen empty); latency = insert committed → the fake received
 *      the send. Every message waits behind the backlog, so p50 ≈ half the drain and p99 ≈ all of it: read it as
 *      "how long the last of N waits", not as one send's cost. CPU ms/msg: the worker processes, their
 *      PostgreSQL backends (from /proc; 0 when PostgreSQL is not on this machine) and the fake. Target ≥ 500/s.
 *   2. crash: N queued; a worker child is SIGKILLed mid-batch once the fake has received about N/2 sends; a second
 *      worker child starts at once, sends what is still queued, and takes over the dead worker's claimed rows when
 *      their lease (NOTIFY_LEASE_SECONDS=5, the smallest the config allows) ends. "lease left" is what remained of
 *      the dead worker's leases at the kill (≈ 5 s: a claim's lease starts when it is claimed). Counted at the
 *      fake and in the database.
 *
 * Each e-mail goes to its own address, so a message is identified by its recipient independently of the
 * idempotency key the processor sends — which is what makes "delivered duplicates" a real check rather than the
 * fake's dedupe counting itself. Timing never fails the command; lost messages, delivered duplicates, rows not
 * sent, or an idempotency key that is not the notification's id exit 1.
 *
 * Env: BENCH_QUICK=1 (1,000 messages), BENCH_MESSAGES (5,000), NOTIFY_CONCURRENCY, NOTIFY_BATCH_SIZE,
 * NOTIFY_POLL_INTERVAL_MS, DATABASE_POOL_MAX (the app's defaults when unset), BENCH_DATABASE_URL / TEST_DATABASE_URL
 * (admin URL, default postgres://postgres@127.0.0.1:5432/postgres). A fresh database kamhub_bench_notify_<pid>_<rand>
 * is created from the migrations and dropped at the end. BENCH_CPU_PROF=<dir> writes each worker child's V8 CPU profile.
 */
import postgres from 'postgres'
import type { ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, loadavg } from 'node:os'
import { sql } from 'drizzle-orm'
import { cleanEnv, cpuSeconds, forkChild, productionSecrets, quantile, sleep } from './lib.ts'
import { parseConfig } from '../src/core/config/schema.ts'
import { postgresDatabase } from '../src/core/db/postgres.ts'
import { queryRows, type Database } from '../src/core/db/index.ts'
import { migrate } from '../src/core/db/migrate.ts'
import { loadMigrations } from '../src/core/db/migrations.node.ts'
import { sampleVariables } from '../src/core/notifications/templates/index.ts'

const QUICK = process.env.BENCH_QUICK === '1'
const N = Number(process.env.BENCH_MESSAGES ?? (QUICK ? 1000 : 5000))
const TARGET_PER_SECOND = 500
const LEASE_SECONDS = 5
const DRAIN_TIMEOUT_MS = 300_000
const ADMIN_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
/** The worker child's application_name (notify-worker.ts): its backends' CPU is read from /proc. */
const WORKER_APPLICATION = 'kamhub-bench-notify'
const TUNABLES = ['NOTIFY_CONCURRENCY', 'NOTIFY_BATCH_SIZE', 'NOTIFY_POLL_INTERVAL_MS', 'DATABASE_POOL_MAX'] as const

const log = (line: string) => process.stderr.write(line + '\n')

// ---- the fake provider ----------------------------------------------------------------------------------------

interface Send {
  /** Requests that carried this Idempotency-Key. */
  requests: number
  firstAt: number
  to: string
  reply: string
}

/**
 * POST /emails answering `{ id }`, and remembering each Idempotency-Key for the run as Resend does for 24 h: a
 * repeated key gets the first answer again and delivers nothing. `delivered` counts deliveries per recipient.
 */
async function startFakeResend() {
  const state = {
    requests: 0,
    sends: new Map<string, Send>(),
    delivered: new Map<string, number>(),
    onRequest: (_requests: number) => {},
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const at = Date.now()
      if (req.method !== 'POST' || req.url !== '/emails') {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"statusCode":404,"name":"not_found","message":"not found"}')
        return
      }
      state.requests++
      state.onRequest(state.requests)
      const to = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { to: string[] }).to[0]!
      const key = req.headers['idempotency-key']
      const seen = typeof key === 'string' ? state.sends.get(key) : undefined
      if (seen) {
        seen.requests++
        res.writeHead(200, { 'content-type': 'application/json' }).end(seen.reply)
        return
      }
      const reply = JSON.stringify({ id: randomUUID() })
      if (typeof key === 'string') state.sends.set(key, { requests: 1, firstAt: at, to, reply })
      state.delivered.set(to, (state.delivered.get(to) ?? 0) + 1)
      res.writeHead(200, { 'content-type': 'application/json' }).end(reply)
    })
  })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    reset() {
      state.requests = 0
      state.sends.clear()
      state.delivered.clear()
      state.onRequest = () => {}
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
type FakeResend = Awaited<ReturnType<typeof startFakeResend>>

// ---- the worker child ----------------------------------------------------------------------------------------

interface WorkerChild {
  child: ChildProcess
  exited: Promise<void>
  /** Starts processing (the worker's first round, or the loop). */
  go(): void
  /** What a subscriber does after committing new rows (worker mode; the loop polls every 20 ms). */
  kick(): void
  stop(): Promise<void>
}

async function startWorker(env: Record<string, string>, mode: 'loop' | 'worker'): Promise<WorkerChild> {
  const { child, message } = forkChild<{ type: string }>('./notify-worker.ts', { ...env, BENCH_MODE: mode }, process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [])
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  await message // ready
  const alive = () => child.exitCode === null && child.signalCode === null
  return {
    child,
    exited,
    go: () => child.send({ type: 'go' }),
    kick: () => child.send({ type: 'kick' }),
    async stop() {
      if (alive()) child.send({ type: 'stop' })
      await exited
    },
  }
}

// ---- the queue ------------------------------------------------------------------------------------------------

interface Queued {
  /** recipient address → notification id */
  idByAddress: Map<string, string>
  /** Date.now() when the insert committed. */
  queuedAt: number
}

/** One receipt e-mail per user (the first `count`), each to its own address (`<run>.<user e-mail>`), due now. */
async function enqueue(db: Database, run: string, count = N): Promise<Queued> {
  const payload = JSON.stringify({ variables: sampleVariables('booking_confirmed'), contact: {} })
  const rows = await queryRows<{ id: string; address: string }>(
    db.orm,
    sql`insert into notifications (id, dedupe_key, user_id, channel, kind, category, locale, address, payload, status, next_attempt_at)
        select gen_random_uuid(), ${run} || ':' || u.id || ':email:booking_confirmed', u.id, 'email', 'booking_confirmed', 'bookings', 'ru',
          ${run} || '.' || u.email, ${payload}::jsonb, 'queued', now()
        from users u where u.email like 'bench-%' order by u.email limit ${count}
        returning id, address`,
  )
  return { idByAddress: new Map(rows.map((r) => [r.address, r.id])), queuedAt: Date.now() }
}

/** Resolves with Date.now() when no row of `run` is queued or sending (or at the timeout, with the rows left). */
async function drained(db: Database, run: string, timeoutMs: number): Promise<{ at: number; left: number }> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const [row] = await queryRows<{ left: number }>(
      db.orm,
      sql`select count(*)::int as left from notifications where status in ('queued', 'sending') and dedupe_key like ${run + ':%'}`,
    )
    const left = Number(row!.left)
    if (left === 0 || Date.now() > deadline) return { at: Date.now(), left }
    await sleep(20)
  }
}

async function statuses(db: Database, run: string): Promise<{ byStatus: Record<string, number>; reclaimed: number }> {
  const rows = await queryRows<{ status: string; n: number; reclaimed: number }>(
    db.orm,
    sql`select status, count(*)::int as n, count(*) filter (where attempts > 1)::int as reclaimed
        from notifications where dedupe_key like ${run + ':%'} group by status`,
  )
  return { byStatus: Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])), reclaimed: rows.reduce((s, r) => s + Number(r.reclaimed), 0) }
}

/**
 * What the fake saw, against what was queued. Two kinds of duplicate:
 * - provider duplicates: requests repeating an Idempotency-Key already received — raw resends. Expected after a
 *   crash: a message the dead worker sent but had not yet recorded is sent again by the worker that takes it over.
 * - delivered duplicates: recipients who got more than one e-mail once the provider has deduped by key — what a
 *   traveller would see in the inbox. Must be 0: the processor sends the same key (the notification id) every time.
 */
function tally(fake: FakeResend, queued: Queued) {
  let providerDuplicates = 0
  let foreignKeys = 0
  for (const [key, send] of fake.state.sends) {
    providerDuplicates += send.requests - 1
    if (queued.idByAddress.get(send.to) !== key) foreignKeys++
  }
  let deliveredDuplicates = 0
  for (const count of fake.state.delivered.values()) deliveredDuplicates += count - 1
  const distinctIds = [...fake.state.sends.keys()].filter((key) => queued.idByAddress.get(fake.state.sends.get(key)!.to) === key).length
  return { requests: fake.state.requests, distinctIds, lost: queued.idByAddress.size - distinctIds, providerDuplicates, deliveredDuplicates, foreignKeys }
}

// ---- scenarios --------------------------------------------------------------------------------------------------

/** CPU seconds used so far by the PostgreSQL backends serving `application` (0 when PostgreSQL is not local). */
async function backendCpuSeconds(db: Database, application: string): Promise<number> {
  const rows = await queryRows<{ pid: number }>(db.orm, sql`select pid from pg_stat_activity where application_name = ${application}`)
  return rows.reduce((sum, r) => {
    try {
      return sum + cpuSeconds(Number(r.pid))
    } catch {
      return sum
    }
  }, 0)
}

async function throughput(db: Database, fake: FakeResend, env: Record<string, string>, mode: 'loop' | 'worker', processes: number) {
  const run = `throughput-${mode}-${processes}`
  const workers = await Promise.all(Array.from({ length: processes }, () => startWorker(env, mode)))
  const workerCpu = () => workers.reduce((sum, w) => sum + cpuSeconds(w.child.pid!), 0)
  try {
    // Warm-up: the pool's connections opened, statements prepared, the SDK and templates compiled.
    await enqueue(db, `warmup-${run}`, Math.min(N, 300 * processes))
    for (const w of workers) w.go()
    await drained(db, `warmup-${run}`, DRAIN_TIMEOUT_MS)
    fake.reset()
    const cpuBefore = { worker: workerCpu(), postgres: await backendCpuSeconds(db, WORKER_APPLICATION), fake: process.cpuUsage() }
    const queued = await enqueue(db, run)
    for (const w of workers) w.kick()
    const done = await drained(db, run, DRAIN_TIMEOUT_MS)
    const cpu = {
      worker: workerCpu() - cpuBefore.worker,
      postgres: (await backendCpuSeconds(db, WORKER_APPLICATION)) - cpuBefore.postgres,
      fake: ((u) => (u.user + u.system) / 1e6)(process.cpuUsage(cpuBefore.fake)),
    }
    const latencies = Float64Array.from([...fake.state.sends.values()].map((s) => s.firstAt - queued.queuedAt))
    const seconds = (done.at - queued.queuedAt) / 1000
    return {
      seconds,
      perSecond: N / seconds,
      p50: quantile(latencies, latencies.length, 0.5),
      p99: quantile(latencies, latencies.length, 0.99),
      cpuMsPerMessage: { worker: (cpu.worker * 1000) / N, postgres: (cpu.postgres * 1000) / N, fake: (cpu.fake * 1000) / N },
      left: done.left,
      ...tally(fake, queued),
      ...(await statuses(db, run)),
    }
  } finally {
    await Promise.all(workers.map((w) => w.stop()))
  }
}

async function crash(db: Database, fake: FakeResend, env: Record<string, string>, batchSize: number) {
  fake.reset()
  const run = 'crash'
  const first = await startWorker(env, 'worker')
  // Mid-batch (half a batch past N/2): some rows of the dead worker's batch are sent but unrecorded, some unsent.
  const killAt = Math.round(N / 2 + batchSize / 2)
  let second: WorkerChild | undefined
  try {
    const queued = await enqueue(db, run)
    let killedAt = 0
    let receivedAtKill = 0
    fake.state.onRequest = (requests) => {
      if (killedAt || requests < killAt) return
      first.child.kill('SIGKILL')
      killedAt = Date.now()
      receivedAtKill = requests
    }
    first.go()
    await first.exited
    const atKill = await statuses(db, run)
    // What is left of the dead worker's leases: NOTIFY_LEASE_SECONDS minus the time since each row was claimed.
    const [lease] = await queryRows<{ min: number | null; max: number | null }>(
      db.orm,
      sql`select min(extract(epoch from next_attempt_at))::float8 * 1000 as min, max(extract(epoch from next_attempt_at))::float8 * 1000 as max
          from notifications where status = 'sending' and dedupe_key like ${run + ':%'}`,
    )
    second = await startWorker(env, 'worker')
    second.go()
    const done = await drained(db, run, LEASE_SECONDS * 1000 + DRAIN_TIMEOUT_MS)
    await second.stop()
    return {
      receivedAtKill,
      sendingAtKill: atKill.byStatus.sending ?? 0,
      leaseLeftAtKill: lease!.min === null ? '-' : `${((Number(lease!.min) - killedAt) / 1000).toFixed(1)}–${((Number(lease!.max) - killedAt) / 1000).toFixed(1)}`,
      recoverySeconds: (done.at - killedAt) / 1000,
      left: done.left,
      ...tally(fake, queued),
      ...(await statuses(db, run)),
    }
  } finally {
    if (first.child.exitCode === null && first.child.signalCode === null) first.child.kill('SIGKILL')
    await second?.stop()
  }
}

function printTable(rows: Array<Array<string | number>>) {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)))
  for (const row of rows) console.log(row.map((cell, i) => String(cell).padStart(widths[i]!)).join('  '))
}

async function main() {
  const loadAtStart = loadavg()
  const name = `kamhub_bench_notify_${process.pid}_${randomBytes(3).toString('hex')}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const u = new URL(ADMIN_URL)
  u.pathname = `/${name}`
  const fake = await startFakeResend()
  let db: Database | undefined
  let failed = false
  try {
    db = postgresDatabase({ url: u.toString(), max: 2, applicationName: 'kamhub-bench-notify-parent' })
    await migrate(db, await loadMigrations())
    await db.orm.execute(sql`insert into users (id, email, password_hash, role, display_name)
      select gen_random_uuid(), 'bench-' || g || '@bench.invalid', 'x', 'traveller', 'Bench ' || g from generate_series(1, ${N}) g`)
    const tunables = Object.fromEntries(TUNABLES.filter((k) => process.env[k]).map((k) => [k, process.env[k]!]))
    const env = cleanEnv({
      NODE_ENV: 'production',
      ...productionSecrets(),
      DATABASE_URL: u.toString(),
      RESEND_BASE_URL: fake.url,
      EMAIL_PROVIDER_ORDER: 'resend',
      NOTIFY_LEASE_SECONDS: String(LEASE_SECONDS),
      ...tunables,
    })
    const config = parseConfig(env)

    const rows: Array<Array<string | number>> = [['processor', 'messages', 'seconds', 'msgs/s', 'p50 ms', 'p99 ms', `≥ ${TARGET_PER_SECOND}/s`, 'CPU ms/msg worker', 'postgres', 'fake', 'lost', 'delivered dups', 'not sent']]
    const runs = [
      { mode: 'loop', processes: 1, name: 'processNotifications loop' },
      { mode: 'worker', processes: 1, name: `worker (kicked; backstop ${config.NOTIFY_POLL_INTERVAL_MS} ms)` },
      { mode: 'loop', processes: 2, name: 'processNotifications loop × 2 processes' },
    ] as const
    for (const { mode, processes, name } of runs) {
      log(`throughput (${name}): ${N} e-mails…`)
      const r = await throughput(db, fake, env, mode, processes)
      const notSent = N - (r.byStatus.sent ?? 0)
      if (r.lost || r.deliveredDuplicates || r.foreignKeys || notSent) failed = true
      rows.push([
        name,
        N,
        r.seconds.toFixed(2),
        r.perSecond.toFixed(0),
        r.p50.toFixed(0),
        r.p99.toFixed(0),
        r.perSecond >= TARGET_PER_SECOND ? 'PASS' : 'FAIL',
        r.cpuMsPerMessage.worker.toFixed(2),
        r.cpuMsPerMessage.postgres.toFixed(2),
        r.cpuMsPerMessage.fake.toFixed(2),
        r.lost,
        r.deliveredDuplicates,
        notSent,
      ])
    }
    printTable(rows)
    console.log()

    log(`crash: ${N} e-mails, the worker SIGKILLed mid-batch after about half were received, a second worker finishes after the ${LEASE_SECONDS} s lease…`)
    const c = await crash(db, fake, env, config.NOTIFY_BATCH_SIZE)
    const notSent = N - (c.byStatus.sent ?? 0)
    if (c.lost || c.deliveredDuplicates || c.foreignKeys || notSent) failed = true
    printTable([
      ['messages', 'received at kill', 'sending at kill', 'lease left s', 'requests', 'distinct ids', 'lost', 'provider dups', 'delivered dups', 'db sent', 'not sent', 'reclaimed', 'recovery s'],
      [N, c.receivedAtKill, c.sendingAtKill, c.leaseLeftAtKill, c.requests, c.distinctIds, c.lost, c.providerDuplicates, c.deliveredDuplicates, c.byStatus.sent ?? 0, notSent, c.reclaimed, c.recoverySeconds.toFixed(1)],
    ])
    console.log(
      '  provider dups: requests repeating an Idempotency-Key (sent by the killed worker, not yet recorded, sent again by the next);' +
        '\n  delivered dups: e-mails a recipient got more than once after the provider deduped by key — must be 0.',
    )
    if (c.foreignKeys) console.log(`  ${c.foreignKeys} idempotency keys were not the notification's id`)

    const [server] = await queryRows<{ version: string }>(db.orm, sql`select current_setting('server_version') as version`)
    const loadAtEnd = loadavg()
    console.log()
    console.log(
      `PostgreSQL ${server!.version}; ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), load average ${loadAtStart[0]!.toFixed(2)} at start, ${loadAtEnd[0]!.toFixed(2)} at end; ` +
        `NOTIFY_CONCURRENCY ${config.NOTIFY_CONCURRENCY}, NOTIFY_BATCH_SIZE ${config.NOTIFY_BATCH_SIZE}, DATABASE_POOL_MAX ${config.DATABASE_POOL_MAX}, ` +
        `NOTIFY_LEASE_SECONDS ${config.NOTIFY_LEASE_SECONDS}; the Resend adapter (SDK) → a fake Resend over HTTP in the parent process`,
    )
    if (failed) {
      console.error('FAIL: messages lost, delivered twice, not sent, or sent under a key other than their id')
      process.exitCode = 1
    }
  } finally {
    await db?.close()
    await fake.close()
    await admin.unsafe(`drop database if exists ${name} with (force)`)
    await admin.end()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
