import { describe, expect, it } from 'vitest'
import { DomainError } from '../../core/errors.ts'
import { canonicalJson, decodeCursor, encodeCursor } from './cursor.ts'

const SECRET = 'test-secret-test-secret-test-secret'
const position = { s: 'price_asc', k: '1500000', id: '0190f5a2-7c1e-7b3a-9f00-2b1c3d4e5f60', f: 'abc' }

describe('signed search cursors', () => {
  it('round-trips a position', async () => {
    const cursor = await encodeCursor(position, SECRET)
    expect(await decodeCursor(cursor, SECRET, { sort: 'price_asc', fingerprint: 'abc' })).toEqual({ v: 1, ...position })
  })

  it('keeps Infinity keys (tours without departures sort last)', async () => {
    const cursor = await encodeCursor({ ...position, k: 'Infinity' }, SECRET)
    expect((await decodeCursor(cursor, SECRET, { sort: 'price_asc', fingerprint: 'abc' })).k).toBe('Infinity')
  })

  it('refuses an edited payload, a forged signature, another search and garbage — always naming query.cursor', async () => {
    const cursor = await encodeCursor(position, SECRET)
    const [payload, signature] = cursor.split('.') as [string, string]
    const edited = btoa(JSON.stringify({ v: 1, ...position, k: '0' })).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
    const attempts = [
      `${edited}.${signature}`,
      `${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`, // the first character: the last carries padding bits
      await encodeCursor(position, 'another-secret-another-secret-another'),
      'not-a-cursor',
      '',
    ]
    for (const attempt of attempts) {
      const error = await decodeCursor(attempt, SECRET, { sort: 'price_asc', fingerprint: 'abc' }).catch((e) => e)
      expect(error).toBeInstanceOf(DomainError)
      expect((error as DomainError).extra.errors?.[0]?.path).toBe('query.cursor')
    }
    await expect(decodeCursor(cursor, SECRET, { sort: 'price_desc', fingerprint: 'abc' })).rejects.toThrow(/another search/)
    await expect(decodeCursor(cursor, SECRET, { sort: 'price_asc', fingerprint: 'xyz' })).rejects.toThrow(/another search/)
  })
})

describe('canonicalJson', () => {
  // What the JSON.stringify-with-a-sorting-replacer form gave: the reference the hand-written one must match.
  const reference = (value: unknown) =>
    JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v))

  it.each([
    [{ b: 1, a: 'x', c: undefined }],
    [{ q: 'Авача "вулкан"\n', near: [53.28, 158.78], nested: { z: null, y: [1, undefined, { d: 2, c: 1 }] } }],
    [{ from: new Date('2027-01-01T00:00:00Z'), nan: Number.NaN, inf: Infinity, neg: -0, flag: false }],
    [[]],
    [{}],
    ['plain'],
    [42],
    [null],
  ])('matches sorted JSON.stringify for %j', (value) => {
    expect(canonicalJson(value)).toBe(reference(value))
  })

  it('is the same text whatever the key order', () => {
    expect(canonicalJson({ a: 1, b: { d: 1, c: 2 } })).toBe(canonicalJson({ b: { c: 2, d: 1 }, a: 1 }))
  })
})

