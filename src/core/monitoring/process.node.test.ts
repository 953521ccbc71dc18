import { expect, it } from 'vitest'
import { MetricsRegistry } from './metrics.ts'
import { registerNodeProcessMetrics } from './process.node.ts'

it('adds resident memory, heap and event-loop delay to the scrape on Node', () => {
  const metrics = new MetricsRegistry()
  const stop = registerNodeProcessMetrics(metrics)
  try {
    const text = metrics.render()
    const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(text)?.[1])
    expect(rss).toBeGreaterThan(1024 * 1024)
    expect(text).toMatch(/^nodejs_heap_used_bytes \d+$/m)
    expect(text).toMatch(/^nodejs_eventloop_delay_seconds\{quantile="0.99"\} [\d.e-]+$/m)
  } finally {
    stop()
  }
})
