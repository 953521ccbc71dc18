import { describe, expect, it } from 'vitest'
import { backoffDelayMs } from './backoff.ts'

const options = { baseMs: 1000, maxMs: 60_000 }

describe('backoff schedule', () => {
  it('doubles per attempt between half and all of the ceiling', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, options, () => 0))).toEqual([500, 1000, 2000, 4000])
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, options, () => 1))).toEqual([1000, 2000, 4000, 8000])
  })

  it('is capped at maxMs however many attempts failed', () => {
    expect(backoffDelayMs(7, options, () => 1)).toBe(60_000)
    expect(backoffDelayMs(500, options, () => 1)).toBe(60_000)
    expect(backoffDelayMs(500, options, () => 0)).toBe(30_000)
  })

  it('jitter spreads retries of the same attempt', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, options)))
    expect(delays.size).toBeGreaterThan(10)
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(2000)
    for (const d of delays) expect(d).toBeLessThanOrEqual(4000)
  })
})
