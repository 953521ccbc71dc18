/**
 * Accounts and sessions: register, login, refresh, logout, profile, role changes.
 *
 * Guarantees:
 * - An unknown email and a wrong password fail the same way (same error, same detail) after the same KDF work.
 * - Registration only ever creates travellers; roles are raised by an admin (`setUserRole`) or the bootstrap.
 * - A session is a refresh-token family. Each refresh rotates: the presented token is marked rotated and a new one
 *   joins the family, atomically. Presenting a rotated token again means two parties hold the family (one of them
 *   stole it): the whole family is revoked, so the thief's and the victim's tokens both die, and the answer is 401.
 * - Logout revokes the family. All of these answer without saying which case applied.
 * - Secrets are never part of an error or a log line; only their issuance returns them.
 */
import type { Deps } from '../../deps.ts'
import { jwtSecret } from '../config/schema.ts'
import { DomainError } from '../errors.ts'
import type { Executor } from '../db/index.ts'
import type { AuthUser, Role } from './principal.ts'
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.ts'
import { hashRefreshToken, issueAccessToken, looksLikeRefreshToken, newRefreshToken } from './tokens.ts'
import {
  claimRefreshToken,
  findRefreshTokenByHash,
  findUserByEmail,
  findUserById,
  insertRefreshToken,
  insertUser,
  revokeFamily,
  updatePasswordHash,
  updateUserRole,
} from './repo.ts'
import type { UserRow } from './tables.ts'

export type AuthDeps = Pick<Deps, 'db' | 'config' | 'clock' | 'logger'>

export interface PublicUser {
  id: string
  email: string
  role: Role
  displayName: string
  createdAt: string
}

export interface TokenPair {
  tokenType: 'Bearer'
  accessToken: string
  accessTokenExpiresAt: string
  /** Seconds the access token is valid for (OAuth's `expires_in`). */
  expiresIn: number
  refreshToken: string
  refreshTokenExpiresAt: string
}

export interface Session {
  user: PublicUser
  tokens: TokenPair
}

/** Emails compare trimmed and lower-cased everywhere (register, login, bootstrap, CLI). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase()
}

export async function register(deps: AuthDeps, input: { email: string; password: string; displayName: string }): Promise<Session> {
  const now = deps.clock.now()
  // Hash before opening the transaction: the KDF is the slow part and must not hold a connection.
  const passwordHash = await hashPassword(input.password)
  return deps.db.orm.transaction(async (tx) => {
    const user = await insertUser(tx, { email: normaliseEmail(input.email), passwordHash, role: 'traveller', displayName: input.displayName, now })
    if (!user) throw new DomainError('conflict', 'This email is already registered')
    return openSession(tx, deps, user, now)
  })
}

export async function login(deps: AuthDeps, input: { email: string; password: string }): Promise<Session> {
  const user = await findUserByEmail(deps.db.orm, normaliseEmail(input.email))
  if (!user) {
    await burnPasswordCheck(input.password)
    throw invalidCredentials()
  }
  const check = await verifyPassword(input.password, user.passwordHash)
  if (!check.ok) throw invalidCredentials()
  const rehashed = check.needsRehash ? await hashPassword(input.password) : undefined
  const now = deps.clock.now()
  return deps.db.orm.transaction(async (tx) => {
    if (rehashed) await updatePasswordHash(tx, user.id, rehashed, now)
    return openSession(tx, deps, user, now)
  })
}

type RefreshOutcome = { kind: 'ok'; session: Session } | { kind: 'invalid' } | { kind: 'reused'; userId: string; familyId: string }

export async function refresh(deps: AuthDeps, refreshToken: string): Promise<Session> {
  if (!looksLikeRefreshToken(refreshToken)) throw invalidRefreshToken()
  const tokenHash = await hashRefreshToken(refreshToken)
  const now = deps.clock.now()
  const nextId = crypto.randomUUID()
  // The transaction returns the outcome instead of throwing, so a family revocation commits before the 401.
  const outcome = await deps.db.orm.transaction(async (tx): Promise<RefreshOutcome> => {
    const claimed = await claimRefreshToken(tx, { tokenHash, replacedBy: nextId, now })
    if (!claimed) {
      const row = await findRefreshTokenByHash(tx, tokenHash)
      if (row?.rotatedAt && !row.revokedAt) {
        await revokeFamily(tx, row.familyId, 'reuse_detected', now)
        return { kind: 'reused', userId: row.userId, familyId: row.familyId }
      }
      return { kind: 'invalid' }
    }
    const user = await findUserById(tx, claimed.userId)
    if (!user) return { kind: 'invalid' }
    return { kind: 'ok', session: await openSession(tx, deps, user, now, { familyId: claimed.familyId, tokenId: nextId }) }
  })
  if (outcome.kind === 'ok') return outcome.session
  if (outcome.kind === 'reused') {
    deps.logger.warn({ userId: outcome.userId, familyId: outcome.familyId }, 'refresh reuse detected; session family revoked')
  }
  throw invalidRefreshToken()
}

/** Ends the session the token belongs to. Idempotent, and silent about tokens it does not know. */
export async function logout(deps: AuthDeps, refreshToken: string): Promise<void> {
  if (!looksLikeRefreshToken(refreshToken)) return
  const tokenHash = await hashRefreshToken(refreshToken)
  const now = deps.clock.now()
  await deps.db.orm.transaction(async (tx) => {
    const row = await findRefreshTokenByHash(tx, tokenHash)
    if (row) await revokeFamily(tx, row.familyId, 'logout', now)
  })
}

export async function getProfile(deps: AuthDeps, userId: string): Promise<PublicUser> {
  const user = await findUserById(deps.db.orm, userId)
  // A valid token for a deleted account: the caller is no longer anyone.
  if (!user) throw new DomainError('unauthorized', 'The account no longer exists', { headers: { 'WWW-Authenticate': 'Bearer realm="kamhub", error="invalid_token"' } })
  return toPublicUser(user)
}

/**
 * Grants a role. Admins cannot change their own role, so the last admin cannot lock everyone out by accident.
 * Access tokens already issued keep their role until they expire (ACCESS_TOKEN_TTL_SECONDS); the next refresh
 * reads the new one.
 */
export async function setUserRole(deps: AuthDeps, actor: AuthUser, userId: string, role: Role): Promise<PublicUser> {
  if (actor.id === userId) throw new DomainError('forbidden', 'Admins cannot change their own role')
  const user = await updateUserRole(deps.db.orm, userId, role, deps.clock.now())
  if (!user) throw new DomainError('not_found', 'No such user')
  return toPublicUser(user)
}

/**
 * Creates an account with any role (bootstrap and CLI only — never reachable from register). Answers undefined when
 * the email is taken.
 */
export async function createUser(
  deps: Pick<AuthDeps, 'db' | 'clock'>,
  input: { email: string; password: string; role: Role; displayName: string },
): Promise<PublicUser | undefined> {
  const passwordHash = await hashPassword(input.password)
  const user = await insertUser(deps.db.orm, {
    email: normaliseEmail(input.email),
    passwordHash,
    role: input.role,
    displayName: input.displayName,
    now: deps.clock.now(),
  })
  return user && toPublicUser(user)
}

async function openSession(
  ex: Executor,
  deps: AuthDeps,
  user: UserRow,
  now: Date,
  { familyId = crypto.randomUUID(), tokenId = crypto.randomUUID() }: { familyId?: string; tokenId?: string } = {},
): Promise<Session> {
  const { config } = deps
  const refreshToken = newRefreshToken()
  const refreshExpiresAt = new Date(now.getTime() + config.REFRESH_TOKEN_TTL_SECONDS * 1000)
  await insertRefreshToken(ex, {
    id: tokenId,
    userId: user.id,
    familyId,
    tokenHash: await hashRefreshToken(refreshToken),
    expiresAt: refreshExpiresAt,
    createdAt: now,
  })
  const access = await issueAccessToken(
    { id: user.id, email: user.email, role: user.role },
    { secret: jwtSecret(config), issuer: config.JWT_ISSUER, ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS, now },
  )
  return {
    user: toPublicUser(user),
    tokens: {
      tokenType: 'Bearer',
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt.toISOString(),
      expiresIn: config.ACCESS_TOKEN_TTL_SECONDS,
      refreshToken,
      refreshTokenExpiresAt: refreshExpiresAt.toISOString(),
    },
  }
}

function toPublicUser(user: UserRow): PublicUser {
  return { id: user.id, email: user.email, role: user.role, displayName: user.displayName, createdAt: user.createdAt.toISOString() }
}

function invalidCredentials() {
  return new DomainError('unauthorized', 'The email or password is incorrect')
}

function invalidRefreshToken() {
  return new DomainError('unauthorized', 'The refresh token is invalid, expired or revoked')
}
