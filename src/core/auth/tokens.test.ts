import { describe, expect, it } from 'vitest'
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose'
import { hashRefreshToken, issueAccessToken, looksLikeRefreshToken, newRefreshToken, verifyAccessToken } from './tokens.ts'
import type { AuthUser } from './principal.ts'

const secret = 'a-test-secret-that-is-at-least-32-characters'
const user: AuthUser = { id: '0b8c1a52-2f1e-4f4a-9f57-3f1f5d1a2b3c', email: 'anna@example.com', role: 'operator' }
const now = new Date('2026-11-01T10:00:00Z')
const options = { secret, issuer: 'kamhub', ttlSeconds: 900, now }

describe('access tokens', () => {
  it('carry sub, role, email, iss and an expiry TTL seconds after issuance, signed HS256', async () => {
    const { token, expiresAt } = await issueAccessToken(user, options)
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'HS256', typ: 'JWT' })
    const claims = decodeJwt(token)
    expect(claims).toMatchObject({ sub: user.id, role: 'operator', email: user.email, iss: 'kamhub', iat: now.getTime() / 1000, exp: now.getTime() / 1000 + 900 })
    expect(typeof claims.jti).toBe('string')
    expect(expiresAt.toISOString()).toBe('2026-11-01T10:15:00.000Z')
  })

  it('verify back to the same user while valid', async () => {
    const { token } = await issueAccessToken(user, options)
    expect(await verifyAccessToken(token, { secret, issuer: 'kamhub', now: new Date(now.getTime() + 899_000) })).toEqual(user)
  })

  it('are refused once expired', async () => {
    const { token } = await issueAccessToken(user, options)
    expect(await verifyAccessToken(token, { secret, issuer: 'kamhub', now: new Date(now.getTime() + 901_000) })).toBeUndefined()
  })

  it('are refused when signed with another secret or from another issuer', async () => {
    const { token } = await issueAccessToken(user, options)
    expect(await verifyAccessToken(token, { secret: secret + 'x', issuer: 'kamhub', now })).toBeUndefined()
    expect(await verifyAccessToken(token, { secret, issuer: 'someone-else', now })).toBeUndefined()
  })

  it('are refused unsigned (alg none) or with a tampered payload', async () => {
    const { token } = await issueAccessToken(user, options)
    const [header, payload, signature] = token.split('.')
    const none = `${btoa(JSON.stringify({ alg: 'none', typ: 'JWT' })).replace(/=+$/, '')}.${payload}.`
    expect(await verifyAccessToken(none, { secret, issuer: 'kamhub', now })).toBeUndefined()
    const admin = btoa(JSON.stringify({ ...decodeJwt(token), role: 'admin' })).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')
    expect(await verifyAccessToken(`${header}.${admin}.${signature}`, { secret, issuer: 'kamhub', now })).toBeUndefined()
  })

  it('are refused when a correctly signed token carries an unknown role or no subject', async () => {
    const key = new TextEncoder().encode(secret)
    const iat = now.getTime() / 1000
    const base = () => new SignJWT({ role: 'superuser', email: user.email }).setProtectedHeader({ alg: 'HS256' }).setIssuer('kamhub').setIssuedAt(iat).setExpirationTime(iat + 60)
    expect(await verifyAccessToken(await base().setSubject(user.id).sign(key), { secret, issuer: 'kamhub', now })).toBeUndefined()
    const noSub = await new SignJWT({ role: 'traveller', email: user.email }).setProtectedHeader({ alg: 'HS256' }).setIssuer('kamhub').setIssuedAt(iat).setExpirationTime(iat + 60).sign(key)
    expect(await verifyAccessToken(noSub, { secret, issuer: 'kamhub', now })).toBeUndefined()
  })

  it('garbage is refused without throwing', async () => {
    for (const t of ['', 'abc', 'a.b.c', '....']) expect(await verifyAccessToken(t, { secret, issuer: 'kamhub', now })).toBeUndefined()
  })
})

describe('refresh tokens', () => {
  it('are 32 random bytes in base64url, different every time', () => {
    const a = newRefreshToken()
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(looksLikeRefreshToken(a)).toBe(true)
    expect(newRefreshToken()).not.toBe(a)
    expect(looksLikeRefreshToken('short')).toBe(false)
  })

  it('are stored as their SHA-256 in hex, never as themselves', async () => {
    const token = newRefreshToken()
    const hash = await hashRefreshToken(token)
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    expect(hash).not.toContain(token)
    expect(await hashRefreshToken(token)).toBe(hash)
  })
})
