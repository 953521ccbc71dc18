/**
 * BENCH_TRACE=1 for `npm run bench:events`: where KamHub's commit → handler latency goes, stage by stage, in the
 * idle, paced and burst scenarios. Nothing in the dispatcher is changed for it: the consumer wraps the database it
 * hands the dispatcher (the LISTEN callback and the driver's query observer) and watches its own GC pauses.
 *
 * For each event, with its handler start h: a pushed event's stages are the NOTIFY that carried it (arrival P):
 * notify P − ack and dispatch h − P, no wake and no claim. For a claimed one, the claim that returned it is the last
 * claim to end before h (end E, start S), and the wake-up that led to that claim the last NOTIFY the consumer
 * received before S (K). Then
 *   notify    K − ack   NOTIFY reaching the consumer, after the producer saw its commit acknowledged (negative:
 *                       before; a late one is the listening backend or the consumer waiting for a CPU, or a GC)
 *   wake      S − K     from the NOTIFY to the claim being sent (long when every claim loop was busy)
 *   claim     E − S     the claim's round trip: PostgreSQL running it, both processes scheduled, any GC meanwhile
 *   dispatch  h − E     from the claim's answer to the handler
 *   commit    ack − begin   the producer's own transaction (informational: the benchmark's business transaction)
 * and the consumer's GC pauses that overlapped ack → h (a pause lengthens whichever stage it falls in). Events over
 * the target are counted by their longest stage, and those a GC pause overlapped.
 */
import type { PerformanceEntry } from 'node:perf_hooks'
import { PerformanceObserver } from 'node:perf_hooks'
import type { Database } from '../src/core/db/index.ts'
import type { QueryObserver } from '../src/core/db/instrument.ts'
import { parsePushNotice } from '../src/events/push.ts'
import { nowMs } from './events-systems.ts'

export interface ConsumerTrace {
  kicksMs: Float64Array
  claimStartsMs: Float64Array
  claimEndsMs: Float64Array
  gcStartsMs: Float64Array
  gcDurationsMs: Float64Array
  /** Pushed events (PushNotice): the event number and when its NOTIFY arrived. */
  pushNs: Float64Array
  pushMs: Float64Array
}

/** Consumer side: records NOTIFY arrivals, claim round trips and GC pauses on the benchmark's monotonic clock. */
export class TraceRecorder {
  private kicks: number[] = []
  private claimStarts: number[] = []
  private claimEnds: number[] = []
  private gcStarts: number[] = []
  private gcDurations: number[] = []
  private pushNs: number[] = []
  private pushMs: number[] = []
  // performance.now() and process.hrtime are both monotonic: one offset converts the first to the second (read a
  // few times first: the first call of each is slow enough, cold, to skew the offset by tens of µs).
  private readonly perfOffset = clockOffset()
  private readonly gc: PerformanceObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries() as PerformanceEntry[]) {
      this.gcStarts.push(entry.startTime + this.perfOffset)
      this.gcDurations.push(entry.duration)
    }
  })

  constructor() {
    this.gc.observe({ entryTypes: ['gc'] })
  }

  /** The driver's query observer: claim statements (with or without carried outcomes) are timed. */
  readonly observeQuery: QueryObserver = (text, startedAt) => {
    if (!text.startsWith('with due as') && !text.startsWith('with recorded as')) return
    // The statement's duration on performance.now()'s clock, placed before its end on the benchmark's clock.
    const end = nowMs()
    this.claimStarts.push(end - (performance.now() - startedAt))
    this.claimEnds.push(end)
  }

  /** The same database, with each NOTIFY's arrival recorded before the dispatcher sees it. */
  wrapListen(db: Database): Database {
    const listen = db.listen.bind(db)
    return {
      ...db,
      listen: (channel, onPayload, options) =>
        listen(
          channel,
          (payload) => {
            const at = nowMs()
            this.kicks.push(at)
            const notice = parsePushNotice(payload)
            if (notice) {
              this.pushNs.push(Number((notice.e.data as { bookingId: string }).bookingId))
              this.pushMs.push(at)
            }
            onPayload(payload)
          },
          options,
        ),
    }
  }

  finish(): ConsumerTrace {
    this.gc.disconnect()
    return {
      kicksMs: Float64Array.from(this.kicks),
      claimStartsMs: Float64Array.from(this.claimStarts),
      claimEndsMs: Float64Array.from(this.claimEnds),
      gcStartsMs: Float64Array.from(this.gcStarts),
      gcDurationsMs: Float64Array.from(this.gcDurations),
      pushNs: Float64Array.from(this.pushNs),
      pushMs: Float64Array.from(this.pushMs),
    }
  }
}

export interface TracedEvent {
  n: number
  beginMs: number
  ackMs: number
  startMs: number
}

const STAGES = ['notify', 'wake', 'claim', 'dispatch'] as const

/** Lines for the report: each stage's p50/p99, the GC pauses, and what the events over `targetMs` waited on. */
export function describeTrace(label: string, events: TracedEvent[], trace: ConsumerTrace, targetMs: number): string[] {
  const claimOrder = [...trace.claimEndsMs.keys()].sort((a, b) => trace.claimEndsMs[a]! - trace.claimEndsMs[b]!)
  const ends = Float64Array.from(claimOrder, (i) => trace.claimEndsMs[i]!)
  const starts = Float64Array.from(claimOrder, (i) => trace.claimStartsMs[i]!)
  const stages: Record<(typeof STAGES)[number] | 'commit', number[]> = { notify: [], wake: [], claim: [], dispatch: [], commit: [] }
  const slowest: Record<(typeof STAGES)[number], number> = { notify: 0, wake: 0, claim: 0, dispatch: 0 }
  const pushedAt = new Map<number, number>()
  trace.pushNs.forEach((n, i) => pushedAt.set(n, trace.pushMs[i]!))
  let over = 0
  let overDuringGc = 0
  let pushed = 0
  for (const e of events) {
    let parts: Record<(typeof STAGES)[number], number>
    const push = pushedAt.get(e.n)
    if (push !== undefined && push <= e.startMs) {
      pushed++
      parts = { notify: push - e.ackMs, wake: 0, claim: 0, dispatch: e.startMs - push }
    } else {
      const c = lastAtOrBefore(ends, e.startMs)
      if (c < 0) continue
      const k = lastAtOrBefore(trace.kicksMs, starts[c]!)
      const kick = k < 0 ? starts[c]! : trace.kicksMs[k]!
      parts = { notify: kick - e.ackMs, wake: starts[c]! - kick, claim: ends[c]! - starts[c]!, dispatch: e.startMs - ends[c]! }
    }
    for (const s of STAGES) stages[s].push(parts[s])
    stages.commit.push(e.ackMs - e.beginMs)
    if (e.startMs - e.ackMs > targetMs) {
      over++
      slowest[STAGES.reduce((a, s) => (parts[s] > parts[a] ? s : a), STAGES[0])]++
      if (gcOverlap(trace, e.ackMs, e.startMs) > 0) overDuringGc++
    }
  }
  const pct = (values: number[], q: number) => {
    const sorted = Float64Array.from(values).sort()
    return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!.toFixed(2) : '—'
  }
  const pauses = [...trace.gcDurationsMs]
  return [
    `${label}: ${pushed} of ${events.length} events pushed (the rest claimed); stage p50 / p99 ms — ${[...STAGES, 'commit' as const].map((s) => `${s} ${pct(stages[s], 0.5)} / ${pct(stages[s], 0.99)}`).join(', ')}`,
    `  consumer GC pauses (its warm-up included): ${pauses.length}, ${pauses.reduce((a, b) => a + b, 0).toFixed(1)} ms in all, longest ${Math.max(0, ...pauses).toFixed(1)} ms`,
    `  ${over} events over ${targetMs} ms; their longest stage: ${STAGES.map((s) => `${s} ${slowest[s]}`).join(', ')}; ${overDuringGc} of them waited through a consumer GC pause`,
  ]
}

function clockOffset(): number {
  let offset = 0
  for (let i = 0; i < 5; i++) offset = nowMs() - performance.now()
  return offset
}

/** Index of the last value ≤ t in ascending `sorted`, or -1. */
function lastAtOrBefore(sorted: Float64Array, t: number): number {
  let lo = 0
  let hi = sorted.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid]! <= t) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

function gcOverlap(trace: ConsumerTrace, from: number, to: number): number {
  let total = 0
  for (let i = 0; i < trace.gcStartsMs.length; i++) {
    const start = trace.gcStartsMs[i]!
    const end = start + trace.gcDurationsMs[i]!
    total += Math.max(0, Math.min(end, to) - Math.max(start, from))
  }
  return total
}
