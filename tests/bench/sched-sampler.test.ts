/**
 * The benchmark's scheduling sampler (bench/sched-sampler.ts) names the slowest 50 ms of a span: the report's
 * account of a slow round is only as good as that choice. Here the thread is kept busy (spinning a millisecond at a
 * time, yielding between so the sampler's timer runs) first taking requests fast, then slowly.
 *
 * A spin is a millisecond of the process's CPU, not of wall time: CI runs this beside other test files on two busy
 * cores, and a process given a tenth of a core still does each stretch's work, only later. So the assertions compare
 * what a window did per CPU, or where it lies, not how much of a core the process had in it.
 */
import { spawn } from 'node:child_process'
import { describe, expect, it, vi } from 'vitest'
import { countingRequests, numberField, sampleScheduling } from '../../bench/sched-sampler.ts'

const take = countingRequests(() => undefined)

/** This process's CPU so far, in ms (getrusage: exact, not in ticks, though its user/system split is). */
function cpuMs(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

let sink = 1
/** Runs arithmetic until the process has had `ms` more of CPU (some µs of it between two readings of the clock). */
function spin(ms: number): void {
  const end = cpuMs() + ms
  do for (let i = 0; i < 10_000; i++) sink = (sink * 31 + i) | 0
  while (cpuMs() < end)
}

/**
 * `spins` milliseconds of CPU, `perSpin` requests taken after each; `to` is just after the last requests. One spin
 * per event-loop turn, so every interval between two samples holds at least one.
 */
async function busy(spins: number, perSpin: number): Promise<{ from: number; to: number }> {
  const from = performance.timeOrigin + performance.now()
  let to = from
  for (let k = 0; k < spins; k++) {
    spin(1)
    for (let i = 0; i < perSpin; i++) take()
    to = performance.timeOrigin + performance.now()
    await new Promise((resolve) => setImmediate(resolve))
  }
  return { from, to }
}

/**
 * Requests taken after each spin of the fast stretch. A window holding even one fast spin took a thousand requests,
 * and a window of the slow stretch at most one per ms (a spin is at least a ms of wall time): a fast window would have
 * to last a second to look slower, however the process was starved in it.
 */
const FAST = 1000

/** Requests per ms of the main thread's CPU in the window: the stretch's own rate, whatever share of a core it had. */
const perCpuMs = (window: { perMs: number; mainCpu: number }) => window.perMs / window.mainCpu

describe('sampleScheduling', () => {
  it('finds the stretch that took fewest requests, within the span it is given', async () => {
    const whole = sampleScheduling()
    const fast = await busy(150, FAST)
    const slow = await busy(150, 1)
    const inWhole = whole({ from: fast.from, to: slow.to })
    const onlyFast = sampleScheduling()
    const fastAgain = await busy(150, FAST)
    await busy(150, 1)
    const inFast = onlyFast(fastAgain)
    expect(inWhole).toBeDefined()
    expect(inFast).toBeDefined()
    // The slow stretch takes a thousand times fewer requests per millisecond spun; given only the fast one, it is not
    // seen. Per ms of CPU, not of wall time: a fast window the process spent mostly waiting for a core took few per ms.
    expect(perCpuMs(inWhole!)).toBeLessThan(perCpuMs(inFast!) / 100)
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
    // Busy and allocating throughout: every stretch of it has scavenges, and the slowest window is one of them. In
    // turns of 100,000 young objects (3 MB), not for a wall time: a window (10 samples, at most one a turn) holds 30 MB
    // of them, more than the young generation's 16 MB, however little of a core the process got.
    let kept: unknown[] = []
    for (let turn = 0; turn < 50; turn++) {
      for (let i = 0; i < 100_000; i++) kept.push({ i })
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
    const fast = await busy(150, FAST)
    // The slow stretch is where the server's background work ran: 3 statements a millisecond. 300 turns, so it has
    // windows of its own however long the process is held up; their spins stay of wall time, so that a window still
    // holds some fifty of its fresh MiBs, where the page faults below come from.
    for (let turn = 0; turn < 300; turn++) {
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
    // Inside the slow stretch: its first sample came after the fast stretch's last requests. (Not "within 50 ms of the
    // slow stretch's start": a sample taken just before a long wait for a core would be further off, and yet right.)
    expect(window!.atMs).toBeGreaterThan(fast.to - fast.from)
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
  it("takes the process's kernel share from getrusage's system time, per ms like the CPU beside it", async () => {
    // The kernel splits a process's CPU into user and system by the mode each 4 ms tick finds it in, and on a busy
    // machine that split is no measure of a 50 ms window (a loop of system calls read 0.1 to 1.0 system per 100 ms
    // of its own CPU, two busy loops beside it). So the sampler is handed a known split of the process's real CPU,
    // four fifths system; per wall ms the share would also fall with the share of a core the process got.
    const real = process.resourceUsage.bind(process)
    const usage = vi.spyOn(process, 'resourceUsage').mockImplementation(() => {
      const u = real()
      const cpu = u.userCPUTime + u.systemCPUTime
      return { ...u, userCPUTime: cpu / 5, systemCPUTime: (cpu * 4) / 5 }
    })
    try {
      const stop = sampleScheduling()
      const from = performance.timeOrigin + performance.now()
      // Turns of 20 ms of CPU, yielding between: a window (10 samples, at most one a turn) holds 200 ms of CPU or
      // more, beside which a pause between a sample's two readings (the main thread's, then the process's) is small.
      for (let turn = 0; turn < 15; turn++) {
        spin(20)
        await new Promise((resolve) => setImmediate(resolve))
      }
      // No requests were taken, so the first window is the slowest; it is inside the stretch.
      const window = stop({ from, to: performance.timeOrigin + performance.now() })
      // Against the process's CPU in the same window (its main thread's and its other threads').
      expect(window!.systemCpu / (window!.mainCpu + window!.otherThreads)).toBeCloseTo(0.8, 1)
    } finally {
      usage.mockRestore()
    }
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
