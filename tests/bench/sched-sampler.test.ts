/**
 * The benchmark's scheduling sampler (bench/sched-sampler.ts) names the slowest 50 ms of a span: the report's
 * account of a slow round is only as good as that choice. Here the thread is kept busy (spinning a millisecond at a
 * time, yielding between so the sampler's timer runs) first taking requests fast, then slowly.
 */
import { describe, expect, it } from 'vitest'
import { countingRequests, sampleScheduling } from '../../bench/sched-sampler.ts'

const take = countingRequests(() => undefined)

/** `ms` of busy work, `perSpin` requests taken after each millisecond spun. */
async function busy(ms: number, perSpin: number): Promise<{ from: number; to: number }> {
  const from = performance.timeOrigin + performance.now()
  const end = performance.now() + ms
  while (performance.now() < end) {
    const spinEnd = performance.now() + 1
    while (performance.now() < spinEnd);
    for (let i = 0; i < perSpin; i++) take()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { from, to: performance.timeOrigin + performance.now() }
}

describe('sampleScheduling', () => {
  it('finds the stretch that took fewest requests, within the span it is given', async () => {
    const whole = sampleScheduling()
    const fast = await busy(300, 20)
    const slow = await busy(300, 1)
    const inWhole = whole({ from: fast.from, to: slow.to })
    const onlyFast = sampleScheduling()
    const fastAgain = await busy(300, 20)
    await busy(300, 1)
    const inFast = onlyFast(fastAgain)
    expect(inWhole).toBeDefined()
    expect(inFast).toBeDefined()
    // The slow stretch takes 20 times fewer requests per millisecond spun; given only the fast one, it is not seen.
    expect(inWhole!.perMs).toBeLessThan(inFast!.perMs / 4)
    expect(inWhole!.mainCpu + inWhole!.mainWait).toBeGreaterThanOrEqual(0.8)
    expect(inWhole!.cpuUsPerRequest).toBeGreaterThan(inFast!.cpuUsPerRequest)
    expect(Number.isFinite(inWhole!.otherThreads)).toBe(true)
    // The fixed work's time against its median over the span: a ratio, whatever this machine's speed.
    expect(inWhole!.fixedWorkSlowdown).toBeGreaterThan(0)
    expect(Number.isFinite(inWhole!.fixedWorkSlowdown)).toBe(true)
  })

  it('counts the collections that paused the thread inside the window', async () => {
    const stop = sampleScheduling()
    const from = performance.timeOrigin + performance.now()
    // Busy and allocating throughout: every stretch of it has scavenges, and the slowest window is one of them.
    const end = performance.now() + 400
    let kept: unknown[] = []
    while (performance.now() < end) {
      for (let i = 0; i < 20_000; i++) kept.push({ i })
      kept = []
      await new Promise((resolve) => setImmediate(resolve))
    }
    const window = stop({ from, to: performance.timeOrigin + performance.now() })
    expect(window!.collectionMs).toBeGreaterThan(0)
  })

  it('shows a stretch in which the thread idled as idle: no requests, little CPU', async () => {
    const stop = sampleScheduling()
    await busy(100, 20)
    const from = performance.timeOrigin + performance.now()
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5))
    const idle = stop({ from, to: performance.timeOrigin + performance.now() })
    expect(idle).toMatchObject({ perMs: 0, cpuUsPerRequest: NaN })
    expect(idle!.mainCpu).toBeLessThan(0.5)
  })

  it('reports nothing for a span shorter than one window', () => {
    const stop = sampleScheduling()
    const now = performance.timeOrigin + performance.now()
    expect(stop({ from: now, to: now + 1 })).toBeUndefined()
  })
})
