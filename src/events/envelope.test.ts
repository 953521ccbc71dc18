import { describe, expect, it } from 'vitest'
import { uuidv7 } from './envelope.ts'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** The 48-bit Unix milliseconds at the front of a UUIDv7. */
const millisecondsOf = (id: string) => parseInt(id.slice(0, 8) + id.slice(9, 13), 16)

describe('uuidv7', () => {
  it('has version 7, the RFC 9562 variant and the given time in its first 48 bits', () => {
    const now = Date.parse('2026-07-15T08:30:00.123Z')
    const id = uuidv7(now)
    expect(id).toMatch(V7)
    expect(millisecondsOf(id)).toBe(now)
    expect(millisecondsOf(uuidv7(0))).toBe(0)
    expect(millisecondsOf(uuidv7(2 ** 48 - 1))).toBe(2 ** 48 - 1)
  })

  it('ignores a fraction of a millisecond', () => {
    expect(millisecondsOf(uuidv7(1_700_000_000_000.75))).toBe(1_700_000_000_000)
  })

  it('sorts by creation time, and its 74 random bits differ between ids of one millisecond', () => {
    const earlier = Array.from({ length: 100 }, () => uuidv7(1_700_000_000_000))
    const later = uuidv7(1_700_000_000_001)
    for (const id of earlier) expect(id < later).toBe(true)
    expect(new Set(earlier).size).toBe(earlier.length)
    // rand_a (after the version digit) and rand_b (after the variant) both vary
    expect(new Set(earlier.map((id) => id.slice(15, 18))).size).toBeGreaterThan(50)
    expect(new Set(earlier.map((id) => id.slice(24))).size).toBe(earlier.length)
  })
})
