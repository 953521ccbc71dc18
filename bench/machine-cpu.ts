/**
 * Benchmark parent: which processes other than the server, the client and this one used the CPUs during a paced
 * round. The sampler (bench/sched-sampler.ts) says how much of a slow window the others took; this names them, over
 * the whole round (per-process CPU is in 10 ms ticks, too coarse for a 50 ms window, and reading every process's
 * /proc entry every 5 ms would load the machine it measures). Read once before the round's schedule and once after;
 * the machine's paging counters too.
 */
import { readdirSync, readFileSync } from 'node:fs'

/** USER_HZ: /proc counts CPU time in hundredths of a second on every mainstream Linux build. */
export const CLOCK_TICKS_PER_SECOND = 100

export interface ProcessStat {
  name: string
  /** User + system CPU so far, in ticks. */
  ticks: number
  /** The same of its exited children that it has reaped. */
  childTicks?: number
  /** Minor page faults so far (a page touched for the first time, or given back and touched again). */
  minorFaults?: number
}

export type CpuSnapshot = Map<number, ProcessStat>

/** A process's /proc/<pid>/stat: its name and CPU ticks (throws if the process is gone). */
export function processStat(pid: number): Required<ProcessStat> {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const close = stat.lastIndexOf(')')
  // After "pid (name) ": state, ppid, … minflt is the 8th field, utime the 12th, stime the 13th, cutime and cstime
  // the next two.
  const fields = stat.slice(close + 2).split(' ')
  return {
    name: stat.slice(stat.indexOf('(') + 1, close),
    ticks: Number(fields[11]) + Number(fields[12]),
    childTicks: Number(fields[13]) + Number(fields[14]),
    minorFaults: Number(fields[7]),
  }
}

/**
 * Every process's name and user + system ticks so far (kernel threads included), and its exited children's (a
 * short-lived process — a command a daemon runs every minute — is in neither snapshot, but its CPU is added to its
 * parent's once the parent reaps it); empty off Linux.
 */
export function processCpu(): CpuSnapshot {
  const out: CpuSnapshot = new Map()
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return out
  }
  for (const entry of entries) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    try {
      out.set(pid, processStat(pid))
    } catch {
      // Exited between the listing and the read.
    }
  }
  return out
}

/**
 * The busiest processes between two snapshots, leaving out `excluded` pids, as "name 12%" (of one core over
 * `seconds`); a process that started in between counts from zero. Processes of one name are summed (kworkers of one work queue).
 */
export function busiestOthers(before: CpuSnapshot, after: CpuSnapshot, excluded: ReadonlySet<number>, seconds: number, top = 3): string[] {
  const byName = new Map<string, number>()
  const add = (key: string, ticks: number) => ticks > 0 && byName.set(key, (byName.get(key) ?? 0) + ticks)
  for (const [pid, { name, ticks, childTicks = 0 }] of after) {
    if (excluded.has(pid)) continue
    const earlier = before.get(pid)?.name === name ? before.get(pid) : undefined
    // kworker/1:1H-kblockd → kworker-kblockd: the CPU and worker numbers go, the work queue it last ran stays.
    const key = name.replace(/\/u?\d+:\d+H?/, '')
    add(key, ticks - (earlier?.ticks ?? 0))
    add(`${key}'s exited children`, childTicks - (earlier?.childTicks ?? 0))
  }
  return [...byName]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ticks]) => `${name} ${Math.round((ticks / CLOCK_TICKS_PER_SECOND / seconds) * 100)}%`)
}

/** The machine's page-fault counters from /proc/vmstat that say memory was taken away and brought back. */
export interface PagingCounters {
  /** Faults that read a page from disk. */
  majorFaults: number
  /** File pages read again soon after they were evicted (the working set paged out). */
  fileRefaults: number
}

export function pagingCounters(): PagingCounters {
  let text = ''
  try {
    text = readFileSync('/proc/vmstat', 'utf8')
  } catch {
    return { majorFaults: NaN, fileRefaults: NaN }
  }
  const read = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN)
  return { majorFaults: read('pgmajfault'), fileRefaults: read('workingset_refault_file') }
}
