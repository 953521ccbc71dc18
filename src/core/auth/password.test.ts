import { describe, expect, it } from 'vitest'
import { burnPasswordCheck, constantTimeEqual, hashPassword, verifyPassword } from './password.ts'

describe('password hashing', () => {
  it('stores a self-describing PBKDF2-SHA256 string with 100k iterations, a 16-byte salt and a 32-byte key', async () => {
    const hash = await hashPassword('correct horse battery')
    const [scheme, iterations, salt, key] = hash.split('$')
    expect(scheme).toBe('pbkdf2-sha256')
    expect(iterations).toBe('100000')
    expect(atob(salt! + '==').length).toBe(16)
    expect(atob(key! + '=').length).toBe(32)
    expect(hash).not.toContain('correct horse battery')
  })

  it('accepts the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse battery')
    expect(await verifyPassword('correct horse battery', hash)).toEqual({ ok: true, needsRehash: false })
    expect(await verifyPassword('correct horse battery!', hash)).toEqual({ ok: false, needsRehash: false })
  })

  it('the same password hashes differently each time (random salt)', async () => {
    expect(await hashPassword('correct horse battery')).not.toBe(await hashPassword('correct horse battery'))
  })

  it('a hash made with fewer iterations still verifies and asks to be rehashed', async () => {
    const weak = await hashPassword('correct horse battery', { iterations: 1_000 })
    expect(weak.split('$')[1]).toBe('1000')
    expect(await verifyPassword('correct horse battery', weak)).toEqual({ ok: true, needsRehash: true })
    expect(await verifyPassword('wrong password!!', weak)).toEqual({ ok: false, needsRehash: false })
  })

  it('compatibility-equivalent Unicode spellings of a password match (NFKC)', async () => {
    const hash = await hashPassword('ﬁrst-password')
    expect((await verifyPassword('first-password', hash)).ok).toBe(true)
  })

  it('refuses malformed, foreign or tampered stored hashes instead of throwing', async () => {
    for (const stored of ['', 'plain', '$2b$10$abcdefghijklmnopqrstuv', 'pbkdf2-sha256$abc$AAAA$AAAA', 'pbkdf2-sha256$999999999999$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAA', 'pbkdf2-sha256$1000$!!$!!']) {
      expect(await verifyPassword('correct horse battery', stored)).toEqual({ ok: false, needsRehash: false })
    }
  })

  it('the dummy check for unknown emails completes without matching anything', async () => {
    await expect(burnPasswordCheck('correct horse battery')).resolves.toBeUndefined()
  })

  it('constant-time comparison answers like ordinary equality', () => {
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 3]))).toBe(true)
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2, 4]))).toBe(false)
    expect(constantTimeEqual(new Uint8Array([1, 2, 3]), new Uint8Array([1, 2]))).toBe(false)
  })
})
