/**
 * `npm run bench:events`: how fast the event backbone delivers, against graphile-worker 0.17 measured in the same
 * run on the same PostgreSQL (the scenarios of ../shared/reference/events.md).
 *
 * Every event is its own business transaction — insert an order row + publish (KamHub) or add_job (graphile),
 * commit — made here, in this process; each system's consumer runs in a child process (events-consumer.ts), a
 * fresh one per scenario, on a fresh database per system that is dropped at the end. Latency is commit
 * acknowledged (here) → handler started (child), on the machine's monotonic clock, in ms. "Acknowledged" is when
 * this process gets to the commit's reply: under burst its event loop is busy and that comes late, which flatters
 * every system by the same lag (the floor row's negative p50 shows how much).
 *
 *   idle    one event at a time, 5–10 ms apart: p50/p99
 *   paced   500 events/s, open loop (sent on schedule whatever the previous did): p50/p99
 *   burst   8 producers committing as fast as they can: events/s committed, p50/p99; "tail" is how long after
 *           the last commit the last handler started — a consumer that keeps up has a tail of a few ms
 *   drain   a backlog enqueued with no consumer running, then the consumer starts: events / (first handler
 *           start → every outcome recorded); startup is excluded for every system. A backlog drains in about a
 *           second, so each system drains three (BENCH_DRAIN_ROUNDS), in rotation, and the median rate counts
 * idle, paced and burst start with a warm-up (2 s at 500/s; BENCH_WARMUP_SECONDS, 0 for none) that is not measured:
 * each consumer is a fresh process, and a dispatcher serving a live site is not in its first seconds.
 * Then lost (events committed whose handler never ran) and duplicated (extra handler runs), per system. The last
 * row, "floor", is no queue at all — the commit NOTIFYs and the notification is the handler — so it shows what
 * this machine's scheduling and PostgreSQL cost before any queue does anything: read the p99s against it.
 * Timing never fails the command; the targets of issue 3 are printed PASS/FAIL. KamHub's consumer also logs, per
 * scenario, how many claims it made and how many came back empty (events_claims_total).
 *
 * Env: BENCH_DATABASE_URL (admin URL, default postgres://postgres@127.0.0.1:5432/postgres), BENCH_QUICK=1 (small
 * sizes), BENCH_SYSTEMS (comma-separated name prefixes to run, e.g. `kamhub`), BENCH_SCENARIOS (e.g. `idle,drain`),
 * BENCH_KAMHUB (dispatcher batch×loops, default 500x4; `-nopush` turns push ownership off; a list runs each side by side), BENCH_BASELINE (path to
 * another checkout, e.g. a `git worktree` of main: its dispatcher runs as one more system, "kamhub @ baseline",
 * against the same producers and schema), BENCH_CONSUMER_FLAGS (Node flags for every consumer child, e.g.
 * `--trace-gc`; each system's consumer alike), BENCH_TRACE=1 (KamHub's latency split into stages — NOTIFY
 * arrival, wake-up, claim round trip, dispatch — with the consumer's GC pauses, printed after the table; see
 * events-trace.ts).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { createDatabase, describeConfig, dropDatabase, nowMs, openProducer, type Producer, type System } from './events-systems.ts'
import { describeTrace, type ConsumerTrace, type TracedEvent } from './events-trace.ts'

const QUICK = process.env.BENCH_QUICK === '1'
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const SIZES = QUICK
  ? { idle: 100, pacedSeconds: 3, burstSeconds: 3, backlog: 3_000 }
  : { idle: 500, pacedSeconds: 10, burstSeconds: 10, backlog: 20_000 }
const RATE = 500
// Every system's consumer is a fresh process per scenario: its first seconds are JIT compilation, first plans and
// the first large scavenges, not the steady state a long-running dispatcher is in. That many seconds of events at
// RATE go first in each live scenario, for every system alike, and are not measured (0 measures from the first event).
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? (QUICK ? 1 : 2))
// A 20k backlog drains in about a second: one run is at the mercy of whatever else the machine does in that second.
// Each system drains this many backlogs (in rotation with the others) and reports the median rate.
const DRAIN_ROUNDS = Math.max(1, Number(process.env.BENCH_DRAIN_ROUNDS ?? (QUICK ? 1 : 3)))
const PRODUCERS = 8
const BACKLOG_WRITERS = 4
const BACKLOG_PER_TX = 250
const WAIT_MS = 30_000
const TRACE = process.env.BENCH_TRACE === '1'

const KAMHUB = 'kamhub'
const GRAPHILE_BATCHED = 'graphile, local queue 50'
const FLOOR = 'floor: NOTIFY only'
// "batch×loops" of the dispatcher; more than one runs the others side by side (tuning under the same noise).
// 500×4 drained fastest of 200×2–3, 500×2–4, 100×4 and 1000×2 side by side, with no worse latency at 500/s; later
// 25.4k/s against 22.1k at 500×6, 21.4k at 200×4 and 18.5k at the server's default 100×2 (BENCH_KAMHUB=500x4,100x2,…).
const [kamhubConfig, ...kamhubVariants] = (process.env.BENCH_KAMHUB ?? '500x4').split(',').map((v) => {
  const [batchSize, loops] = v.replace(/-nopush$/, '').split(/[x×]/).map(Number)
  return { kind: 'kamhub' as const, batchSize: batchSize!, loops: loops!, push: !v.endsWith('-nopush') }
})
const ALL_SYSTEMS: System[] = [
  { name: KAMHUB, config: kamhubConfig! },
  ...kamhubVariants.map((config) => ({ name: `${KAMHUB} ${config.batchSize}×${config.loops}${config.push ? '' : ' no push'}`, config })),
  { name: GRAPHILE_BATCHED, config: { kind: 'graphile', concurrency: 10, localQueueSize: 50, completeJobBatchDelay: 0 } },
  { name: 'graphile, concurrency 10', config: { kind: 'graphile', concurrency: 10 } },
  { name: FLOOR, config: { kind: 'floor' } },
]
// Another checkout's dispatcher as one more system, in the same run: before/after comparisons under the same noise.
const BASELINE = process.env.BENCH_BASELINE
if (BASELINE) ALL_SYSTEMS.splice(1 + kamhubVariants.length, 0, { ...ALL_SYSTEMS[0]!, name: `${KAMHUB} @ baseline`, root: resolve(BASELINE) })
const only = process.env.BENCH_SYSTEMS?.split(',').map((s) => s.trim())
const SYSTEMS = only ? ALL_SYSTEMS.filter((s) => only.some((o) => s.name.startsWith(o))) : ALL_SYSTEMS

type ScenarioName = 'idle' | 'paced' | 'burst' | 'drain'
const ALL_SCENARIOS: ScenarioName[] = ['idle', 'paced', 'burst', 'drain']
const onlyScenarios = process.env.BENCH_SCENARIOS?.split(',').map((s) => s.trim())
const SCENARIOS = onlyScenarios ? ALL_SCENARIOS.filter((s) => onlyScenarios.includes(s)) : ALL_SCENARIOS

interface Result {
  count: number
  p50: number
  p99: number
  /** burst: events committed per second; paced: the rate achieved; drain: events handled per second. */
  rate?: number
  tailMs?: number
  /** The consumer process's CPU time per measured event (its database sessions' not included). */
  cpuUsPerEvent?: number
  /** Committed events whose handler had not run when the consumer stopped (see timedOut). */
  lost: number
  /** BENCH_TRACE: the latency split into stages (events-trace.ts). */
  trace?: string[]
  /** The consumer was still working when the wait ran out: `lost` counts late events, not necessarily lost ones. */
  timedOut: boolean
  duplicated: number
}

interface Run {
  system: System
  dbName: string
  url: string
  producer: Producer
  /** Commit-acknowledged time of event n. */
  acks: Map<number, number>
  /** When event n's transaction began (BENCH_TRACE: the commit stage). */
  begins: Map<number, number>
  next: number
  results: Partial<Record<ScenarioName, Result>>
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]! : NaN
}

// ---- consumer child ------------------------------------------------------------------------------------------

interface Reached {
  distinct: number
  firstStartMs: number
  doneMs: number
  /** The consumer process's CPU time so far. */
  cpuMs: number
}
interface Records {
  ns: Float64Array
  startsMs: Float64Array
  calls: Uint32Array
  trace?: ConsumerTrace
}

interface ConsumerChild {
  wait(count: number): Promise<Reached>
  collect(): Promise<Records>
}

const children = new Set<ChildProcess>()

async function startConsumer(run: Run): Promise<ConsumerChild> {
  const child = fork(run.system.root ? join(run.system.root, 'bench/events-consumer.ts') : new URL('./events-consumer.ts', import.meta.url), [], {
    ...(run.system.root ? { cwd: run.system.root } : {}),
    env: { PATH: process.env.PATH ?? '', BENCH_DB_URL: run.url, BENCH_CONFIG: JSON.stringify(run.system.config), BENCH_TRACE: TRACE ? '1' : '' },
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_CONSUMER_FLAGS?.split(/\s+/).filter(Boolean) ?? [])],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  children.add(child)
  child.once('exit', () => children.delete(child))
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return
        child.off('exit', onExit)
        child.off('message', onMessage)
        resolve(m as T)
      }
      const onExit = (code: number | null) => reject(new Error(`${run.system.name} consumer exited (${code}) before "${type}"`))
      child.on('message', onMessage)
      child.once('exit', onExit)
    })
  await next('ready')
  return {
    wait(count) {
      child.send({ type: 'wait', count, timeoutMs: WAIT_MS })
      return next<Reached>('reached')
    },
    async collect() {
      const exited = new Promise((r) => child.once('exit', r))
      child.send({ type: 'collect' })
      const records = await next<Records>('records')
      await exited
      return records
    },
  }
}

// ---- producers -------------------------------------------------------------------------------------------------

async function commitOne(run: Run): Promise<number> {
  const n = run.next++
  if (TRACE) run.begins.set(n, nowMs())
  await run.producer.commit(n)
  run.acks.set(n, nowMs())
  return n
}

async function produceIdle(run: Run) {
  for (let i = 0; i < SIZES.idle; i++) {
    await commitOne(run)
    await sleep(5 + Math.random() * 5)
  }
  return {}
}

/** Open loop: event i is sent at t0 + i/RATE whether or not the previous ones have committed. */
async function producePaced(run: Run, seconds = SIZES.pacedSeconds) {
  const total = RATE * seconds
  const interval = 1000 / RATE
  const inFlight: Promise<number>[] = []
  const t0 = nowMs() + 5
  for (let i = 0; i < total; ) {
    const now = nowMs()
    while (i < total && t0 + i * interval <= now) {
      inFlight.push(commitOne(run))
      i++
    }
    if (i < total) await sleep(Math.max(0, t0 + i * interval - nowMs()))
  }
  await Promise.all(inFlight)
  return { rate: total / ((nowMs() - t0) / 1000) }
}

async function produceBurst(run: Run) {
  const started = nowMs()
  const deadline = started + SIZES.burstSeconds * 1000
  let count = 0
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (nowMs() < deadline) {
        await commitOne(run)
        count++
      }
    }),
  )
  return { rate: count / ((nowMs() - started) / 1000) }
}

/** The backlog is not timed: transactions of many events, a few writers. */
async function produceBacklog(run: Run) {
  const from = run.next
  const share = Math.ceil(SIZES.backlog / BACKLOG_WRITERS)
  await Promise.all(
    Array.from({ length: BACKLOG_WRITERS }, (_, w) => {
      const start = from + w * share
      return run.producer.commitMany(start, Math.max(0, Math.min(share, from + SIZES.backlog - start)), BACKLOG_PER_TX)
    }),
  )
  run.next = from + SIZES.backlog
}

// ---- one scenario on one system --------------------------------------------------------------------------------

async function runScenario(run: Run, scenario: ScenarioName): Promise<Result> {
  await run.producer.vacuum()
  const first = run.next
  let from = first
  let cpuBefore: number | undefined
  let extra: { rate?: number } = {}
  let consumer: ConsumerChild
  if (scenario === 'drain') {
    await produceBacklog(run)
    await run.producer.vacuum()
    consumer = await startConsumer(run)
  } else {
    consumer = await startConsumer(run)
    if (WARMUP_SECONDS > 0) {
      await producePaced(run, WARMUP_SECONDS)
      cpuBefore = (await consumer.wait(run.next - first)).cpuMs
      from = run.next
    }
    extra = await (scenario === 'idle' ? produceIdle(run) : scenario === 'paced' ? producePaced(run) : produceBurst(run))
  }
  const count = run.next - from
  // The consumer counts the warm-up's events too.
  const reached = await consumer.wait(run.next - first)
  const records = await consumer.collect()

  const starts = new Map<number, number>()
  let duplicated = 0
  records.ns.forEach((n, i) => {
    starts.set(n, records.startsMs[i]!)
    duplicated += records.calls[i]! - 1
  })
  let lost = 0
  const latencies: number[] = []
  let lastAck = 0
  let lastStart = 0
  for (let n = from; n < run.next; n++) {
    const start = starts.get(n)
    if (start === undefined) {
      lost++
      continue
    }
    lastStart = Math.max(lastStart, start)
    const ack = run.acks.get(n)
    if (ack !== undefined) {
      latencies.push(start - ack)
      lastAck = Math.max(lastAck, ack)
    }
  }
  const sorted = Float64Array.from(latencies).sort()
  const timedOut = reached.distinct < run.next - first
  const result: Result = { count, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), lost, duplicated, timedOut, ...extra }
  // A drain cut short by the wait is still a rate: what was handled, over the time it took.
  if (scenario === 'drain') result.rate = reached.distinct / ((reached.doneMs - reached.firstStartMs) / 1000)
  if (scenario === 'burst') result.tailMs = lastStart - lastAck
  if (cpuBefore !== undefined) result.cpuUsPerEvent = ((reached.cpuMs - cpuBefore) * 1000) / count
  if (records.trace && scenario !== 'drain') {
    const events: TracedEvent[] = []
    for (let n = from; n < run.next; n++) {
      const [beginMs, ackMs, startMs] = [run.begins.get(n), run.acks.get(n), starts.get(n)]
      if (beginMs !== undefined && ackMs !== undefined && startMs !== undefined) events.push({ n, beginMs, ackMs, startMs })
    }
    result.trace = describeTrace(`${scenario} ${run.system.name}`, events, records.trace, scenario === 'burst' ? 5 : 3)
  }
  return result
}

// ---- report ----------------------------------------------------------------------------------------------------

const load = () => loadavg().map((l) => l.toFixed(1)).join(' / ')
const ms = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(2))
const micros = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(0))
const perSecond = (v: number | undefined) => (v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)}k` : v.toFixed(0))

function printTable(runs: Run[]) {
  const header = ['system', 'idle p50/p99 ms', `paced ${RATE}/s p50/p99 ms (achieved)`, `burst ${PRODUCERS}p ev/s`, 'burst p50/p99 ms', 'burst tail ms', 'consumer CPU µs/event paced / burst', `drain ${SIZES.backlog} ev/s`, 'lost/dup']
  const rows = runs.map(({ system, results: r }) => {
    const all = SCENARIOS.map((s) => r[s]).filter((x): x is Result => Boolean(x))
    return [
      system.name,
      `${ms(r.idle?.p50)} / ${ms(r.idle?.p99)}`,
      `${ms(r.paced?.p50)} / ${ms(r.paced?.p99)} (${perSecond(r.paced?.rate)}/s)`,
      perSecond(r.burst?.rate),
      `${ms(r.burst?.p50)} / ${ms(r.burst?.p99)}`,
      ms(r.burst?.tailMs),
      `${micros(r.paced?.cpuUsPerEvent)} / ${micros(r.burst?.cpuUsPerEvent)}`,
      perSecond(r.drain?.rate),
      `${all.reduce((a, x) => a + x.lost, 0)}${all.some((x) => x.timedOut) ? '*' : ''} / ${all.reduce((a, x) => a + x.duplicated, 0)}`,
    ]
  })
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  console.log(line(header))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const row of rows) console.log(line(row))
  if (runs.some((r) => Object.values(r.results).some((x) => x.timedOut))) {
    console.log(`* not handled within the ${WAIT_MS / 1000} s wait: too slow to finish, not necessarily lost`)
  }
}

function printVerdicts(runs: Run[]) {
  const kamhub = runs.find((r) => r.system.name === KAMHUB)?.results
  if (!kamhub) return
  const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL')
  console.log('')
  for (const other of runs.filter((r) => r.system.name !== KAMHUB && r.system.config.kind !== 'floor')) {
    if (kamhub.drain?.rate && other.results.drain?.rate) {
      console.log(`drain ratio kamhub / ${other.system.name}: ${(kamhub.drain.rate / other.results.drain.rate).toFixed(2)}×`)
    }
  }
  const batched = runs.find((r) => r.system.name === GRAPHILE_BATCHED)?.results.drain?.rate
  if (kamhub.drain?.rate && batched) {
    const note = QUICK ? '; BENCH_QUICK: a backlog this small is over in a few batches, too short to judge' : ''
    console.log(`${verdict(kamhub.drain.rate >= 1.5 * batched)}  drain ≥ 1.5× graphile-worker batched (${(kamhub.drain.rate / batched).toFixed(2)}×${note})`)
  }
  // A target below what a bare NOTIFY takes on this machine at that moment is out of any queue's reach.
  const floor = runs.find((r) => r.system.config.kind === 'floor')?.results
  const floorNote = (r: Result | undefined) => (r ? `; the NOTIFY floor: p99 ${ms(r.p99)} ms` : '')
  if (kamhub.paced) console.log(`${verdict(kamhub.paced.p99 <= 3)}  p99 ≤ 3 ms at ${RATE}/s (${ms(kamhub.paced.p99)} ms${floorNote(floor?.paced)})`)
  if (kamhub.burst) {
    const keepsUp = (kamhub.burst.tailMs ?? Infinity) <= 10 && !kamhub.burst.timedOut && kamhub.burst.lost === 0
    console.log(
      `${verdict(keepsUp && kamhub.burst.p99 <= 5)}  burst keeps up (tail ${ms(kamhub.burst.tailMs)} ms ≤ 10) with p99 ≤ 5 ms (${ms(kamhub.burst.p99)} ms${floorNote(floor?.burst)})`,
    )
  }
  const all = SCENARIOS.map((s) => kamhub[s]).filter((x): x is Result => Boolean(x))
  const lost = all.reduce((a, x) => a + x.lost, 0)
  const duplicated = all.reduce((a, x) => a + x.duplicated, 0)
  console.log(`${verdict(lost === 0 && duplicated === 0)}  zero lost (${lost}), zero duplicated (${duplicated}) in every scenario (${all.map((x) => x.count).reduce((a, b) => a + b, 0)} events)`)
}

/** The drain of median rate, with every round's events, losses and duplicates counted. */
function medianDrain(results: Result[]): Result {
  const median = [...results].sort((a, b) => (a.rate ?? 0) - (b.rate ?? 0))[Math.floor(results.length / 2)]!
  const sum = (pick: (r: Result) => number) => results.reduce((a, r) => a + pick(r), 0)
  return { ...median, count: sum((r) => r.count), lost: sum((r) => r.lost), duplicated: sum((r) => r.duplicated), timedOut: results.some((r) => r.timedOut) }
}

// ---- main ------------------------------------------------------------------------------------------------------

const runs: Run[] = []
const stamp = `${Date.now().toString(36)}_${process.pid}`
let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true
    console.error(`${signal}: stopping after this scenario, then dropping the databases`)
  })
}

try {
  console.log(`bench:events — ${QUICK ? 'QUICK sizes' : 'full sizes'}, idle ${SIZES.idle} events, paced ${RATE}/s × ${SIZES.pacedSeconds} s, burst ${PRODUCERS} producers × ${SIZES.burstSeconds} s, drain ${SIZES.backlog} (median of ${DRAIN_ROUNDS}); each live scenario after a ${WARMUP_SECONDS} s warm-up at ${RATE}/s that is not measured (BENCH_WARMUP_SECONDS)`)
  console.log(`  ${cpus().length} CPUs, load average ${load()} (the figures below are only as quiet as the machine)`)
  for (const system of SYSTEMS) {
    const dbName = `bench_events_${system.config.kind}_${runs.length}_${stamp}`
    const url = await createDatabase(ADMIN_URL, dbName)
    runs.push({ system, dbName, url, producer: await openProducer(url, system.config, PRODUCERS), acks: new Map(), begins: new Map(), next: 1, results: {} })
    console.log(`  ${system.name}: ${describeConfig(system.config)}`)
  }
  // Each scenario runs on every system before the next scenario, the order rotating, so drift hits all of them.
  const drains = new Map<Run, Result[]>()
  let turn = 0
  for (const scenario of SCENARIOS) {
    for (let round = 0; round < (scenario === 'drain' ? DRAIN_ROUNDS : 1); round++, turn++) {
      for (let j = 0; j < runs.length && !interrupted; j++) {
        const run = runs[(turn + j) % runs.length]!
        if (scenario === 'drain' && run.system.config.kind === 'floor') continue
        const started = nowMs()
        const r = await runScenario(run, scenario)
        run.acks.clear()
        run.begins.clear()
        if (scenario === 'drain') drains.set(run, [...(drains.get(run) ?? []), r])
        else run.results[scenario] = r
        console.log(`  ${scenario.padEnd(5)} ${run.system.name.padEnd(26)} n=${r.count} p50 ${ms(r.p50)} p99 ${ms(r.p99)}${r.rate ? ` ${perSecond(r.rate)}/s` : ''} lost ${r.lost}${r.timedOut ? ' (timed out)' : ''} dup ${r.duplicated} (${((nowMs() - started) / 1000).toFixed(1)} s)`)
      }
    }
  }
  for (const [run, results] of drains) run.results.drain = medianDrain(results)
  console.log(`  load average ${load()}\n`)
  printTable(runs)
  printVerdicts(runs)
  const traces = runs.flatMap((r) => SCENARIOS.flatMap((s) => r.results[s]?.trace ?? []))
  if (traces.length) console.log(`\nBENCH_TRACE: where the latency went (events-trace.ts)\n${traces.join('\n')}`)
} finally {
  for (const child of children) child.kill('SIGKILL')
  for (const run of runs) {
    await run.producer.close().catch(() => {})
    await dropDatabase(ADMIN_URL, run.dbName).catch((error) => console.error(`could not drop ${run.dbName}: ${(error as Error).message}`))
  }
}
