/**
 * Access and refresh tokens.
 *
 * Access token: a short-lived HS256 JWT (`jose`, WebCrypto underneath) with `iss`, `sub` (user id), `role`,
 * `email`, `iat`, `exp` and a random `jti`. Verification pins the algorithm to HS256 (no `none`, no key confusion),
 * checks issuer and expiry, and validates the claims' shapes before anything trusts them.
 *
 * Refresh token: 32 random bytes, base64url — opaque to the client. Only its SHA-256 (hex) is stored, so a copy
 * of the database cannot be replayed as a session; rotation and family revocation live in service.ts.
 */
import { SignJWT, jwtVerify } from 'jose'
import { ROLES, type AuthUser, type Role } from './principal.ts'

export interface AccessTokenOptions {
  secret: string
  issuer: string
  ttlSeconds: number
  now: Date
}

export interface AccessToken {
  token: string
  expiresAt: Date
}

export async function issueAccessToken(user: AuthUser, { secret, issuer, ttlSeconds, now }: AccessTokenOptions): Promise<AccessToken> {
  const iat = Math.floor(now.getTime() / 1000)
  const exp = iat + ttlSeconds
  const token = await new SignJWT({ role: user.role, email: user.email })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(user.id)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .setJti(crypto.randomUUID())
    .sign(keyOf(secret))
  return { token, expiresAt: new Date(exp * 1000) }
}

/** The caller proven by `token`, or undefined when it is malformed, forged, expired or from another issuer. */
export async function verifyAccessToken(
  token: string,
  { secret, issuer, now }: Pick<AccessTokenOptions, 'secret' | 'issuer' | 'now'>,
): Promise<AuthUser | undefined> {
  try {
    const { payload } = await jwtVerify(token, keyOf(secret), {
      algorithms: ['HS256'],
      issuer,
      currentDate: now,
      requiredClaims: ['sub', 'exp', 'iat'],
    })
    const { sub, role, email } = payload
    if (typeof sub !== 'string' || !sub || typeof email !== 'string' || !isRole(role)) return undefined
    return { id: sub, email, role }
  } catch {
    return undefined
  }
}

const REFRESH_TOKEN_BYTES = 32

export function newRefreshToken(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(REFRESH_TOKEN_BYTES)))
}

/** What the database stores and looks tokens up by. */
export async function hashRefreshToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** A presented refresh token worth a database lookup: 43 base64url characters (32 bytes). */
export function looksLikeRefreshToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token)
}

function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret)
}

function toBase64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}
