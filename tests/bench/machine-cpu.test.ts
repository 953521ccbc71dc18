/**
 * The benchmark names the busiest other processes of a slow paced round (bench/machine-cpu.ts): the server, the
 * client and the bench itself are left out, kernel workers of one kind are summed, and a pid reused by a new
 * process is counted from zero.
 */
import { describe, expect, it } from 'vitest'
import { busiestOthers, pagingCounters, processCpu, type CpuSnapshot } from '../../bench/machine-cpu.ts'

const snapshot = (entries: Array<[number, string, number, number?]>): CpuSnapshot =>
  new Map(entries.map(([pid, name, ticks, childTicks]) => [pid, { name, ticks, ...(childTicks !== undefined && { childTicks }) }]))

describe('busiestOthers', () => {
  it('ranks what others used over the round, as a share of one core', () => {
    const before = snapshot([
      [1, 'server', 0],
      [2, 'kdamond.0', 10],
      [3, 'beam.smp', 100],
      [4, 'kworker/0:1-events', 5],
      [5, 'kworker/1:2-events', 5],
      [8, 'kworker/u8:3-flush-254:0', 0],
      [6, 'old', 50],
    ])
    const after = snapshot([
      [1, 'server', 400],
      [2, 'kdamond.0', 30],
      [3, 'beam.smp', 105],
      [4, 'kworker/0:1-events', 10],
      [5, 'kworker/1:2-events', 13],
      [8, 'kworker/u8:3-flush-254:0', 2],
      [6, 'reused', 7], // pid 6 now belongs to another process: its 7 ticks are all new
      [7, 'redis-server', 1],
    ])
    // Over 2 s: kdamond 20 ticks = 10% of a core, the two "events" kworkers 5 + 8 = 13 → 7% (rounded), reused 7 → 4%.
    expect(busiestOthers(before, after, new Set([1]), 2)).toEqual(['kdamond.0 10%', 'kworker-events 7%', 'reused 4%'])
    expect(busiestOthers(before, after, new Set([1, 2, 4, 5, 6]), 2, 2)).toEqual(['beam.smp 3%', 'kworker-flush-254:0 1%'])
  })
})

describe('processCpu', () => {
  it('lists this process with the CPU it has used', () => {
    const own = processCpu().get(process.pid)
    expect(own).toBeDefined()
    expect(own!.ticks).toBeGreaterThanOrEqual(0)
    expect(own!.name.length).toBeGreaterThan(0)
  })
})

describe('pagingCounters', () => {
  it("reads the machine's major faults and file refaults, counters that only go up", () => {
    const first = pagingCounters()
    const second = pagingCounters()
    for (const key of ['majorFaults', 'fileRefaults'] as const) {
      expect(Number.isInteger(first[key])).toBe(true)
      expect(second[key]).toBeGreaterThanOrEqual(first[key])
    }
  })
})

describe('busiestOthers, exited children', () => {
  it("counts a short-lived command's CPU under the parent that reaped it", () => {
    // A daemon that ran a one-second command during the round: in neither snapshot, but in its parent's children's time.
    const before = snapshot([[9, 'daemon', 10, 0]])
    const after = snapshot([[9, 'daemon', 12, 100]])
    expect(busiestOthers(before, after, new Set(), 5)).toEqual(["daemon's exited children 20%", 'daemon 0%'])
  })
})
