/**
 * The cache's Prometheus series, registered once per registry (the registry returns the existing metric when a
 * second cache registers the same name). Without a registry every call is a no-op, so adapters need no branches.
 *
 * cache_requests_total{cache,result}      one per get/getOrLoad (and per peek that hits): hit | miss | stale | error (backend unavailable)
 * cache_operation_duration_seconds{cache,op}  backend calls: get | set | delete | ping (memory: set and delete only —
 *                                            a read is a Map lookup far below the first bucket, and two clock reads
 *                                            and an observation cost more than the lookup; its count is above)
 * cache_backend_errors_total{cache,op}    failed or timed-out backend calls (including set/delete)
 * cache_circuit_state{cache,state}        1 for the breaker's current state (closed | half_open | open), else 0
 * cache_l1_hits_total{cache}              reads answered by the in-process L1 in front of a shared backend
 * cache_memory_entries{cache}             entries held in process memory (read at scrape time)
 */
import type { CounterSeries, HistogramSeries, MetricsRegistry } from '../monitoring/metrics.ts'
import { monotonicNow } from '../monotonic.ts'

export type CacheResult = 'hit' | 'miss' | 'stale' | 'error'
export type CacheOp = 'get' | 'set' | 'delete' | 'ping'
export type CircuitState = 'closed' | 'half_open' | 'open'

// Memory operations take microseconds and REST calls milliseconds; the default HTTP buckets start at 1 ms.
const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

export interface CacheMetrics {
  result(result: CacheResult): void
  /** `startedAt` from monotonicNow(). */
  duration(op: CacheOp, startedAt: number): void
  backendError(op: CacheOp): void
  circuit(state: CircuitState): void
  l1Hit(): void
  entries(read: () => number): void
}

export function cacheMetrics(registry: MetricsRegistry | undefined, cache: string): CacheMetrics {
  if (!registry) return { result() {}, duration() {}, backendError() {}, circuit() {}, l1Hit() {}, entries() {} }
  const requests = registry.counter('cache_requests_total', 'Cache reads by outcome: hit, miss, stale (served while refreshing), error (backend unavailable).')
  const durations = registry.histogram('cache_operation_duration_seconds', 'Latency of cache backend operations.', BUCKETS)
  const errors = registry.counter('cache_backend_errors_total', 'Cache backend calls that failed or timed out.')
  const circuit = registry.gauge('cache_circuit_state', 'Circuit breaker in front of the shared cache: 1 for the current state.')
  const l1 = registry.counter('cache_l1_hits_total', 'Reads answered by the in-process L1 in front of the shared cache.')
  const entries = registry.gauge('cache_memory_entries', 'Cache entries held in process memory.')
  // Series handles rather than labels per call (no label key built on every read). Results are made up front, so
  // dashboards see zeros rather than absent series before the first request; durations when an op first runs.
  const byResult = {} as Record<CacheResult, CounterSeries>
  for (const result of ['hit', 'miss', 'stale', 'error'] as const) byResult[result] = requests.child({ cache, result })
  const byOp: Partial<Record<CacheOp, HistogramSeries>> = {}
  return {
    result: (result) => byResult[result].inc(),
    duration: (op, startedAt) => (byOp[op] ??= durations.child({ cache, op })).observe((monotonicNow() - startedAt) / 1000),
    backendError: (op) => errors.inc({ cache, op }),
    circuit(state) {
      for (const s of ['closed', 'half_open', 'open'] as const) circuit.set(s === state ? 1 : 0, { cache, state: s })
    },
    l1Hit: () => l1.inc({ cache }),
    entries: (read) => entries.collect(() => entries.set(read(), { cache })),
  }
}
