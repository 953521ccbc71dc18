/**
 * Process metrics every runtime can give with web standards only: uptime and start time, read at scrape time.
 * Memory and event-loop figures need runtime APIs and are added by the runtime entry (process.node.ts on Node/Deno).
 */
import type { MetricsRegistry } from './metrics.ts'

const registered = new WeakSet<MetricsRegistry>()

export function registerProcessMetrics(metrics: MetricsRegistry): void {
  // createApp may run more than once over one registry (tests, the Worker per isolate): one set of collectors.
  if (registered.has(metrics)) return
  registered.add(metrics)
  const uptime = metrics.gauge('process_uptime_seconds', 'Seconds since the process (on Workers: the isolate) started')
  const startTime = metrics.gauge('process_start_time_seconds', 'Start time of the process since the Unix epoch in seconds')
  // performance.timeOrigin is the process start on Node and Deno; both are read lazily so tracking costs nothing.
  uptime.collect(() => uptime.set(Math.round(performance.now()) / 1000))
  startTime.collect(() => startTime.set(Math.round(performance.timeOrigin) / 1000))
}
