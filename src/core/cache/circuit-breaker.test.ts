import { describe, expect, it } from 'vitest'
import { CircuitBreaker } from './circuit-breaker.ts'
import type { CircuitState } from './metrics.ts'

function setup(failureThreshold = 3, cooldownMs = 1_000) {
  let t = 0
  const changes: Array<[CircuitState, CircuitState]> = []
  const breaker = new CircuitBreaker({ failureThreshold, cooldownMs, now: () => t, onStateChange: (to, from) => changes.push([to, from]) })
  return { breaker, changes, advance: (ms: number) => (t += ms) }
}

describe('CircuitBreaker', () => {
  it('opens after N consecutive failures and refuses calls during the cool-down', () => {
    const { breaker, changes } = setup(3)
    for (let i = 0; i < 2; i++) {
      expect(breaker.tryAcquire()).toBe(true)
      breaker.failure()
    }
    expect(breaker.state).toBe('closed')
    breaker.tryAcquire()
    breaker.failure()
    expect(breaker.state).toBe('open')
    expect(breaker.tryAcquire()).toBe(false)
    expect(changes).toEqual([['open', 'closed']])
  })

  it('a success in between resets the count: only consecutive failures open it', () => {
    const { breaker } = setup(3)
    breaker.failure()
    breaker.failure()
    breaker.success()
    breaker.failure()
    breaker.failure()
    expect(breaker.state).toBe('closed')
  })

  it('after the cool-down lets exactly one probe through; its success closes the circuit', () => {
    const { breaker, changes, advance } = setup(1, 1_000)
    breaker.failure()
    advance(999)
    expect(breaker.tryAcquire()).toBe(false)
    advance(1)
    expect(breaker.tryAcquire()).toBe(true)
    expect(breaker.state).toBe('half_open')
    expect(breaker.tryAcquire()).toBe(false) // the probe is in flight: everyone else still uses the fallback
    breaker.success()
    expect(breaker.state).toBe('closed')
    expect(breaker.tryAcquire()).toBe(true)
    expect(changes.map(([to]) => to)).toEqual(['open', 'half_open', 'closed'])
  })

  it('a failed probe opens the circuit for another full cool-down', () => {
    const { breaker, advance } = setup(1, 1_000)
    breaker.failure()
    advance(1_000)
    expect(breaker.tryAcquire()).toBe(true)
    advance(500)
    breaker.failure()
    expect(breaker.state).toBe('open')
    advance(999)
    expect(breaker.tryAcquire()).toBe(false)
    advance(1)
    expect(breaker.tryAcquire()).toBe(true)
  })

  it('a probe that never reports is given up after a cool-down, and another probe goes through', () => {
    const { breaker, advance } = setup(1, 1_000)
    breaker.failure()
    advance(1_000)
    expect(breaker.tryAcquire()).toBe(true) // the probe's request is then cancelled: it never reports
    advance(999)
    expect(breaker.tryAcquire()).toBe(false)
    advance(1)
    expect(breaker.tryAcquire()).toBe(true)
    breaker.success()
    expect(breaker.state).toBe('closed')
  })
})
