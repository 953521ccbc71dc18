import { describe, expect, it } from 'vitest'
import { DueTimes } from './due-times.ts'

describe('DueTimes', () => {
  it('gives the earliest time whatever the order of adds, and drops everything at or before a claim', () => {
    const due = new DueTimes()
    expect(due.next()).toBeUndefined()
    for (const t of [50, 10, 40, 10, 30, 20, 60]) due.add(t)
    expect(due.next()).toBe(10)
    due.dropThrough(10)
    expect([due.next(), due.size]).toEqual([20, 5])
    due.dropThrough(35)
    expect([due.next(), due.size]).toEqual([40, 3])
    due.dropThrough(1_000)
    expect([due.next(), due.size]).toEqual([undefined, 0])
  })

  it('keeps heap order over many random adds and drops', () => {
    const due = new DueTimes()
    const reference: number[] = []
    let seed = 7
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
    for (let round = 0; round < 200; round++) {
      for (let i = 0; i < 5; i++) {
        const t = Math.floor(random() * 10_000)
        due.add(t)
        reference.push(t)
      }
      const cut = Math.floor(random() * 10_000 * (round / 200))
      due.dropThrough(cut)
      reference.splice(0, reference.length, ...reference.filter((t) => t > cut))
      expect(due.next()).toBe(reference.length ? Math.min(...reference) : undefined)
      expect(due.size).toBe(reference.length)
    }
  })
})
