import { describe, expect, it } from 'vitest'
import { DomainError } from '../../core/errors.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'

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
      `${payload}.${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`,
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
