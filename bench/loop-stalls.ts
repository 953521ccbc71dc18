/**
 * Benchmark children: how long the server's own event loop stood still during a paced round, asked for over IPC.
 *
 * A paced round's latency tail can come from the server (a collection, a PGlite query, a long task on its thread) or
 * from outside it (the client's own pauses, the kernel, the VM). A 1 ms timer that fires late by N ms says the server's
 * thread could not run for N ms, so a tail far longer than the longest gap did not come from this event loop. The
 * monitor runs only between `start` and `stop`: its timer costs a wake-up a millisecond, paid by bare and full alike.
 *
 * The same watch samples the threads' scheduling (bench/sched-sampler.ts), reported for the span the caller names.
 *
 * Protocol: { type: 'loop-stalls', action: 'start', clientPid? } → { type: 'loop-stalls', started: true };
 *           { type: 'loop-stalls', action: 'stop', span? } → { type: 'loop-stalls', maxMs, slowest? }.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import { sampleScheduling, type SlowestWindow, type Span } from './sched-sampler.ts'

export interface LoopStalls {
  /** The longest gap between the timer's turns, in ms (1 ms of it is the timer's own period). */
  maxMs: number
  /** The 50 ms of the span that took fewest requests, and what the threads did (bench/sched-sampler.ts). */
  slowest?: SlowestWindow
}

/** Watches this process's event loop with a 1 ms timer from now; the returned stop answers the longest gap in ms. */
export function watchLoopGaps(): () => number {
  const monitor: IntervalHistogram = monitorEventLoopDelay({ resolution: 1 })
  monitor.enable()
  return () => {
    monitor.disable()
    return monitor.max / 1e6
  }
}

/** `statements`: how many database statements this server has run so far (the full app; bare runs none). */
export function answerLoopStallRequests(statements?: () => number): void {
  let stop: ((span?: Span) => LoopStalls) | undefined
  process.on('message', (m: { type?: string; action?: string; span?: Span; clientPid?: number }) => {
    if (m.type !== 'loop-stalls') return
    if (m.action === 'start') {
      stop?.()
      const stopGaps = watchLoopGaps()
      const stopSampling = sampleScheduling({ clientPid: m.clientPid, statements })
      stop = (span) => ({ maxMs: stopGaps(), slowest: stopSampling(span) })
      process.send!({ type: 'loop-stalls', started: true })
    } else if (m.action === 'stop' && stop) {
      process.send!({ type: 'loop-stalls', ...stop(m.span) })
      stop = undefined
    }
  })
}
