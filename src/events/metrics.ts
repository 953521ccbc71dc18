/** Event backbone metrics, registered once per registry. */
import type { MetricsRegistry } from '../core/monitoring/metrics.ts'

export function eventMetrics(metrics: MetricsRegistry) {
  return {
    delivered: metrics.counter('events_delivered_total', 'Deliveries handled successfully, by subscription'),
    failed: metrics.counter('events_delivery_failures_total', 'Delivery attempts that failed and will be retried, by subscription'),
    dead: metrics.counter('events_dead_total', 'Deliveries given up on (max attempts, poison), by subscription and reason'),
    latency: metrics.histogram(
      'events_delivery_latency_seconds',
      'From event commit to handler success, by subscription',
      [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 300],
    ),
    lag: metrics.gauge('events_oldest_due_age_seconds', 'Age of the oldest delivery that is due and not yet claimed'),
    claimErrors: metrics.counter('events_claim_errors_total', 'Dispatcher rounds that failed to reach the database'),
    // Empty claims are the price of claiming at once on every wake-up (several loops may race for one commit): a
    // high share is database load without deliveries.
    claims: metrics.counter('events_claims_total', 'Claim statements by result: claimed (took deliveries) or empty; pushed counts notifications that carried deliveries leased to this dispatcher (no claim needed)'),
  }
}

export type EventMetrics = ReturnType<typeof eventMetrics>
