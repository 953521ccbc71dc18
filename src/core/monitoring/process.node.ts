/**
 * Node (and Deno's Node compatibility) process metrics: resident memory, V8 heap, and event-loop delay — the
 * figure that shows a blocked loop before latency does. Registered by the server runtime, never by domain code.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks'
import process from 'node:process'
import type { MetricsRegistry } from './metrics.ts'

export function registerNodeProcessMetrics(metrics: MetricsRegistry): () => void {
  const rss = metrics.gauge('process_resident_memory_bytes', 'Resident memory size in bytes')
  const heapUsed = metrics.gauge('nodejs_heap_used_bytes', 'V8 heap in use in bytes')
  const heapTotal = metrics.gauge('nodejs_heap_total_bytes', 'V8 heap allocated in bytes')
  rss.collect(() => rss.set(process.memoryUsage.rss()))
  heapUsed.collect(() => heapUsed.set(process.memoryUsage().heapUsed))
  heapTotal.collect(() => heapTotal.set(process.memoryUsage().heapTotal))

  let loop: IntervalHistogram | undefined
  try {
    loop = monitorEventLoopDelay({ resolution: 20 })
    loop.enable()
  } catch {
    // Not every Node-compatible runtime implements it; the other figures still work.
    loop = undefined
  }
  if (loop) {
    const delay = metrics.gauge('nodejs_eventloop_delay_seconds', 'Event-loop delay since the previous scrape, by quantile')
    const sampled = loop
    delay.collect(() => {
      for (const q of [50, 99]) delay.set(sampled.percentile(q) / 1e9, { quantile: q / 100 })
      delay.set(sampled.max / 1e9, { quantile: 1 })
      sampled.reset()
    })
  }
  return () => loop?.disable()
}
