/**
 * Benchmark children: what the server's threads did, every 5 ms of a paced round, so a slow spell is classified in
 * the report itself (bench/http.ts) rather than by a separate trace.
 *
 * A round's tail is a queue: for a while the server answered fewer requests than arrived. Three things have built
 * one on this VM (issue 2's notes): the server's own thread stood still (a collection, a long task — the loop gap
 * says so), it ran but waited for a CPU (its other threads — concurrent marking, the compiler — or the client took
 * the two vCPUs: run-queue wait), or it ran without waiting and each answer took more CPU than usual (deoptimised
 * code, or a slower vCPU). So each sample takes the main thread's CPU and run-queue wait from
 * /proc/self/schedstat (the thread group leader's own line), the whole process's CPU (the others = the difference),
 * and how many requests the server took; at the end the 50 ms window of the client's schedule that took fewest
 * requests is reported with what the threads did in it. A server that ran flat out there was too slow (its own
 * work, or dearer work); one that waited for a CPU lost it to other threads; one that mostly idled was not sent the
 * requests (the client or the kernel held them).
 *
 * Who else had the CPUs (a window in which the main thread waited): the client's main thread from
 * /proc/<pid>/schedstat (ns), and the whole machine's busy and stolen time from /proc/stat's first line (in 10 ms
 * ticks, so per window ±10 ms of each vCPU); what neither this process nor the client used is the others' (kernel
 * threads, other services). And the server's own background work: how many database statements it ran in the window
 * (a /health/live answer runs none; the dispatcher, the minute's maintenance and the notification worker do).
 *
 * Allocation-free while it samples: a first version that read /proc into strings grew the old generation by 5 MB a
 * round and caused the major collections it was there to observe. One fd, one byte buffer, numbers parsed from bytes
 * into preallocated arrays; process.resourceUsage's small result object dies young.
 */
import { closeSync, openSync, readSync } from 'node:fs'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { CLOCK_TICKS_PER_SECOND } from './machine-cpu.ts'

const PERIOD_MS = 5
/** Samples per window: 10 × 5 ms. */
const WINDOW = 10
/** Room for a 60 s watch at 5 ms. */
const CAPACITY = 12_000

let answered = 0

/** Wraps a server's fetch so the sampler can count the requests it takes. */
export function countingRequests<A extends unknown[], R>(fetch: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    answered++
    return fetch(...args)
  }
}

export interface SlowestWindow {
  /** Requests taken per ms in the window. */
  perMs: number
  /** Share of the window the main thread ran, and waited in the run queue. */
  mainCpu: number
  mainWait: number
  /** The process's other threads' CPU, in cores (1 = one core the whole window). */
  otherThreads: number
  /**
   * The process's CPU in the kernel, in cores: its system calls, and the loopback TCP work done on its behalf (a
   * packet sent on loopback is received in the sender's context), so dearer work there is the network's, not
   * JavaScript's.
   */
  systemCpu: number
  /** Main-thread CPU per request taken, µs, in the window (NaN if it took none) and over the span. */
  cpuUsPerRequest: number
  roundCpuUsPerRequest: number
  /**
   * How long a fixed piece of arithmetic took in the window, against its median over the span (1 = as usual). It
   * cannot be deoptimised and allocates nothing, so above 1 the CPU itself ran slower (or was taken away mid-piece):
   * the machine, not the server's code.
   */
  fixedWorkSlowdown: number
  /**
   * The same for a fixed walk through memory: 100 dependent reads at random places in 16 MiB, each a miss in the
   * core's own caches. A dependent chain of arithmetic runs at the same speed whatever shares the machine; a walk
   * through memory slows when something outside this VM loads the shared cache and memory (in a scratch run on an
   * idle machine, stop 34: 3–8% of 50 ms windows walked over 1.5× slower, the arithmetic in none). Server code
   * waits on memory much of its time, so a window whose walk was slower ran dearer for the machine's reasons.
   */
  memoryWorkSlowdown: number
  /** Milliseconds of the window in garbage-collection pauses of the main thread (`gc` performance entries). */
  collectionMs: number
  /** The longest of those pauses, and its kind ('scavenge', 'mark-compact', 'incremental marking', 'weak callbacks'). */
  longestCollectionMs: number
  longestCollectionKind: string
  /** Where the window starts, ms after the span's start. */
  atMs: number
  /** Share of the window the client's main thread ran, and waited for a CPU (NaN without a client pid). */
  clientCpu: number
  clientWait: number
  /** The machine's busy and stolen time in the window, in cores (10 ms ticks: ±0.2 of a core over 50 ms). */
  machineBusy: number
  steal: number
  /** What was busy beyond this process and the client's main thread, in cores (≥ 0). */
  othersCpu: number
  /**
   * Page faults of the server process in the window: minor (a page mapped again, no disk) and major (read from
   * disk). This VM's DAMON pages out memory untouched for a minute (a `pageout` scheme on physical addresses), which
   * a server stopped while its neighbours are measured comes back to.
   */
  minorFaults: number
  majorFaults: number
  /**
   * The most the others (not this process, not the client's main thread) used of the machine in any 100 ms of the
   * span, in cores: whether something unrelated took the vCPUs during the round at all, whatever its latencies.
   */
  othersPeak: number
  /** Database statements the server ran in the window and over the span (NaN without a counter). */
  statements: number
  roundStatements: number
}

export interface SamplingOptions {
  /** The load generator's pid: its main thread's CPU is sampled beside the server's. */
  clientPid?: number
  /** How many database statements the server has run so far (any monotonic count of its background work). */
  statements?: () => number
}

const at = new Float64Array(CAPACITY)
const mainCpuNs = new Float64Array(CAPACITY)
const mainWaitNs = new Float64Array(CAPACITY)
const processCpuUs = new Float64Array(CAPACITY)
const processSystemUs = new Float64Array(CAPACITY)
const taken = new Float64Array(CAPACITY)
const fixedWorkMs = new Float64Array(CAPACITY)
const memoryWorkMs = new Float64Array(CAPACITY)
const gcStart = new Float64Array(CAPACITY)
const gcDuration = new Float64Array(CAPACITY)
const gcKind = new Uint8Array(CAPACITY)
const clientCpuNs = new Float64Array(CAPACITY)
const clientWaitNs = new Float64Array(CAPACITY)
const machineBusyTicks = new Float64Array(CAPACITY)
const machineStealTicks = new Float64Array(CAPACITY)
const statementCount = new Float64Array(CAPACITY)
const minorFaultCount = new Float64Array(CAPACITY)
const majorFaultCount = new Float64Array(CAPACITY)
const bytes = Buffer.alloc(128)
/** /proc/stat's first line only; the per-CPU lines and the long interrupt line that follow are not read. */
const statBytes = Buffer.alloc(160)
/** /proc/stat's unit, in ms. */
const TICK_MS = 1000 / CLOCK_TICKS_PER_SECOND

/** About 10 µs of integer arithmetic on this machine: a xorshift chain whose result is kept, so it is not elided. */
let fixedWorkSink = 0
function fixedWork(): number {
  const started = performance.now()
  let x = fixedWorkSink | 1
  for (let i = 0; i < 4_000; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
  }
  fixedWorkSink = x
  return performance.now() - started
}

/** 16 MiB: four times a core's 4 MiB L2 on this machine kind, so every read of the walk misses it. */
const WALK_ENTRIES = 1 << 22
/** A random cycle through every entry (Sattolo's shuffle), built on the first sampling, in the paced warm-up. */
let walk: Int32Array | undefined
let walkAt = 0
function memoryWork(): number {
  walk ??= randomCycle(WALK_ENTRIES)
  const started = performance.now()
  let i = walkAt
  for (let k = 0; k < 100; k++) i = walk[i]!
  walkAt = i
  return performance.now() - started
}

function randomCycle(size: number): Int32Array {
  const next = new Int32Array(size)
  for (let i = 0; i < size; i++) next[i] = i
  for (let i = size - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * i)
    const t = next[i]!
    next[i] = next[j]!
    next[j] = t
  }
  return next
}

/** A span of wall-clock time, epoch ms (performance.timeOrigin + now): comparable across processes on one machine. */
export interface Span {
  from: number
  to: number
}

/**
 * Starts sampling; the returned stop answers the window inside `span` that took fewest requests (the span is the
 * client's schedule: before it, the connections' opening and the idle wait would be the slowest window of every
 * round), or undefined off Linux or for a span shorter than a window.
 */
export function sampleScheduling(options: SamplingOptions = {}): (span?: Span) => SlowestWindow | undefined {
  let fd: number
  let statFd: number
  try {
    fd = openSync('/proc/self/schedstat', 'r')
    statFd = openSync('/proc/stat', 'r')
  } catch {
    return () => undefined
  }
  let clientFd = -1
  try {
    if (options.clientPid) clientFd = openSync(`/proc/${options.clientPid}/schedstat`, 'r')
  } catch {
    // The client is gone; its column reads NaN.
  }
  const statements = options.statements
  let n = 0
  let collections = 0
  const record = (entries: readonly PerformanceEntry[]) => {
    for (const entry of entries) {
      if (collections === CAPACITY) break
      gcStart[collections] = entry.startTime
      gcKind[collections] = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0
      gcDuration[collections++] = entry.duration
    }
  }
  const observer = new PerformanceObserver((list) => record(list.getEntries()))
  observer.observe({ entryTypes: ['gc'] })
  const sample = () => {
    if (n === CAPACITY) return
    // "<ns on CPU> <ns waiting on a run queue> <timeslices>\n"
    let length = readSync(fd, bytes, 0, bytes.length, 0)
    mainCpuNs[n] = numberField(bytes, length, 0, 0)
    mainWaitNs[n] = numberField(bytes, length, 0, 1)
    if (clientFd >= 0) {
      length = readSync(clientFd, bytes, 0, bytes.length, 0)
      clientCpuNs[n] = numberField(bytes, length, 0, 0)
      clientWaitNs[n] = numberField(bytes, length, 0, 1)
    } else clientCpuNs[n] = clientWaitNs[n] = NaN
    // "cpu  user nice system idle iowait irq softirq steal guest guest_nice": busy is all but idle, iowait and steal.
    length = readSync(statFd, statBytes, 0, statBytes.length, 0)
    const from = 4 // past "cpu "
    machineBusyTicks[n] =
      numberField(statBytes, length, from, 0) +
      numberField(statBytes, length, from, 1) +
      numberField(statBytes, length, from, 2) +
      numberField(statBytes, length, from, 5) +
      numberField(statBytes, length, from, 6)
    machineStealTicks[n] = numberField(statBytes, length, from, 7)
    statementCount[n] = statements ? statements() : NaN
    // getrusage(2): the process's CPU and its page faults in one call (/proc/self/stat took three times as long).
    const usage = process.resourceUsage()
    processCpuUs[n] = usage.userCPUTime + usage.systemCPUTime
    processSystemUs[n] = usage.systemCPUTime
    minorFaultCount[n] = usage.minorPageFault
    majorFaultCount[n] = usage.majorPageFault
    taken[n] = answered
    fixedWorkMs[n] = fixedWork()
    memoryWorkMs[n] = memoryWork()
    at[n] = performance.now()
    n++
  }
  sample()
  const timer = setInterval(sample, PERIOD_MS)
  return (span) => {
    clearInterval(timer)
    // Entries are handed to the callback later; the ones not yet handed over are taken here.
    record(observer.takeRecords())
    observer.disconnect()
    sample()
    closeSync(fd)
    closeSync(statFd)
    if (clientFd >= 0) closeSync(clientFd)
    const origin = performance.timeOrigin
    let first = 0
    let last = n - 1
    if (span) {
      while (first < last && origin + at[first]! < span.from) first++
      while (last > first && origin + at[last]! > span.to) last--
    }
    return slowestWindow(first, last, collections, span ? span.from - origin : at[first]!)
  }
}

/**
 * The `index`-th space-separated decimal field of `buf[0, length)` after `from` (0-based; runs of spaces count once),
 * parsed from the bytes without a string; 0 if the line has fewer fields.
 */
export function numberField(buf: Uint8Array, length: number, from: number, index: number): number {
  let field = -1
  let value = 0
  let inNumber = false
  for (let i = from; i < length; i++) {
    const c = buf[i]!
    if (c >= 48 && c <= 57) {
      if (!inNumber) {
        inNumber = true
        field++
        value = 0
      }
      value = value * 10 + (c - 48)
    } else {
      if (inNumber && field === index) return value
      inNumber = false
      if (c === 10) break
    }
  }
  return inNumber && field === index ? value : 0
}

function slowestWindow(first: number, last: number, collections: number, spanStart: number): SlowestWindow | undefined {
  let best: SlowestWindow | undefined
  const spanFixedWork = medianOf(fixedWorkMs.subarray(first, last + 1))
  const spanMemoryWork = medianOf(memoryWorkMs.subarray(first, last + 1))
  const roundTaken = taken[last]! - taken[first]!
  const roundStatements = statementCount[last]! - statementCount[first]!
  const othersPeak = peakOthers(first, last)
  const roundCpuUsPerRequest = roundTaken > 0 ? (mainCpuNs[last]! - mainCpuNs[first]!) / 1000 / roundTaken : NaN
  for (let i = first; i + WINDOW <= last; i++) {
    const j = i + WINDOW
    const ms = at[j]! - at[i]!
    const cpu = (mainCpuNs[j]! - mainCpuNs[i]!) / 1e6
    const wait = (mainWaitNs[j]! - mainWaitNs[i]!) / 1e6
    const requests = taken[j]! - taken[i]!
    const perMs = requests / ms
    if (best && perMs >= best.perMs) continue
    const processCpuMs = (processCpuUs[j]! - processCpuUs[i]!) / 1000
    const machineMs = (machineBusyTicks[j]! - machineBusyTicks[i]!) * TICK_MS
    best = {
      perMs,
      mainCpu: cpu / ms,
      mainWait: wait / ms,
      otherThreads: Math.max(0, processCpuMs - cpu) / ms,
      systemCpu: (processSystemUs[j]! - processSystemUs[i]!) / 1000 / ms,
      cpuUsPerRequest: requests > 0 ? (cpu * 1000) / requests : NaN,
      roundCpuUsPerRequest,
      fixedWorkSlowdown: medianOf(fixedWorkMs.subarray(i, j)) / spanFixedWork,
      memoryWorkSlowdown: medianOf(memoryWorkMs.subarray(i, j)) / spanMemoryWork,
      ...collectionsBetween(at[i]!, at[j]!, collections),
      atMs: at[i]! - spanStart,
      clientCpu: (clientCpuNs[j]! - clientCpuNs[i]!) / 1e6 / ms,
      clientWait: (clientWaitNs[j]! - clientWaitNs[i]!) / 1e6 / ms,
      machineBusy: machineMs / ms,
      steal: ((machineStealTicks[j]! - machineStealTicks[i]!) * TICK_MS) / ms,
      // Without a client pid its share is unknown, and counted as the others'.
      othersCpu: othersMs(i, j) / ms,
      minorFaults: minorFaultCount[j]! - minorFaultCount[i]!,
      majorFaults: majorFaultCount[j]! - majorFaultCount[i]!,
      statements: statementCount[j]! - statementCount[i]!,
      roundStatements,
      othersPeak,
    }
  }
  return best
}

/** Samples per window of the others' peak: 100 ms, so the 10 ms ticks of /proc/stat err by 10% of a vCPU at most. */
const PEAK_WINDOW = 20

/** What neither this process nor the client's main thread used of the machine between samples i and j, in ms. */
function othersMs(i: number, j: number): number {
  const machineMs = (machineBusyTicks[j]! - machineBusyTicks[i]!) * TICK_MS
  const processMs = (processCpuUs[j]! - processCpuUs[i]!) / 1000
  const clientMs = (clientCpuNs[j]! - clientCpuNs[i]!) / 1e6
  return Math.max(0, machineMs - processMs - (Number.isNaN(clientMs) ? 0 : clientMs))
}

function peakOthers(first: number, last: number): number {
  let peak = 0
  for (let i = first; i + PEAK_WINDOW <= last; i++) peak = Math.max(peak, othersMs(i, i + PEAK_WINDOW) / (at[i + PEAK_WINDOW]! - at[i]!))
  return peak
}

/** perf_hooks' gc entry kinds (`constants.NODE_PERFORMANCE_GC_*`). */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental marking',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
}

/** Pause time of the collections that started in [from, to) (performance.now() times), and the longest one's. */
function collectionsBetween(from: number, to: number, collections: number): Pick<SlowestWindow, 'collectionMs' | 'longestCollectionMs' | 'longestCollectionKind'> {
  let ms = 0
  let longest = -1
  for (let k = 0; k < collections; k++) {
    if (gcStart[k]! < from || gcStart[k]! >= to) continue
    ms += gcDuration[k]!
    if (longest < 0 || gcDuration[k]! > gcDuration[longest]!) longest = k
  }
  if (longest < 0) return { collectionMs: 0, longestCollectionMs: 0, longestCollectionKind: 'none' }
  return { collectionMs: ms, longestCollectionMs: gcDuration[longest]!, longestCollectionKind: GC_KINDS[gcKind[longest]!] ?? `kind ${gcKind[longest]}` }
}

function medianOf(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort()
  return sorted[sorted.length >> 1] ?? NaN
}
