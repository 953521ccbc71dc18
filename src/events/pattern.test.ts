import { describe, expect, it } from 'vitest'
import { compilePattern, PatternError, validatePattern } from './pattern.ts'

const cases: Array<[pattern: string, type: string, matches: boolean]> = [
  ['booking.*', 'booking.held', true],
  ['booking.*', 'booking', false],
  ['booking.*', 'booking.held.extra', false],
  ['booking.*', 'bookings.held', false],
  ['*.cancelled', 'booking.cancelled', true],
  ['*.cancelled', 'departure.cancelled', true],
  ['*.cancelled', 'cancelled', false],
  ['*.cancelled', 'booking.cancelled.late', false],
  ['payment.#', 'payment', true],
  ['payment.#', 'payment.captured', true],
  ['payment.#', 'payment.refund.partial', true],
  ['payment.#', 'payments.captured', false],
  ['#', 'anything', true],
  ['#', 'a.b.c.d', true],
  ['#.cancelled', 'cancelled', true],
  ['#.cancelled', 'booking.cancelled', true],
  ['#.cancelled', 'booking.cancelled.x', false],
  ['booking.#.done', 'booking.done', true],
  ['booking.#.done', 'booking.a.b.done', true],
  ['booking.held', 'booking.held', true],
  ['booking.held', 'booking.heldx', false],
  ['*', 'booking', true],
  ['*', 'booking.held', false],
  ['*.*', 'booking.held', true],
  ['tour.*', 'tour_x.created', false],
]

describe('pattern matching on dot-separated segments', () => {
  it.each(cases)('%s against %s → %s', (pattern, type, matches) => {
    expect(compilePattern(pattern)(type)).toBe(matches)
  })

  it('rejects invalid patterns', () => {
    expect(() => validatePattern('')).toThrow(PatternError)
    expect(() => validatePattern('booking.')).toThrow(PatternError)
    expect(() => validatePattern('booking.he*ld')).toThrow(PatternError)
    expect(() => validatePattern('a..b')).toThrow(PatternError)
  })
})
