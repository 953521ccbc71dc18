/**
 * The benchmark's scheduling sampler (bench/sched-sampler.ts) names the slowest 50 ms of a span: the report's
 * account of a slow round is only as good as that choice. Here the thread is kept busy (spinning a millisecond at a
 * time, yielding between so the sampler's timer runs) first taking requests fast, then slowly.
 */
import { spawn } from 'node:child_process'
import { closeSync, openSync, readSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { countingRequests, numberField, sampleScheduling } from '../../bench/sched-sampler.ts'

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
    // The same for the walk through memory.
    expect(inWhole!.memoryWorkSlowdown).toBeGreaterThan(0)
    expect(Number.isFinite(inWhole!.memoryWorkSlowdown)).toBe(true)
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
    // The longest pause is one of them, named by its kind.
    expect(window!.longestCollectionMs).toBeGreaterThan(0)
    expect(window!.longestCollectionMs).toBeLessThanOrEqual(window!.collectionMs)
    expect(['scavenge', 'mark-compact', 'incremental marking', 'weak callbacks']).toContain(window!.longestCollectionKind)
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

  it('says where in the span the slowest window starts, and counts the statements run in it', async () => {
    let statements = 0
    const stop = sampleScheduling({ statements: () => statements })
    const fast = await busy(300, 20)
    // The slow stretch is where the server's background work ran: 3 statements a millisecond.
    const end = performance.now() + 300
    const slowFrom = performance.timeOrigin + performance.now()
    while (performance.now() < end) {
      const spinEnd = performance.now() + 1
      while (performance.now() < spinEnd);
      take()
      statements += 3
      // Fresh memory, touched a page at a time: minor page faults.
      const fresh = new Uint8Array(1 << 20)
      for (let page = 0; page < fresh.length; page += 4096) fresh[page] = 1
      await new Promise((resolve) => setImmediate(resolve))
    }
    const window = stop({ from: fast.from, to: performance.timeOrigin + performance.now() })
    // Inside the slow stretch (give or take a sample period's lateness of the sampler's timer).
    expect(window!.atMs).toBeGreaterThan(slowFrom - fast.from - 50)
    expect(window!.statements).toBeGreaterThan(0)
    expect(window!.minorFaults).toBeGreaterThan(0)
    expect(window!.majorFaults).toBeGreaterThanOrEqual(0)
    // The span's count is between its first and last samples: the statements of the last millisecond may fall after.
    expect(window!.roundStatements).toBeGreaterThan(0)
    expect(window!.roundStatements).toBeLessThanOrEqual(statements)
  })

  it("reads the client's main thread beside the server's: given its own pid, both columns agree", async () => {
    const stop = sampleScheduling({ clientPid: process.pid })
    const span = await busy(300, 5)
    const window = stop(span)
    expect(Math.abs(window!.clientCpu - window!.mainCpu)).toBeLessThan(0.1)
    expect(Math.abs(window!.clientWait - window!.mainWait)).toBeLessThan(0.1)
    // The machine's share is in 10 ms ticks: only its sign and finiteness hold for any one window.
    for (const cores of [window!.machineBusy, window!.steal, window!.othersCpu, window!.othersPeak, window!.systemCpu]) {
      expect(Number.isFinite(cores)).toBe(true)
      expect(cores).toBeGreaterThanOrEqual(0)
    }
    // Without a client pid and a statement counter, their columns say unknown rather than 0.
    const bare = sampleScheduling()
    const none = bare(await busy(100, 5))
    expect(none!.clientCpu).toBeNaN()
    expect(none!.clientWait).toBeNaN()
    expect(none!.statements).toBeNaN()
  })
})

describe('sampleScheduling, the others', () => {
  it('sees another process that spins while this one idles', async () => {
    const stop = sampleScheduling()
    const from = performance.timeOrigin + performance.now()
    // A whole vCPU for 400 ms, none of it this process's: the others' peak over 100 ms is most of a core.
    const spinner = spawn(process.execPath, ['-e', 'const end = Date.now() + 400; while (Date.now() < end);'])
    await new Promise((resolve) => spinner.once('exit', resolve))
    const window = stop({ from, to: performance.timeOrigin + performance.now() })
    expect(window!.othersPeak).toBeGreaterThan(0.5)
  })
})

describe('sampleScheduling, the kernel', () => {
  it("counts the process's time in system calls as its kernel share", async () => {
    const stop = sampleScheduling()
    const from = performance.timeOrigin + performance.now()
    // 300 ms of little but system calls (each read makes the kernel format a /proc file), yielding to the sampler.
    const fd = openSync('/proc/self/status', 'r')
    const buffer = Buffer.alloc(4096)
    const end = performance.now() + 300
    while (performance.now() < end) {
      for (let i = 0; i < 50; i++) readSync(fd, buffer, 0, buffer.length, 0)
      await new Promise((resolve) => setImmediate(resolve))
    }
    closeSync(fd)
    // No requests were taken, so the first window is the slowest; it is inside the stretch.
    const window = stop({ from, to: performance.timeOrigin + performance.now() })
    expect(window!.systemCpu).toBeGreaterThan(0.2)
  })
})

describe('numberField', () => {
  const bytes = (text: string) => new TextEncoder().encode(text)

  it('reads /proc/stat\'s first line field by field, not the lines after it', () => {
    const stat = bytes('cpu  12494 0 8157 28002 520 0 272 9 0 0\ncpu0 5189 0 3259 16090 90 0 63 0 0 0\n')
    const fields = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((i) => numberField(stat, stat.length, 4, i))
    expect(fields).toEqual([12494, 0, 8157, 28002, 520, 0, 272, 9, 0, 0, 0])
  })

  it('reads a schedstat line, and a field cut off by the buffer\'s end as far as it got', () => {
    const line = bytes('4065268 46977152 3\n')
    expect([0, 1, 2].map((i) => numberField(line, line.length, 0, i))).toEqual([4065268, 46977152, 3])
    expect(numberField(line, 4, 0, 0)).toBe(4065)
  })
})
