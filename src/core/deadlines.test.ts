import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { sharedDeadlines, type DeadlineTimers } from './deadlines.ts'

/** A hand-driven clock: `advance` runs the timers that fall due, in order. */
function manualTimers(start = 0) {
  let now = start
  const pending: Array<{ at: number; fn: () => void }> = []
  const delays: number[] = []
  const timers: DeadlineTimers = {
    now: () => now,
    setTimeout(fn, ms) {
      delays.push(ms)
      pending.push({ at: now + ms, fn })
      return undefined
    },
  }
  return {
    timers,
    pendingTimers: () => pending.length,
    delays,
    advance(ms: number) {
      const until = now + ms
      for (;;) {
        pending.sort((a, b) => a.at - b.at)
        const next = pending[0]
        if (!next || next.at > until) break
        pending.shift()
        now = next.at
        next.fn()
      }
      now = until
    },
  }
}

describe('sharedDeadlines', () => {
  it('fires a deadline that is not finished, once, after the timeout', () => {
    const clock = manualTimers()
    const watch = sharedDeadlines(100, clock.timers)
    const fired: string[] = []
    watch(() => fired.push('a'))
    clock.advance(99)
    expect(fired).toEqual([])
    clock.advance(1)
    expect(fired).toEqual(['a'])
    clock.advance(1000)
    expect(fired).toEqual(['a'])
  })

  it('arms its timer for whole milliseconds on a fractional clock, and never fires early', () => {
    // monotonicNow() is fractional; a fractional delay reaching Node's setTimeout would move its timers' hidden
    // classes to doubles mid-run and deoptimise the HTTP path (runtime/timer-shape.node.ts).
    const clock = manualTimers(0.25)
    const watch = sharedDeadlines(100, clock.timers)
    const fired: Array<[string, number]> = []
    watch(() => fired.push(['a', clock.timers.now()]))
    clock.advance(10.4)
    watch(() => fired.push(['b', clock.timers.now()]))
    clock.advance(200)
    expect(clock.delays.length).toBeGreaterThanOrEqual(2)
    expect(clock.delays.every(Number.isInteger)).toBe(true)
    expect(fired.map(([name]) => name)).toEqual(['a', 'b'])
    expect(fired[0]![1]).toBeGreaterThanOrEqual(100.25)
    expect(fired[1]![1]).toBeGreaterThanOrEqual(110.65)
    expect(fired[1]![1]).toBeLessThan(111.65)
  })

  it('never fires a finished deadline', () => {
    const clock = manualTimers()
    const watch = sharedDeadlines(100, clock.timers)
    const fired: string[] = []
    watch(() => fired.push('a')).finish()
    clock.advance(500)
    expect(fired).toEqual([])
  })

  it('fires each overdue request at its own deadline, skipping finished ones, with one timer at a time', () => {
    const clock = manualTimers()
    const watch = sharedDeadlines(100, clock.timers)
    const fired: Array<[string, number]> = []
    const at = (name: string) => () => fired.push([name, clock.timers.now()])
    watch(at('a'))
    clock.advance(10)
    const b = watch(at('b'))
    clock.advance(10)
    watch(at('c'))
    expect(clock.pendingTimers()).toBe(1)
    b.finish()
    clock.advance(200)
    // a started at 0, c at 20: each fires at its own deadline; b finished and never fires
    expect(fired).toEqual([
      ['a', 100],
      ['c', 120],
    ])
  })

  it('keeps no finished requests around: many short requests leave nothing queued and no timer', () => {
    const clock = manualTimers()
    const watch = sharedDeadlines(100, clock.timers)
    for (let i = 0; i < 10_000; i++) watch(() => expect.unreachable()).finish()
    clock.advance(100)
    expect(clock.pendingTimers()).toBe(0)
    const fired: number[] = []
    watch(() => fired.push(1))
    clock.advance(100)
    expect(fired).toEqual([1])
  })

  it('lets go of a finished request while an older one still runs, so what its callback holds can be collected', async () => {
    const clock = manualTimers()
    const watch = sharedDeadlines(100, clock.timers)
    const slow = watch(() => {}) // at the head of the queue, still running
    const context = (() => {
      const requestState = { body: new Array(10_000).fill('x') }
      watch(() => void requestState).finish()
      return new WeakRef(requestState)
    })()
    // A WeakRef keeps its target alive until the current job ends.
    await new Promise((resolve) => setImmediate(resolve))
    collectGarbage()
    expect(context.deref()).toBeUndefined()
    slow.finish()
  })
})

/** A full garbage collection, without starting the test process with --expose-gc. */
function collectGarbage() {
  setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
}
