/**
 * When this dispatcher's own retries fall due: a binary min-heap of epoch milliseconds. An idle claim loop sleeps
 * until the earliest of them instead of polling for them, so the poll interval can be a long backstop (work a
 * crashed process left behind) without delaying a retry.
 */
export class DueTimes {
  private heap: number[] = []

  get size(): number {
    return this.heap.length
  }

  /** The earliest time, or undefined when none is waiting. */
  next(): number | undefined {
    return this.heap[0]
  }

  add(at: number): void {
    const h = this.heap
    h.push(at)
    for (let i = h.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1
      if (h[parent]! <= h[i]!) break
      ;[h[parent], h[i]] = [h[i]!, h[parent]!]
      i = parent
    }
  }

  /** Forgets the times at or before `t`: a claim that started at `t` has already seen those deliveries due. */
  dropThrough(t: number): void {
    while (this.heap.length && this.heap[0]! <= t) this.pop()
  }

  private pop(): void {
    const h = this.heap
    const last = h.pop()!
    if (!h.length) return
    h[0] = last
    for (let i = 0; ; ) {
      const l = 2 * i + 1
      const r = l + 1
      let least = i
      if (l < h.length && h[l]! < h[least]!) least = l
      if (r < h.length && h[r]! < h[least]!) least = r
      if (least === i) return
      ;[h[least], h[i]] = [h[i]!, h[least]!]
      i = least
    }
  }
}
