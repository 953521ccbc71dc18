import { describe, expect, it } from 'vitest'
import { compactSql } from './compiled.ts'

describe('compactSql', () => {
  it('drops -- comments and makes each run of whitespace one space', () => {
    expect(compactSql(`select a,   b -- the two columns\n  from t\n\twhere a = $1 -- why\n`)).toBe('select a, b from t where a = $1')
  })

  it('copies string literals and quoted identifiers as they are, doubled quotes included', () => {
    const text = `select '--  not a comment', 'it''s  two  spaces', "odd  ""name"" --x" from t`
    expect(compactSql(text)).toBe(text)
  })

  it('refuses what it does not parse rather than mangling it', () => {
    expect(() => compactSql('select 1 /* note */')).toThrow(/block comments/)
    expect(() => compactSql('select $$a -- b$$')).toThrow(/dollar quoting/)
    expect(() => compactSql("select 'open")).toThrow(/Unterminated/)
  })

  it('leaves positional parameters alone', () => {
    expect(compactSql('select $1::text, $12')).toBe('select $1::text, $12')
  })
})
