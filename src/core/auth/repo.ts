/**
 * Queries over users and refresh tokens. Every function takes the executor first — the database or an open
 * transaction — so the service decides what commits together. Times come from the caller's clock, not `now()`,
 * so expiry is judged by one clock and tests can move it.
 */
import { and, eq, gt, isNull } from 'drizzle-orm'
import type { Executor } from '../db/index.ts'
import type { Role } from './principal.ts'
import { refreshTokens, users, type RefreshTokenRow, type RevokeReason, type UserRow } from './tables.ts'

export interface NewUser {
  email: string
  passwordHash: string
  role: Role
  displayName: string
  now: Date
}

/** Inserts the user, or answers undefined when the email is taken (no exception, no half-written row). */
export async function insertUser(ex: Executor, user: NewUser): Promise<UserRow | undefined> {
  const rows = await ex
    .insert(users)
    .values({
      email: user.email,
      passwordHash: user.passwordHash,
      role: user.role,
      displayName: user.displayName,
      createdAt: user.now,
      updatedAt: user.now,
    })
    .onConflictDoNothing({ target: users.email })
    .returning()
  return rows[0]
}

export async function findUserByEmail(ex: Executor, email: string): Promise<UserRow | undefined> {
  const rows = await ex.select().from(users).where(eq(users.email, email)).limit(1)
  return rows[0]
}

export async function findUserById(ex: Executor, id: string): Promise<UserRow | undefined> {
  const rows = await ex.select().from(users).where(eq(users.id, id)).limit(1)
  return rows[0]
}

export async function updatePasswordHash(ex: Executor, id: string, passwordHash: string, now: Date): Promise<void> {
  await ex.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, id))
}

export async function updateUserRole(ex: Executor, id: string, role: Role, now: Date): Promise<UserRow | undefined> {
  const rows = await ex.update(users).set({ role, updatedAt: now }).where(eq(users.id, id)).returning()
  return rows[0]
}

export interface NewRefreshToken {
  id: string
  userId: string
  familyId: string
  tokenHash: string
  expiresAt: Date
  createdAt: Date
}

export async function insertRefreshToken(ex: Executor, token: NewRefreshToken): Promise<void> {
  await ex.insert(refreshTokens).values(token)
}

/**
 * Rotation in one statement: marks the token rotated only if it is still live (not rotated, not revoked, not
 * expired). Two requests racing with the same token cannot both win — the second one's update finds the row
 * already rotated (PostgreSQL re-checks the condition after the first commits) and gets nothing back.
 */
export async function claimRefreshToken(
  ex: Executor,
  { tokenHash, replacedBy, now }: { tokenHash: string; replacedBy: string; now: Date },
): Promise<RefreshTokenRow | undefined> {
  const rows = await ex
    .update(refreshTokens)
    .set({ rotatedAt: now, replacedBy })
    .where(
      and(
        eq(refreshTokens.tokenHash, tokenHash),
        isNull(refreshTokens.rotatedAt),
        isNull(refreshTokens.revokedAt),
        gt(refreshTokens.expiresAt, now),
      ),
    )
    .returning()
  return rows[0]
}

export async function findRefreshTokenByHash(ex: Executor, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  const rows = await ex.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, tokenHash)).limit(1)
  return rows[0]
}

/** Revokes every still-live token of a family; answers how many were live. Already-revoked rows keep their reason. */
export async function revokeFamily(ex: Executor, familyId: string, reason: RevokeReason, now: Date): Promise<number> {
  const rows = await ex
    .update(refreshTokens)
    .set({ revokedAt: now, revokeReason: reason })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
    .returning({ id: refreshTokens.id })
  return rows.length
}
