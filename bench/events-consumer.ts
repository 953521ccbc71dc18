/**
 * The consumer side of `npm run bench:events`, one child process per system and scenario so the consumer's event
 * loop never waits behind the producers'. It starts the KamHub dispatcher, a graphile-worker runner or a bare
 * LISTEN (the floor) on BENCH_DB_URL with BENCH_CONFIG, then records, per event number `n`, when its handler first
 * started and how many times it ran. The parent asks over IPC:
 *   { type: 'wait', count, timeoutMs } → { type: 'reached', distinct, firstStartMs, doneMs, cpuMs } once `count` distinct
 *     events ran and the store shows nothing left unfinished (outcomes recorded), or at the timeout
 *   { type: 'collect' } → { type: 'records', ns, startsMs, calls, trace? } (typed arrays), then it stops and exits
 * With BENCH_TRACE=1 the KamHub consumer also records NOTIFY arrivals, claim round trips and GC pauses (events-trace.ts).
 */
import { sql } from 'drizzle-orm'
import { run } from 'graphile-worker'
import postgres from 'postgres'
import { postgresDatabase } from '../src/core/db/postgres.ts'
import { createLogger } from '../src/core/monitoring/logger.ts'
import { MetricsRegistry } from '../src/core/monitoring/metrics.ts'
import { createDispatcher } from '../src/events/dispatcher.ts'
import { benchSubscription, FLOOR_CHANNEL, nowMs, quietGraphileLogger, type GraphileConfig, type KamhubConfig, type System } from './events-systems.ts'
import { TraceRecorder } from './events-trace.ts'

type Request = { type: 'wait'; count: number; timeoutMs: number } | { type: 'collect' }

const url = process.env.BENCH_DB_URL!
const config = JSON.parse(process.env.BENCH_CONFIG!) as System['config']

const tracer = config.kind === 'kamhub' && process.env.BENCH_TRACE === '1' ? new TraceRecorder() : undefined
const starts = new Map<number, number>()
const calls = new Map<number, number>()
let firstStartMs = 0
let onHandled: (() => void) | undefined

function record(n: number) {
  const t = nowMs()
  if (!firstStartMs) firstStartMs = t
  const seen = calls.get(n) ?? 0
  if (!seen) starts.set(n, t)
  calls.set(n, seen + 1)
  onHandled?.()
}

interface Consumer {
  unfinished(): Promise<number>
  stop(): Promise<void>
}

async function startKamhub({ batchSize, loops, push }: KamhubConfig): Promise<Consumer> {
  const db = postgresDatabase({ url, max: loops + 2, applicationName: 'bench-dispatcher', observe: tracer?.observeQuery })
  const metrics = new MetricsRegistry()
  const dispatcher = createDispatcher({
    db: tracer ? tracer.wrapListen(db) : db,
    subscriptions: [benchSubscription(async (event) => record(Number((event.data as { bookingId: string }).bookingId)))],
    logger: createLogger({ level: 'silent' }),
    metrics,
    batchSize,
    loops,
    push,
  })
  await dispatcher.start()
  return {
    unfinished: async () =>
      Number(((await db.orm.execute(sql`select count(*)::int as n from event_deliveries where status = 'pending'`)) as unknown as Array<{ n: number }>)[0]!.n),
    async stop() {
      await dispatcher.stop()
      await db.close()
      // Informational, on the log: how many claims this scenario cost (warm-up included), and how many found nothing.
      const claims = metrics.counter('events_claims_total', '')
      const [claimed, empty] = [claims.get({ result: 'claimed' }), claims.get({ result: 'empty' })]
      process.stderr.write(`  kamhub claims: ${claimed + empty} for ${calls.size} events, ${empty} empty (${Math.round((100 * empty) / Math.max(1, claimed + empty))}%)\n`)
    },
  }
}

async function startGraphile({ concurrency, localQueueSize, completeJobBatchDelay }: GraphileConfig): Promise<Consumer> {
  const runner = await run({
    connectionString: url,
    concurrency,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: quietGraphileLogger(),
    taskList: { bench: async (payload) => record((payload as { n: number }).n) },
    ...(localQueueSize
      ? { preset: { worker: { localQueue: { size: localQueueSize }, completeJobBatchDelay, failJobBatchDelay: completeJobBatchDelay } } }
      : {}),
  })
  const pg = postgres(url, { max: 1, fetch_types: false, onnotice: () => {} })
  return {
    unfinished: async () => Number((await pg`select count(*)::int as n from graphile_worker.jobs`)[0]!.n),
    async stop() {
      await runner.stop()
      await pg.end({ timeout: 5 })
    },
  }
}

async function startFloor(): Promise<Consumer> {
  const pg = postgres(url, { max: 1, fetch_types: false, onnotice: () => {} })
  await pg.listen(FLOOR_CHANNEL, (payload) => record(Number(payload)))
  return { unfinished: async () => 0, stop: () => pg.end({ timeout: 5 }) }
}

/** Resolves once `count` distinct events ran and nothing is left unfinished in the store (or at the deadline). */
async function waitFor(consumer: Consumer, count: number, timeoutMs: number) {
  const deadline = nowMs() + timeoutMs
  while (calls.size < count && nowMs() < deadline) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 50)
      onHandled = () => {
        if (calls.size >= count) {
          clearTimeout(timer)
          resolve()
        }
      }
    })
  }
  onHandled = undefined
  // Handlers ran; the run is done when their outcomes are recorded (KamHub: the batch's update; graphile: the
  // completion, batched or not). Polled every few ms, only now, so the poll does not load the run itself.
  while ((await consumer.unfinished()) > 0 && nowMs() < deadline) await new Promise((r) => setTimeout(r, 2))
  // The process's CPU time so far (user + system): the parent takes differences, per event.
  const cpu = process.cpuUsage()
  return { type: 'reached', distinct: calls.size, firstStartMs, doneMs: nowMs(), cpuMs: (cpu.user + cpu.system) / 1000 }
}

const consumer = config.kind === 'kamhub' ? await startKamhub(config) : config.kind === 'graphile' ? await startGraphile(config) : await startFloor()
process.on('message', async (request: Request) => {
  if (request.type === 'wait') {
    process.send!(await waitFor(consumer, request.count, request.timeoutMs))
    return
  }
  // Stop first: a late duplicate (a second claim of one delivery) would still show up in `calls`.
  await consumer.stop()
  const ns = Float64Array.from(starts.keys())
  const records = { type: 'records', ns, startsMs: Float64Array.from(ns, (n) => starts.get(n)!), calls: Uint32Array.from(ns, (n) => calls.get(n)!), trace: tracer?.finish() }
  process.send!(records, () => process.exit(0))
})
process.send!({ type: 'ready' })
