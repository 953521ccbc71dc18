/**
 * Benchmark children: how long the server's own event loop stood still during a paced round, asked for over IPC.
 *
 * A paced round's latency tail can come from the server (a collection, a PGlite query, a long task on its thread) or
 * from outside it (the client's own pauses, the kernel, the VM). A 1 ms timer that fires late by N ms says the server's
 * thread could not run for N ms, so a tail far longer than the longest gap did not come from this event loop. The
 * monitor runs only between `start` and `stop`: its timer costs a wake-up a millisecond, paid by bare and full alike.
 *
 * Protocol: { type: 'loop-stalls', action: 'start' } → { type: 'loop-stalls', started: true };
 *           { type: 'loop-stalls', action: 'stop' } → { type: 'loop-stalls', maxMs }.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'

export interface LoopStalls {
  /** The longest gap between the timer's turns, in ms (1 ms of it is the timer's own period). */
  maxMs: number
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

export function answerLoopStallRequests(): void {
  let stop: (() => number) | undefined
  process.on('message', (m: { type?: string; action?: string }) => {
    if (m.type !== 'loop-stalls') return
    if (m.action === 'start') {
      stop?.()
      stop = watchLoopGaps()
      process.send!({ type: 'loop-stalls', started: true })
    } else if (m.action === 'stop' && stop) {
      process.send!({ type: 'loop-stalls', maxMs: stop() })
      stop = undefined
    }
  })
}
