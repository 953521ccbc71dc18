import { describe, expect, it } from 'vitest'
import { CODE_ALPHABET, confirmationCode } from './confirmation-code.ts'

describe('confirmationCode', () => {
  it('is 8 characters from the unambiguous alphabet (no 0, O, 1, I, L, U)', () => {
    for (let i = 0; i < 1000; i++) expect(confirmationCode()).toMatch(/^[2-9A-HJKMNP-TV-Z]{8}$/)
    expect(CODE_ALPHABET).not.toMatch(/[01OILU]/)
  })

  it('uses every symbol of the alphabet (rejection sampling reaches the whole range)', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 500; i++) for (const ch of confirmationCode()) seen.add(ch)
    expect(seen.size).toBe(CODE_ALPHABET.length)
  })
})
