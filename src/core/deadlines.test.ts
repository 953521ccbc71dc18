import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { sharedDeadlines, type DeadlineTimers } from './deadlines.ts'

/** A hand-driven clock: `advance` runs the timers that fall due, in order. */
function manualTimers() {
  let now = 0
  const pending: Array<{ at: number; fn: () => void }> = []
  const timers: DeadlineTimers = {
    now: () => now,
    setTimeout(fn, ms) {
      pending.push({ at: now + ms, fn })
      return undefined
    },
  }
  return {
    timers,
    pendingTimers: () => pending.length,
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
