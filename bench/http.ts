/**
 * `npm run bench`: what the KamHub middleware stack costs, against a baseline measured in the same run.
 *
 *   full  — the whole app as `npm start` builds it (embedded PGlite in its own thread, event dispatcher, every
 *           middleware, pino access log written to stdout = /dev/null), GET /health/live
 *   full on PostgreSQL — the same app as a deployment runs it: DATABASE_URL on a postgres.js pool (a database made
 *           for the run on BENCH_DATABASE_URL / TEST_DATABASE_URL's server, dropped after), LOG_LEVEL=info
 *   bare  — a bare Hono app, GET /hello
 *   bare replay — the bare server sending the full app's /health/live answer (PostgreSQL, info) byte for byte: the
 *           same headers and body with none of KamHub's code, so the gap splits into what the answer itself costs
 *           (the six security headers, the request id: written by the server, parsed by autocannon on the same two
 *           cores) and what the middleware costs (informational; the target is against bare /hello)
 *
 * Each server runs in its own Node process on @hono/node-server, with the Node flags of `npm start` (both sides);
 * the load comes from this one. The server measured runs alone: the others are stopped (SIGSTOP) meanwhile, as
 * their after-round GCs and timers otherwise land on it (lib.ts `alone`). Three measurements:
 *   1. saturation (autocannon): alternating rounds at N connections (order reversed every other round, so drift
 *      hits all), for each server's req/s, CPU and latency table. Its latency is the queue a closed loop builds:
 *      50 connections / throughput (Little's law), so its p99 is printed for reference, beside the bare server's own.
 *      The throughput ratio's verdict comes from short slices instead: every server for a few seconds, back to back,
 *      many times, in turning order — the median of the per-slice full/bare ratios. This VM's two vCPUs change speed
 *      by up to 2× from one minute to the next, and the rounds put up to 80 s between a full round and its bare one;
 *   2. latency at a load (bench/paced-load.ts, run in a client process of its own: bench/paced-client.ts): requests
 *      spread evenly at a fixed rate over the same N connections (opened, and answered once each, before the
 *      schedule: the opening is timed on its own), each timed from the client's timer turn that found it due, sent
 *      at once or queued behind busy connections (a stall of the server is charged, one of the client is not) — the p99 target, over every answer of the paced rounds (as wrk2 and HdrHistogram report a
 *      run; each round's own p99 is in the table) — and the server's CPU per request there (a fair cost comparison:
 *      neither side is saturated). Each full server's round runs at half of what a short saturation probe of it
 *      reached just before (the load a service is run at, on whatever speed the machine has at that minute), and
 *      bare /hello at the same rate right after it; a round whose full server used over 75% of a core ran near
 *      saturation (the machine slowed after the probe) and is run again, listed but not counted (MAX_PACED_CPU);
 *      each round records the longest gap in the server's own event loop (bench/loop-stalls.ts), and the rounds over
 *      the p99 target are listed with it: a p99 longer than every gap was not one stall of the server's thread, but a
 *      queue (the server slower than the arrivals for a while) or delay outside the server (client, kernel, VM);
 *      then one more paced round per server after BENCH_IDLE_SECONDS with no requests: the first burst after a quiet
 *      spell, with the server's page faults in it (informational);
 *   3. JavaScript CPU per request in-process, without sockets (bench/in-process.ts): stable on a busy machine.
 * Then `npm start` time to ready (cold and warm DATA_DIR) and idle RSS. Figures are printed against the targets;
 * timing never fails the command.
 *
 * Env: BENCH_DURATION (s per saturation round, default 10), BENCH_ROUNDS (5), BENCH_CONNECTIONS (50), BENCH_RATE
 * (req/s of every paced round instead of the probes), BENCH_PROBE_SECONDS (2), BENCH_PACED_SECONDS (5),
 * BENCH_SLICES (of the throughput verdict, 10), BENCH_SLICE_SECONDS (3),
 * BENCH_IDLE_SECONDS (15; 0 skips), BENCH_STARTS (3 cold + 3 warm; 0 skips), BENCH_PROFILE=1 (--cpu-prof of the full
 * server into .tmp/bench-profile).
 */
import autocannon from 'autocannon'
import postgres from 'postgres'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { alone, productionSecrets, cleanEnv, cpuSeconds, descendants, forkChild, median, NPM_START_NODE_FLAGS, quantile, quantilesInPlace, recordForReplay, ROOT, sleep, startChildServer, startPacedClient, turningOrder, type ChildServer, type PacedClient } from './lib.ts'
import { busiestOthers, CLOCK_TICKS_PER_SECOND, pagingCounters, processCpu, processStat, type PagingCounters } from './machine-cpu.ts'
import type { SlowestWindow } from './sched-sampler.ts'
import { measureStart, type StartupRun } from './startup.ts'
import type { IdleTick } from './in-process.ts'

const DURATION = Number(process.env.BENCH_DURATION ?? 10)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const FIXED_RATE = process.env.BENCH_RATE ? Number(process.env.BENCH_RATE) : undefined
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 5)
const SLICES = Number(process.env.BENCH_SLICES ?? 10)
const SLICE_SECONDS = Number(process.env.BENCH_SLICE_SECONDS ?? 3)
const STARTS = Number(process.env.BENCH_STARTS ?? 3)
const WARMUP = Math.min(3, DURATION)
/** The saturation probe before each full server's paced round, in seconds. */
const PROBE_SECONDS = Number(process.env.BENCH_PROBE_SECONDS ?? 2)
const PROFILE = process.env.BENCH_PROFILE === '1'
/**
 * The quiet spell before the after-idle rounds, in seconds (0 skips them). A deployed server sees bursts after quiet
 * spells, and the rounds above never let one be quiet for long: in a scratch run (stop 33) V8's memory reducer gave
 * heap pages back after 15 s idle, and the next burst faulted up to 7,303 of them in again, p99 up to 87 ms. With
 * the reducer off (npm start's flags since), the first burst after 15 s still faults 3.6–24k pages in bare and full
 * servers alike: at a scavenge that finds under 1,000 bytes/ms allocated since the one before, V8 shrinks the young
 * generation to its floor (npm start's floor is its ceiling) and gives its spare semi-space back (README, Node). A
 * server's quiet spell here is this plus the time it sat stopped during the others' turns.
 */
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 15)
/**
 * A full server's paced round counts only if the server stayed under this share of a core: at half of what the probe
 * reached it uses 0.4–0.7 (a request costs more CPU at a lower rate: fewer answers share a wake-up). Above it the
 * machine slowed after the probe, the round ran near saturation, and its queue measured the slow spell (a round at
 * 82% CPU: p99 22.6 ms, p50 1.46 ms). Such a round and its bare pair are listed, not counted, and run again after a
 * new probe, at most PACED_RERUNS times (the last is counted whatever its CPU).
 */
const MAX_PACED_CPU = 0.75
const PACED_RERUNS = 2

const TARGET_RATIO = 0.7
const TARGET_P99_MS = 5

interface Target {
  name: string
  /** The name in a sentence. */
  short: string
  path: string
  server?: ChildServer
  rounds: Round[]
  paced: Round[]
  /** Every paced round's answer latencies (ms), for percentiles over the whole paced measurement. */
  pacedLatencies: Float64Array[]
  /** The same, with the rounds not counted too: the figure without the rerun rules, for the report. */
  everyPacedLatencies?: Float64Array[]
  /**
   * Full servers: the latencies of the bare /hello rounds run right after each counted round, at the same rate — the
   * control for this server's p99: the same minutes of the machine, without KamHub's code.
   */
  pairedBareLatencies?: Float64Array[]
  /** req/s in each slice of the throughput verdict (not the replay's). */
  slices: number[]
  /** One paced round after IDLE_SECONDS with no requests (not the replay's). */
  afterIdle?: Round
}

interface Round {
  rps: number
  p50: number
  p99: number
  p999: number
  /** Server process CPU, in cores (1.0 = one core busy the whole round). */
  cpu: number
  cpuUsPerReq: number
  failures: number
  /** Paced rounds: the longest gap in the server's own event loop (bench/loop-stalls.ts), in ms. */
  loopMaxMs?: number
  /** Paced rounds: the longest gap in the load generator's own event loop (bench/paced-client.ts), in ms. */
  clientLoopMaxMs?: number
  /** Paced rounds: N connections opened and answered once each before the schedule (bench/paced-load.ts), in ms. */
  openingMs?: number
  /** Paced rounds: the server's 50 ms of the schedule that took fewest requests (bench/sched-sampler.ts). */
  slowest?: SlowestWindow
  /** Paced rounds: the client process's CPU and this process's, in cores, over the round (who else used the vCPUs). */
  clientCpu?: number
  benchCpu?: number
  /** Paced rounds: the busiest other processes over the round, "name 12%" of a core (bench/machine-cpu.ts). */
  busiestOthers?: string[]
  /** Paced rounds: the machine's major faults and file pages refaulted over the round. */
  paging?: PagingCounters
  /** Paced rounds: the server process's minor page faults over the round. */
  serverMinorFaults?: number
}

/** A paced round as it ran, for the table (its rate: `result.rps`, half the probe of the full server it follows). */
interface PacedRound {
  round: number
  target: Target
  result: Round
  /** Run over MAX_PACED_CPU (the full server's) and run again: listed, not counted. */
  discarded: boolean
}

interface InProcess {
  fullDebug: number
  fullInfo: number
  bare: number
  idleTick: IdleTick
}

const log = (line: string) => process.stderr.write(line + '\n')

async function main() {
  const dirs: string[] = []
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kamhub-bench-'))
    dirs.push(dir)
    return dir
  }
  // Production mode, except the embedded database (production refuses it unless allowed): the stack a deployment
  // runs, with no service to install.
  const fullEnv = async (level: string) =>
    cleanEnv({
      NODE_ENV: 'production',
      ALLOW_DEV_ADAPTERS: 'true',
      ...productionSecrets(),
      DATA_DIR: join(await tempDir(), 'data'),
      LOG_LEVEL: level,
    })

  const targets: Target[] = [
    { name: 'full  /health/live  access log written', short: 'written', path: '/health/live', rounds: [], paced: [], pacedLatencies: [], slices: [] },
    { name: 'full  /health/live  LOG_LEVEL=info', short: 'info', path: '/health/live', rounds: [], paced: [], pacedLatencies: [], slices: [] },
    { name: 'bare  /hello', short: 'bare hello', path: '/hello', rounds: [], paced: [], pacedLatencies: [], slices: [] },
    { name: 'full  /health/live  PostgreSQL, info', short: 'PostgreSQL', path: '/health/live', rounds: [], paced: [], pacedLatencies: [], slices: [] },
    { name: 'bare  replay of the full answer', short: 'bare replay', path: '', rounds: [], paced: [], pacedLatencies: [], slices: [] },
  ]
  const loadBefore = loadavg()[0]!
  let startups: { cold: StartupRun[]; warm: StartupRun[] } = { cold: [], warm: [] }
  let inProcess: InProcess | undefined
  let database: { url: string; drop(): Promise<void> } | undefined
  // The paced rounds' rates (one per full server's round) and every paced round in the order it ran.
  const rates: number[] = []
  const pacedLog: PacedRound[] = []
  let pacedClient: PacedClient | undefined

  try {
    log('starting servers (full stack: PGlite initdb + migrations in a temp dir)…')
    const profileArgs = PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, '.tmp', 'bench-profile')}`] : []
    const [written, info, bare, onPostgres, replay] = targets as [Target, Target, Target, Target, Target]
    // A deployment's configuration: the same app on a postgres.js pool, no PGlite (and its WebAssembly heap) in the
    // process. Its database is created here and dropped at the end.
    database = await benchDatabase()
    ;[written.server, info.server, bare.server, onPostgres.server] = await Promise.all([
      // /health/* access lines are logged at debug, so debug level is what makes every request write its line.
      startChildServer('./full-server.ts', await fullEnv('debug'), profileArgs),
      startChildServer('./full-server.ts', await fullEnv('info')),
      startChildServer('./bare-server.ts', cleanEnv({ NODE_ENV: 'production' })),
      startChildServer('./full-server.ts', cleanEnv({ NODE_ENV: 'production', ...productionSecrets(), DATABASE_URL: database.url, LOG_LEVEL: 'info' })),
    ])
    replay.server = bare.server
    // Each measurement runs with the other servers stopped (lib.ts `alone`).
    const servers = [written.server!, info.server!, bare.server!, onPostgres.server!]
    replay.path = (await recordForReplay(bare.server!, 'health-live', `http://127.0.0.1:${onPostgres.server!.port}/health/live`)).path

    for (const t of targets) {
      log(`warm-up ${WARMUP} s: ${t.name}`)
      await alone(servers, t.server!, () => load(t, WARMUP))
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
        log(`round ${r + 1}/${ROUNDS}, ${DURATION} s: ${t.name}`)
        t.rounds[r] = await alone(servers, t.server!, () => load(t, DURATION))
      }
    }
    const sliced = [written, info, bare, onPostgres]
    for (let i = 0; i < SLICES; i++) {
      const order = turningOrder(sliced, i)
      log(`slices ${i + 1}/${SLICES}, ${SLICE_SECONDS} s each: ${order.map((t) => t.name.replace(/\s+/g, ' ')).join(' → ')}`)
      for (const t of order) t.slices[i] = (await alone(servers, t.server!, () => load(t, SLICE_SECONDS))).rps
    }
    // Latency at half of what the server can do now. This VM's speed changes by up to 2× from one minute to the next,
    // and a rate fixed from the saturation rounds minutes earlier was, in a slow spell, most of a full server's
    // capacity: an open loop's queue then grows for as long as the spell lasts, and p99 measures the spell. So each
    // full server's paced round follows a short saturation probe of that server, and runs at half of what the probe
    // reached; the bare server runs at the same rate right after it (and the replay after the PostgreSQL one), so
    // each pair shares a rate and, mostly, the machine's state.
    // The paced client runs in a process of its own (bench/paced-client.ts says why), never stopped by `alone`.
    pacedClient = await startPacedClient()
    // A paced warm-up of every server (and of the client), not counted. Paced traffic takes other paths than a
    // saturating one (a request per read instead of a batch, answers written one at a time), and a server's first
    // paced round compiled them: in two runs before this warm-up, five of the six full servers' first paced rounds
    // were their worst (info 12.2 and 34.0 ms p99, PostgreSQL 55.5 and 40.3, log written 5.6; the medians of all
    // rounds 3.4–5.5), and bare /hello's very first was 11.2 ms; in the slowest 50 ms of info's 34.0 ms round the
    // server ran flat out at 92 µs of CPU a request against the round's 49. A deployed server has long since
    // compiled what it serves.
    for (const t of targets) {
      const rate = FIXED_RATE ?? Math.max(100, Math.round(median(t.rounds.map((r) => r.rps)) / 2 / 100) * 100)
      log(`paced warm-up ${WARMUP} s, ${rate} req/s: ${t.name}`)
      await alone(servers, t.server!, () => paced(pacedClient!, t, rate, WARMUP))
    }
    for (let r = 0; r < ROUNDS; r++) {
      for (const full of turningOrder([written, info, onPostgres], r)) {
        for (let attempt = 0; ; attempt++) {
          const capacity = FIXED_RATE ?? (await alone(servers, full.server!, () => load(full, PROBE_SECONDS))).rps
          const rate = FIXED_RATE ?? Math.max(100, Math.round(capacity / 2 / 100) * 100)
          const ran: Array<{ target: Target; result: Round; latencies: Float64Array }> = []
          for (const t of full === onPostgres ? [full, bare, replay] : [full, bare]) {
            log(`paced ${r + 1}/${ROUNDS}, ${rate} req/s${FIXED_RATE ? '' : ` (probe ${capacity.toFixed(0)} req/s)`}, ${PACED_SECONDS} s: ${t.name}`)
            ran.push({ target: t, ...(await alone(servers, t.server!, () => paced(pacedClient!, t, rate))) })
          }
          // Half of the probe was not half of what the machine could do during the round: run the pair again.
          const overloaded = !FIXED_RATE && ran[0]!.result.cpu > MAX_PACED_CPU
          const discarded = overloaded && attempt < PACED_RERUNS
          if (discarded) log(`  ${full.name}: ${(ran[0]!.result.cpu * 100).toFixed(0)}% CPU, over ${MAX_PACED_CPU * 100}%: the machine slowed after the probe; discarded, run again`)
          for (const { target, result, latencies } of ran) {
            pacedLog.push({ round: r + 1, target, result, discarded })
            ;(target.everyPacedLatencies ??= []).push(latencies)
            if (discarded) continue
            target.paced.push(result)
            target.pacedLatencies.push(latencies)
          }
          if (!discarded) {
            ;(full.pairedBareLatencies ??= []).push(ran[1]!.latencies)
            rates.push(rate)
            break
          }
        }
      }
    }
    // After a quiet spell: each server alone and idle (the others stopped, so only its own timers run), then one
    // paced round at its half-capacity rate (the median of its rounds'; bare /hello at the median of all).
    if (IDLE_SECONDS > 0) {
      for (const t of [written, info, onPostgres, bare]) {
        const counted = t === bare ? rates : t.paced.map((r) => r.rps)
        const rate = FIXED_RATE ?? Math.max(100, Math.round(median(counted) / 100) * 100)
        log(`after ${IDLE_SECONDS} s idle, ${rate} req/s, ${PACED_SECONDS} s: ${t.name}`)
        t.afterIdle = await alone(servers, t.server!, async () => {
          await sleep(IDLE_SECONDS * 1000)
          return (await paced(pacedClient!, t, rate)).result
        })
      }
    }
    await pacedClient.stop()
    await Promise.all([...new Set(targets.map((t) => t.server))].map((s) => s?.stop()))

    log('in-process JavaScript cost per request (full app at debug and info, bare)…')
    inProcess = await forkChild<InProcess>('./in-process.ts', cleanEnv({}), [...NPM_START_NODE_FLAGS]).message
    if (STARTS > 0) startups = await measureStartups(tempDir)
  } finally {
    await pacedClient?.stop()
    await Promise.all([...new Set(targets.map((t) => t.server))].map((s) => s?.stop()))
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })))
    await database?.drop()
  }

  process.stdout.write(report(targets, rates, pacedLog, inProcess!, startups, [loadBefore, loadavg()[0]!]))
}

/** A fresh database on BENCH_DATABASE_URL / TEST_DATABASE_URL's server (postgres@127.0.0.1:5432 by default). */
async function benchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
  const name = `kamhub_bench_http_${process.pid}_${randomBytes(3).toString('hex')}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
  }
}

/**
 * Every saturation run's latencies, one array for the whole benchmark, sorted in place. A new one per run (32 MB)
 * left this process some 70 of them to free in a major collection once it went quiet, which is when the paced rounds
 * run, on the vCPUs the server measured needs: in the run before, a full server's first paced round (p99 45.0 ms)
 * waited for a CPU 35% of its slowest 50 ms while its own other threads used 1% — something else had the vCPUs. The
 * paced rounds over the target now also say how much CPU this process and the client used: this process 0–3% of a
 * core in every such round since (not measured before, so how much of that 35% was its collection is not known).
 */
const saturationTimes = new Float64Array(4_000_000)

/** One autocannon run at saturation; latency from every response's own timing (its histogram has 1 ms resolution). */
async function load(target: Target, seconds: number): Promise<Round> {
  const pid = target.server!.child.pid!
  const times = saturationTimes
  let n = 0
  const cpuBefore = cpuSeconds(pid)
  const wallBefore = performance.now()
  const url = `http://127.0.0.1:${target.server!.port}${target.path}`
  const instance = autocannon({ url, connections: CONNECTIONS, duration: seconds })
  instance.on('response', (_client, status, _bytes, ms) => {
    if (status === 200 && n < times.length) times[n++] = ms
  })
  const result = await instance
  const wall = (performance.now() - wallBefore) / 1000
  const cpu = cpuSeconds(pid) - cpuBefore
  const total = result.requests.total
  const [p50, p99, p999] = quantilesInPlace(times, n, [0.5, 0.99, 0.999]) as [number, number, number]
  return {
    rps: total / seconds,
    p50,
    p99,
    p999,
    cpu: cpu / wall,
    cpuUsPerReq: (cpu * 1e6) / Math.max(1, total),
    failures: result.errors + result.timeouts + result.non2xx,
  }
}

/** One paced run from the client process: `rate` req/s spread evenly over the connections (bench/paced-load.ts). */
async function paced(client: PacedClient, target: Target, rate: number, seconds = PACED_SECONDS): Promise<{ result: Round; latencies: Float64Array }> {
  const pid = target.server!.child.pid!
  const loop = await target.server!.watchLoop(client.pid)
  const ours = new Set([process.pid, client.pid, pid, ...descendants(pid)])
  const othersBefore = processCpu()
  const pagingBefore = pagingCounters()
  // The server's CPU ticks and page faults, from one read of /proc/<pid>/stat on each side of the round.
  const serverBefore = processStat(pid)
  const clientCpuBefore = cpuSeconds(client.pid)
  const ownCpuBefore = process.cpuUsage()
  const wallBefore = performance.now()
  const result = await client.run({ port: target.server!.port, path: target.path, rate, seconds, connections: CONNECTIONS })
  const wall = (performance.now() - wallBefore) / 1000
  const serverAfter = processStat(pid)
  const cpu = (serverAfter.ticks - serverBefore.ticks) / CLOCK_TICKS_PER_SECOND
  const serverMinorFaults = serverAfter.minorFaults - serverBefore.minorFaults
  const clientCpu = cpuSeconds(client.pid) - clientCpuBefore
  const ownCpu = process.cpuUsage(ownCpuBefore)
  const others = busiestOthers(othersBefore, processCpu(), ours, wall)
  const pagingAfter = pagingCounters()
  const stalls = await loop.stop(result.span)
  const { ok, latencies } = result
  return {
    result: {
      rps: result.achievedRate,
      p50: quantile(latencies, ok, 0.5),
      p99: quantile(latencies, ok, 0.99),
      p999: quantile(latencies, ok, 0.999),
      cpu: cpu / wall,
      cpuUsPerReq: (cpu * 1e6) / Math.max(1, ok + result.failures),
      failures: result.failures,
      loopMaxMs: stalls.maxMs,
      clientLoopMaxMs: result.clientLoopMaxMs,
      openingMs: result.openingMs,
      ...(stalls.slowest && { slowest: stalls.slowest }),
      clientCpu: clientCpu / wall,
      benchCpu: (ownCpu.user + ownCpu.system) / 1e6 / wall,
      busiestOthers: others,
      paging: { majorFaults: pagingAfter.majorFaults - pagingBefore.majorFaults, fileRefaults: pagingAfter.fileRefaults - pagingBefore.fileRefaults },
      serverMinorFaults,
    },
    // The client sends the 200 answers only; the view guards against a longer array without copying it.
    latencies: latencies.subarray(0, ok),
  }
}

async function measureStartups(tempDir: () => Promise<string>) {
  const cold: StartupRun[] = []
  const warm: StartupRun[] = []
  const dataDirs: string[] = []
  for (let i = 0; i < STARTS; i++) {
    const dir = join(await tempDir(), 'data')
    dataDirs.push(dir)
    log(`npm start, cold ${i + 1}/${STARTS} (empty DATA_DIR)`)
    cold.push(await measureStart(dir))
  }
  for (let i = 0; i < STARTS; i++) {
    log(`npm start, warm ${i + 1}/${STARTS} (existing DATA_DIR)`)
    warm.push(await measureStart(dataDirs[i]!))
  }
  return { cold, warm }
}

function report(targets: Target[], rates: number[], pacedLog: PacedRound[], inProcess: InProcess, startups: { cold: StartupRun[]; warm: StartupRun[] }, load: number[]): string {
  const fmt = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '—')
  const pad = (s: string, w: number) => s.padEnd(w)
  const lpad = (s: string, w: number) => s.padStart(w)
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL')
  const lines: string[] = []
  const row = (label: string, target: string, r: Round) =>
    lines.push(
      pad(label, 8) +
        pad(target, 40) +
        lpad(fmt(r.rps, 0), 8) +
        lpad(fmt(r.p50), 9) +
        lpad(fmt(r.p99), 9) +
        lpad(fmt(r.p999), 9) +
        lpad(fmt(r.cpu * 100, 0) + '%', 7) +
        lpad(fmt(r.cpuUsPerReq, 1), 9) +
        lpad(String(r.failures), 6) +
        (r.loopMaxMs === undefined ? '' : lpad(fmt(r.loopMaxMs, 1), 9)) +
        (r.openingMs === undefined ? '' : lpad(fmt(r.openingMs, 1), 9)) +
        (r.slowest === undefined ? '' : lpad(fmt(r.slowest.othersPeak * 100, 0), 10) + lpad(fmt(r.slowest.roundStatements, 0), 7)) +
        (r.serverMinorFaults === undefined ? '' : lpad(fmt(r.serverMinorFaults, 0), 8)),
    )
  const medianRound = (rounds: Round[]): Round => ({
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    p999: median(rounds.map((r) => r.p999)),
    cpu: median(rounds.map((r) => r.cpu)),
    cpuUsPerReq: median(rounds.map((r) => r.cpuUsPerReq)),
    failures: rounds.reduce((s, r) => s + r.failures, 0),
    ...(rounds.some((r) => r.loopMaxMs !== undefined) && { loopMaxMs: Math.max(...rounds.map((r) => r.loopMaxMs ?? 0)) }),
    ...(rounds.some((r) => r.openingMs !== undefined) && { openingMs: median(rounds.map((r) => r.openingMs ?? 0)) }),
  })

  lines.push('')
  lines.push(`KamHub HTTP benchmark — ${cpus().length} CPUs (${cpus()[0]?.model.trim()}), Node ${process.version}, autocannon 8`)
  lines.push(`load average ${fmt(load[0]!)} at start, ${fmt(load[1]!)} at end (anything above ~0 means other work shared the CPUs)`)
  lines.push(`${CONNECTIONS} connections, ${ROUNDS} rounds × ${DURATION} s in alternating order after ${WARMUP} s warm-up; the load generator shares the machine`)
  const rateRange = `${fmt(Math.min(...rates), 0)}–${fmt(Math.max(...rates), 0)} req/s`
  lines.push(`Saturation: autocannon, as fast as answers come. Paced: requests spread evenly over the ${CONNECTIONS} connections at half of`)
  lines.push(`  what a ${PROBE_SECONDS} s saturation probe of the full server reached just before its round (${FIXED_RATE ? `BENCH_RATE: ${FIXED_RATE}` : rateRange}); bare`)
  lines.push(`  /hello (and the replay, after the PostgreSQL server) at the same rate right after; ${ROUNDS} rounds × ${PACED_SECONDS} s per full server, after`)
  lines.push(`  a ${WARMUP} s paced warm-up of every server. Each request counts from the client's timer turn that found it due,`)
  lines.push(`  sent at once or queued behind busy connections: a stall of the server is charged, one of the client's is not (bench/paced-load.ts).`)
  lines.push(`Throughput verdict: ${SLICES} slices of ${SLICE_SECONDS} s, the four servers back to back in turning order; the median of the`)
  lines.push('  per-slice full/bare ratios (the rounds below put a full round and its bare one up to 80 s apart).')
  lines.push('Full stack: production mode, every middleware; its pino access log goes to stdout = /dev/null. Database: the embedded')
  lines.push('  PGlite (what `npm start` runs) or PostgreSQL through a postgres.js pool (what a deployment runs).')
  lines.push('  "access log written": LOG_LEVEL=debug, so every /health/live request formats and writes its access line')
  lines.push('  (/health/* lines are debug-level); "LOG_LEVEL=info" is the production default, where probe lines are filtered.')
  lines.push('')
  const header = (first: string, extra = '') =>
    lines.push(pad(first, 8) + pad('target', 40) + lpad('req/s', 8) + lpad('p50 ms', 9) + lpad('p99 ms', 9) + lpad('p99.9', 9) + lpad('CPU', 7) + lpad('µs/req', 9) + lpad('fail', 6) + extra)
  header('round')
  for (let r = 0; r < ROUNDS; r++) for (const t of targets) row(String(r + 1), t.name, t.rounds[r]!)
  const medians = targets.map((t) => medianRound(t.rounds))
  for (let i = 0; i < targets.length; i++) row('median', targets[i]!.name, medians[i]!)
  lines.push('')
  header('paced', lpad('loop ms', 9) + lpad('open ms', 9) + lpad('others %', 10) + lpad('stmts', 7) + lpad('faults', 8))
  for (const p of pacedLog) row(`${p.round}${p.discarded ? ' *' : ''}`, p.target.name, p.result)
  const pacedMedians = targets.map((t) => medianRound(t.paced))
  for (let i = 0; i < targets.length; i++) row('median', targets[i]!.name, pacedMedians[i]!)
  const discarded = pacedLog.filter((p) => p.discarded && p.target.name.startsWith('full')).length
  if (discarded) lines.push(`* not counted (${discarded} full rounds): the full server used over ${MAX_PACED_CPU * 100}% of a core, the machine having slowed after its probe; run again`)
  // Not a rule for discarding rounds: tried (stop 32, run 3) at 50% of a vCPU, it set aside 18 of some 40 pairs — the
  // others' usual peak is 30–60% (10 ms ticks, the client's own GC and libuv threads, kworkers) — and a third try,
  // counted whatever happens in it, met the minute's Erlang VM (27.7 ms): the counted p99 came out worse than all rounds'.
  lines.push(`others %: the most that processes other than the server and the client's main thread used in any 100 ms of the round, % of a vCPU`)
  lines.push(`  (this machine's RabbitMQ also starts an Erlang VM every minute to check on epmd, which takes most of both vCPUs for`)
  lines.push(`  about half a second: 80–144%).`)
  lines.push('loop ms: the longest gap between turns of a 1 ms timer in the server during the round (its own event loop standing still;')
  lines.push('  median row: the longest of the rounds). A p99 above it was no single stall of the server: a queue, or the client, kernel, VM;')
  lines.push('  the rounds over the target below also give the client\'s own longest gap (bench/paced-client.ts).')
  lines.push(`open ms: before its schedule the client opens its ${CONNECTIONS} connections and has each answer once, all at once; the time from`)
  lines.push('  the first connect to the last of those answers, not in the latencies (median row: the median). The p99 is of a steady load.')
  lines.push('stmts: database statements the server ran during the round — its background work (/health/live runs none): the event')
  lines.push('  dispatcher (its push ownership renewed every 10 s, a poll every 30 s), the notification worker\'s round (every 30 s when')
  lines.push('  idle), and the minute\'s maintenance (6 when nothing is due; its cost: "an idle minute\'s maintenance" below).')
  lines.push('faults: the server\'s minor page faults in the round. Thousands mean V8 had resized its young generation or given back')
  lines.push('  its spare half — it does at a collection that finds under 1,000 bytes/ms allocated since the one before, as after the')
  lines.push('  server sat stopped while the others ran — and the round touched those pages again, in its collections and allocations.')

  const [mWritten, mInfo, mBare, mPg, mReplay] = medians as [Round, Round, Round, Round, Round]
  const [rWritten, rInfo, rBare, rPg, rReplay] = pacedMedians as [Round, Round, Round, Round, Round]
  lines.push('')
  const [tWritten, tInfo, tBare, tPg] = targets as [Target, Target, Target, Target]
  const sliceRatios = (t: Target) => t.slices.map((rps, i) => rps / tBare.slices[i]!)
  for (const [label, t] of [['access log written', tWritten], ['LOG_LEVEL=info', tInfo], ['PostgreSQL, info', tPg]] as const) {
    const ratios = sliceRatios(t)
    const ratio = median(ratios)
    lines.push(`throughput full/bare, ${pad(label, 19)} ${fmt(ratio)}   target ≥ ${TARGET_RATIO}  ${verdict(ratio >= TARGET_RATIO)}   slices: ${ratios.map((x) => fmt(x)).join(' ')}`)
  }
  lines.push(`  (median of ${tBare.slices.length} back-to-back slices of ${SLICE_SECONDS} s, the four servers in turning order; bare /hello's slices: ${fmt(Math.min(...tBare.slices), 0)}–${fmt(Math.max(...tBare.slices), 0)} req/s)`)
  // Percentiles over every answer of the paced rounds, as wrk2 and HdrHistogram report a run: one stall of tens of
  // milliseconds is 1% of a 5 s round's answers, so the rounds' own p99s say which rounds had one.
  const pooledOf = (t: Target, rounds = t.pacedLatencies) => {
    const all = new Float64Array(rounds.reduce((n, l) => n + l.length, 0))
    let at = 0
    for (const l of rounds) {
      all.set(l, at)
      at += l.length
    }
    return all
  }
  const p99Of = (t: Target, rounds: Float64Array[]) => {
    const all = pooledOf(t, rounds)
    return quantile(all, all.length, 0.99)
  }
  const pooledLatencies = new Map(targets.map((t) => [t, pooledOf(t)]))
  const pooled = (t: Target, q: number) => quantile(pooledLatencies.get(t)!, pooledLatencies.get(t)!.length, q)
  const [p99Written, p99Info, p99Bare, p99Pg] = [tWritten, tInfo, tBare, tPg].map((t) => pooled(t, 0.99)) as [number, number, number, number]
  lines.push(
    `p99 full at ${CONNECTIONS} connections, half capacity   ${fmt(p99Written)} ms (log written), ${fmt(p99Info)} ms (info), ${fmt(p99Pg)} ms (PostgreSQL); bare ${fmt(p99Bare)} ms   target ≤ ${TARGET_P99_MS} ms  ${verdict(Math.max(p99Written, p99Info, p99Pg) <= TARGET_P99_MS)}`,
  )
  lines.push(
    `  (every answer of the paced rounds at ${FIXED_RATE ? `${FIXED_RATE} req/s` : rateRange}, ${fmt(ROUNDS * PACED_SECONDS, 0)} s per full server; p99.9 ${fmt(pooled(tWritten, 0.999))} / ${fmt(pooled(tInfo, 0.999))} / ${fmt(pooled(tPg, 0.999))} ms, bare ${fmt(pooled(tBare, 0.999))} ms; the median of the rounds' own p99: ${fmt(rWritten.p99)} / ${fmt(rInfo.p99)} / ${fmt(rPg.p99)} ms, bare ${fmt(rBare.p99)} ms)`,
  )
  // The control: bare /hello over the rounds paired with each full server's (same rates, right after each round, the
  // same number of answers). A full server over the target whose control is over it too lost its rounds to the
  // machine, not to its middleware.
  const control = [tWritten, tInfo, tPg].map((t) => p99Of(t, t.pairedBareLatencies ?? []))
  lines.push(`  (the control, bare /hello in the rounds paired with each: p99 ${control.map((ms) => fmt(ms)).join(' / ')} ms)`)
  if (pacedLog.some((p) => p.discarded)) {
    const withEvery = [tWritten, tInfo, tPg, tBare].map((t) => p99Of(t, t.everyPacedLatencies ?? []))
    lines.push(`  (with the rounds not counted too: p99 ${withEvery.slice(0, 3).map((ms) => fmt(ms)).join(' / ')} ms, bare ${fmt(withEvery[3]!)} ms)`)
  }
  // What the server's threads did in the 50 ms of the schedule that took fewest requests (bench/sched-sampler.ts):
  // running flat out at a higher CPU cost per request than the round's, waiting for a CPU (its other threads, the
  // client or anything else took the vCPUs), or idling (the requests were not sent: client, kernel). A fixed piece
  // of arithmetic and a walk through memory timed with every sample say whether the machine itself was slower then,
  // and the collections' pauses in the window whether the dearer work was garbage collection.
  const slowestWindowLines = (label: string, r: Round) => {
    const w = r.slowest
    if (!w) return
    const due = r.rps / 1000
    lines.push(
      `    ${label}: its slowest 50 ms (at +${fmt(w.atMs / 1000, 2)} s) took ${fmt(w.perMs, 1)} req/ms of ${fmt(due, 1)} due; main thread ran ${fmt(w.mainCpu * 100, 0)}%, waited for a CPU ${fmt(w.mainWait * 100, 0)}%; the process in the kernel ${fmt(w.systemCpu * 100, 0)}%; other threads ${fmt(w.otherThreads * 100, 0)}% of a core; ${fmt(w.cpuUsPerRequest, 0)} µs CPU/request (round ${fmt(w.roundCpuUsPerRequest, 0)}), fixed work ${fmt(w.fixedWorkSlowdown, 1)}× its usual time, a walk through memory ${fmt(w.memoryWorkSlowdown, 1)}×, collections ${fmt(w.collectionMs, 1)} ms (longest ${fmt(w.longestCollectionMs, 1)} ms, ${w.longestCollectionKind}), page faults ${fmt(w.minorFaults, 0)} minor and ${fmt(w.majorFaults, 0)} major, database statements ${fmt(w.statements, 0)} (round ${fmt(w.roundStatements, 0)})`,
      `      in that window the client's main thread ran ${fmt(w.clientCpu * 100, 0)}% and waited for a CPU ${fmt(w.clientWait * 100, 0)}%, the machine was busy ${fmt(w.machineBusy * 100, 0)}% of a core (stolen ${fmt(w.steal * 100, 0)}%), others ${fmt(w.othersCpu * 100, 0)}%; over the round the client used ${fmt((r.clientCpu ?? NaN) * 100, 0)}% of a core, the bench process ${fmt((r.benchCpu ?? NaN) * 100, 0)}%, the busiest others ${r.busiestOthers?.join(', ') || 'none'}; the machine's major faults ${fmt(r.paging?.majorFaults ?? NaN, 0)}, file pages refaulted ${fmt(r.paging?.fileRefaults ?? NaN, 0)}`,
    )
  }
  // Where the tails came from: a round over the target whose server never stood still that long was not slowed by one
  // stall of the server's thread.
  const over = pacedLog.filter((p) => !p.discarded && p.result.p99 > TARGET_P99_MS)
  if (over.length) {
    const outside = over.filter((p) => Math.max(p.result.loopMaxMs ?? Infinity, p.result.clientLoopMaxMs ?? Infinity) < p.result.p99).length
    lines.push(
      `  rounds over ${TARGET_P99_MS} ms p99: ${over.map((p) => `${p.target.short} r${p.round} ${fmt(p.result.p99, 1)} (loop ${fmt(p.result.loopMaxMs ?? NaN, 1)}, client ${fmt(p.result.clientLoopMaxMs ?? NaN, 1)})`).join(', ')}; ${outside} of ${over.length} with no gap as long as their p99 in the server's or the client's event loop`,
    )
    for (const p of over) slowestWindowLines(`${p.target.short} r${p.round}`, p.result)
  }
  const idle = [tWritten, tInfo, tPg, tBare].map((t) => t.afterIdle)
  if (idle.every((r) => r !== undefined)) {
    const [iWritten, iInfo, iPg, iBare] = idle as [Round, Round, Round, Round]
    const faults = (r: Round) => fmt(r.serverMinorFaults ?? NaN, 0)
    lines.push(
      `p99 after ${IDLE_SECONDS} s idle (informational)    ${fmt(iWritten.p99)} / ${fmt(iInfo.p99)} / ${fmt(iPg.p99)} ms; bare ${fmt(iBare.p99)} ms — one ${PACED_SECONDS} s paced round each, ${fmt(iWritten.rps, 0)} / ${fmt(iInfo.rps, 0)} / ${fmt(iPg.rps, 0)} / ${fmt(iBare.rps, 0)} req/s,`,
    )
    lines.push(
      `  the server's minor page faults in the round ${faults(iWritten)} / ${faults(iInfo)} / ${faults(iPg)}, bare ${faults(iBare)} (paced rounds' median ${[tWritten, tInfo, tPg, tBare].map((t) => fmt(median(t.paced.map((r) => r.serverMinorFaults ?? NaN)), 0)).join(' / ')}); loop ${[iWritten, iInfo, iPg, iBare].map((r) => fmt(r.loopMaxMs ?? NaN, 1)).join(' / ')} ms`,
    )
    const idleOver = [tWritten, tInfo, tPg, tBare].filter((t) => t.afterIdle!.p99 > TARGET_P99_MS)
    for (const t of idleOver) slowestWindowLines(`${t.short} after idle`, t.afterIdle!)
  }
  lines.push(
    `p99 at saturation (informational)        ${fmt(mWritten.p99)} / ${fmt(mInfo.p99)} / ${fmt(mPg.p99)} ms; bare ${fmt(mBare.p99)} ms — the closed loop's queue: ${CONNECTIONS} connections / throughput = a mean of ${fmt((CONNECTIONS / mInfo.rps) * 1000)} ms (info), ${fmt((CONNECTIONS / mBare.rps) * 1000)} ms (bare)`,
  )
  lines.push(
    `server CPU per request, paced            full ${fmt(rWritten.cpuUsPerReq, 1)} µs (log written), ${fmt(rInfo.cpuUsPerReq, 1)} µs (info), ${fmt(rPg.cpuUsPerReq, 1)} µs (PostgreSQL); bare ${fmt(rBare.cpuUsPerReq, 1)} µs`,
  )
  lines.push(
    `the answer itself, bare replay/hello       ${fmt(mReplay.rps / mBare.rps)}   (the same headers and body as full, sent by bare Hono; server ${fmt(rReplay.cpuUsPerReq, 1)} µs/req paced)`,
  )
  lines.push(`KamHub's code, full on PostgreSQL/replay  ${fmt(mPg.rps / mReplay.rps)}   (informational: the middleware against the same bytes on the wire)`)
  // The same ratio from the rounds (a full round and its bare one up to 80 s apart): how far the machine moves it.
  for (const [label, t, m] of [['log written', tWritten, mWritten], ['info', tInfo, mInfo], ['PostgreSQL', tPg, mPg]] as const) {
    const ratios = t.rounds.map((r, i) => r.rps / tBare.rounds[i]!.rps)
    lines.push(`  full/bare from the rounds, ${pad(label + ':', 12)} medians ${fmt(m.rps / mBare.rps)}; round by round ${ratios.map((x) => fmt(x)).join(' ')}  (informational)`)
  }
  lines.push(
    `JavaScript per request, in-process       full ${fmt(inProcess.fullDebug, 1)} µs (log written), ${fmt(inProcess.fullInfo, 1)} µs (info); bare ${fmt(inProcess.bare, 1)} µs  (no sockets, min of 7 × 10k)`,
  )
  const tick = inProcess.idleTick
  lines.push(
    `an idle minute's maintenance, PGlite     ${fmt(tick.wallMs)} ms, main thread ${fmt(tick.mainMs)} ms, ${fmt(tick.statements, 0)} statements = ${fmt(tick.wallMs / tick.selectOneWallMs, 1)}× / ${fmt(tick.mainMs / tick.selectOneMainMs, 1)}× a \`select 1\` (${fmt(tick.selectOneWallMs)} / ${fmt(tick.selectOneMainMs)} ms)  (in-process, warm, median of 100)`,
  )

  if (startups.cold.length) {
    const mib = (b: number) => `${fmt(b / 1024 / 1024, 0)} MiB`
    const sec = (ms: number) => `${fmt(ms / 1000)} s`
    lines.push('')
    lines.push(`npm start → first 200 from /health/ready, median of ${startups.cold.length} (in-process: config + database + migrations + listen, from its log)`)
    for (const [label, xs] of [
      ['cold (empty DATA_DIR: initdb + migrations)', startups.cold],
      ['warm (existing DATA_DIR)', startups.warm],
    ] as const) {
      const inProc = xs.map((x) => x.inProcessMs).filter((v): v is number => v !== undefined)
      lines.push(`  ${pad(label, 44)} ${sec(median(xs.map((x) => x.readyMs)))}  (runs ${xs.map((x) => sec(x.readyMs)).join(', ')}; in-process ${inProc.length ? sec(median(inProc)) : '—'})`)
    }
    lines.push(
      `idle RSS 1 s after ready, median: server process ${mib(median(startups.warm.map((x) => x.serverRss)))} (warm start), ${mib(median(startups.cold.map((x) => x.serverRss)))} (cold start);`,
    )
    lines.push(`  whole npm start tree (npm + sh + server) ${mib(median(startups.warm.map((x) => x.treeRss)))} (warm start)`)
  }
  lines.push('')
  return lines.join('\n') + '\n'
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
