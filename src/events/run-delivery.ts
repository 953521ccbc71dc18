/**
 * One delivery attempt, from a claimed delivery to its Outcome: the rules every deliverer shares — the server
 * dispatcher (a claimed batch) and the Workers endpoint that QStash calls (one delivery per request).
 *
 * Guarantees: a delivery claimed `poisonAfterCrashes` times without an outcome is dead `poison` and its handler does
 * not run; a handler that returns is `delivered`; one that throws `RejectedDeliveryError` is dead `rejected` at once;
 * any other failure (a timeout included) is dead `max_attempts` on the last attempt, otherwise `retry` with the
 * subscription's jittered backoff. Metrics and log lines are the same whoever runs it. Recording the outcome is the
 * caller's job: each records with its own lease owner.
 */
import { perRequestDeadlines, type WatchDeadline } from '../core/deadlines.ts'
import type { Logger } from '../core/monitoring/logger.ts'
import { backoffDelayMs } from './backoff.ts'
import { RejectedDeliveryError, type ClaimedDelivery, type Outcome } from './deliveries.ts'
import type { EventMetrics } from './metrics.ts'
import type { EventHandler } from './subscription.ts'

export interface RunDeliveryOptions {
  /** The handler of a claimed delivery: a code subscription's, or a webhook sender built from `d.webhook`. */
  resolveHandler: (d: ClaimedDelivery) => EventHandler
  metrics: EventMetrics
  logger: Logger
  poisonAfterCrashes: number
  /** A handler running longer than this fails its attempt (keep it below the lease, and below a request's timeout). */
  handlerTimeoutMs: number
  /**
   * Watches each handler's deadline. Default: a timer per call (the Workers endpoint runs one delivery per request,
   * and a timer there cannot outlive its request). A long-running dispatcher passes `sharedDeadlines`: all its
   * handlers have the same timeout, so one timer serves them all instead of a timer set and cleared per delivery.
   */
  watchDeadline?: WatchDeadline
}

export async function runDelivery(d: ClaimedDelivery, options: RunDeliveryOptions): Promise<Outcome> {
  const { resolveHandler, metrics: m, logger: log, poisonAfterCrashes, handlerTimeoutMs } = options
  const handler = resolveHandler(d)
  if (d.crashes >= poisonAfterCrashes) {
    m.dead.inc({ subscription: d.subscription, reason: 'poison' })
    log.error({ deliveryId: d.id, eventId: d.event.id, subscription: d.subscription, crashes: d.crashes }, 'delivery set aside as poison')
    return { id: d.id, result: 'dead', reason: 'poison', error: `claimed ${d.crashes} times without an outcome` }
  }
  try {
    await withinDeadline(
      handler(d.event, { eventId: d.event.id, deliveryId: d.id, attempt: d.attempt, subscription: d.subscription }),
      options.watchDeadline ?? perRequestDeadlines(handlerTimeoutMs),
      handlerTimeoutMs,
    )
    m.delivered.inc({ subscription: d.subscription })
    m.latency.observe((Date.now() - d.createdAt.getTime()) / 1000, { subscription: d.subscription })
    return { id: d.id, result: 'delivered' }
  } catch (error) {
    const message = errorMessage(error)
    if (error instanceof RejectedDeliveryError) {
      m.dead.inc({ subscription: d.subscription, reason: 'rejected' })
      log.error({ deliveryId: d.id, eventId: d.event.id, subscription: d.subscription, attempt: d.attempt, error: message }, 'delivery rejected; not retried')
      return { id: d.id, result: 'dead', reason: 'rejected', error: message }
    }
    if (d.attempt >= d.maxAttempts) {
      m.dead.inc({ subscription: d.subscription, reason: 'max_attempts' })
      log.error({ deliveryId: d.id, eventId: d.event.id, subscription: d.subscription, attempt: d.attempt, error: message }, 'delivery dead after max attempts')
      return { id: d.id, result: 'dead', reason: 'max_attempts', error: message }
    }
    m.failed.inc({ subscription: d.subscription })
    const delayMs = backoffDelayMs(d.attempt, { baseMs: d.backoffBaseMs, maxMs: d.backoffMaxMs })
    log.warn({ deliveryId: d.id, eventId: d.event.id, subscription: d.subscription, attempt: d.attempt, delayMs, error: message }, 'delivery failed; will retry')
    return { id: d.id, result: 'retry', error: message, delayMs }
  }
}

/** The handler's result, or a timeout error once its deadline passes (the handler itself is not stopped). */
function withinDeadline<T>(promise: Promise<T>, watch: WatchDeadline, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const deadline = watch(() => reject(new Error(`handler timed out after ${ms} ms`)))
    promise.then(
      (value) => {
        deadline.finish()
        resolve(value)
      },
      (error: unknown) => {
        deadline.finish()
        reject(error)
      },
    )
  })
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}
