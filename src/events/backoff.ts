/**
 * Retry schedule: exponential with "full jitter" (AWS architecture blog) under a cap. Jitter spreads retries of
 * a burst that failed together (a provider outage) instead of hammering the provider again in lockstep.
 */
export interface BackoffOptions {
  baseMs: number
  maxMs: number
}

/** Delay before attempt `attempt + 1`, after `attempt` (1-based) failed: uniform in [d/2, d], d = min(max, base·2^(attempt-1)). */
export function backoffDelayMs(attempt: number, { baseMs, maxMs }: BackoffOptions, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30)
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent)
  // Half fixed, half random: never retries immediately, never later than the ceiling.
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}
