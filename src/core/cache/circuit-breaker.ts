/**
 * A circuit breaker for calls to a shared backend. Closed: calls go through. After `failureThreshold` consecutive
 * failures it opens: calls are refused (the caller uses its fallback) for `cooldownMs`. Then it is half-open: one
 * call, the probe, goes through while the others keep being refused; the probe's success closes the circuit, its
 * failure opens it for another cool-down. Time comes from an injectable clock, so tests drive the cool-down.
 *
 * Every admitted call must be reported with `success()` or `failure()` (the caller bounds it with a timeout). A
 * probe that never reports (its request cancelled on Workers) is given up after another cool-down, and a new
 * probe is let through.
 */
import type { CircuitState } from './metrics.ts'
import type { Now } from './store.ts'

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold?: number
  /** How long an open circuit refuses calls before it lets a probe through. */
  cooldownMs?: number
  now?: Now
  onStateChange?: (to: CircuitState, from: CircuitState) => void
}

export class CircuitBreaker {
  readonly failureThreshold: number
  readonly cooldownMs: number
  private readonly now: Now
  private readonly onStateChange: CircuitBreakerOptions['onStateChange']
  private current: CircuitState = 'closed'
  private failures = 0
  private openedAt = 0
  /** When the probe in flight was admitted, if one is. */
  private probeSince: number | undefined

  constructor({ failureThreshold = 5, cooldownMs = 10_000, now = Date.now, onStateChange }: CircuitBreakerOptions = {}) {
    if (!Number.isInteger(failureThreshold) || failureThreshold < 1) throw new RangeError(`failureThreshold must be a positive integer (got ${failureThreshold})`)
    if (!(cooldownMs >= 0)) throw new RangeError(`cooldownMs must be zero or more (got ${cooldownMs})`)
    this.failureThreshold = failureThreshold
    this.cooldownMs = cooldownMs
    this.now = now
    this.onStateChange = onStateChange
  }

  get state(): CircuitState {
    return this.current
  }

  /** Consecutive failures so far (reset by any success). */
  get consecutiveFailures(): number {
    return this.failures
  }

  /** Whether a call may go to the backend now. In half-open state only the probe is admitted. */
  tryAcquire(): boolean {
    if (this.current === 'closed') return true
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.cooldownMs) return false
      this.moveTo('half_open')
    }
    if (this.probeSince !== undefined && this.now() - this.probeSince < this.cooldownMs) return false
    this.probeSince = this.now()
    return true
  }

  success(): void {
    this.failures = 0
    this.probeSince = undefined
    // Any success closes: a call admitted before the circuit opened that still answered in time is evidence too.
    if (this.current !== 'closed') this.moveTo('closed')
  }

  failure(): void {
    this.failures++
    this.probeSince = undefined
    if (this.current === 'half_open' || (this.current === 'closed' && this.failures >= this.failureThreshold)) {
      this.openedAt = this.now()
      this.moveTo('open')
    }
  }

  private moveTo(state: CircuitState) {
    const from = this.current
    this.current = state
    this.onStateChange?.(state, from)
  }
}
