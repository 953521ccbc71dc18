import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eq } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../support/app.ts'
import { bearer, manualClock, postJson, registerUser } from '../support/auth.ts'
import { refreshTokens, users } from '../../src/core/auth/tables.ts'
import { hashRefreshToken } from '../../src/core/auth/tokens.ts'
import type { Session } from '../../src/core/auth/service.ts'

let t: TestApp
const clock = manualClock()
beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' }, deps: { clock } })
})
afterAll(() => t.close())

const refresh = (token: string) => postJson(t, '/v1/auth/refresh', { refreshToken: token })
const logout = (token: string) => postJson(t, '/v1/auth/logout', { refreshToken: token })
const rowOf = async (token: string) =>
  (await t.deps.db.orm.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, await hashRefreshToken(token))))[0]
const familyOf = async (familyId: string) => t.deps.db.orm.select().from(refreshTokens).where(eq(refreshTokens.familyId, familyId))

describe('refresh rotation', () => {
  it('a refresh token is stored only as its SHA-256', async () => {
    const { tokens, user } = await registerUser(t)
    const rows = await t.deps.db.orm.select().from(refreshTokens).where(eq(refreshTokens.userId, user.id))
    expect(rows).toHaveLength(1)
    expect(rows[0]!.tokenHash).toBe(await hashRefreshToken(tokens.refreshToken))
    expect(JSON.stringify(rows)).not.toContain(tokens.refreshToken)
  })

  it('every refresh returns a new token pair in the same family and spends the old token', async () => {
    const first = await registerUser(t)
    const res = await refresh(first.tokens.refreshToken)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const second = (await res.json()) as Session
    expect(second.user).toEqual(first.user)
    expect(second.tokens.refreshToken).not.toBe(first.tokens.refreshToken)
    expect((await t.app.request('/v1/me', { headers: bearer(second.tokens.accessToken) })).status).toBe(200)

    const old = await rowOf(first.tokens.refreshToken)
    const next = await rowOf(second.tokens.refreshToken)
    expect(next!.familyId).toBe(old!.familyId)
    expect(old!.rotatedAt).not.toBeNull()
    expect(old!.replacedBy).toBe(next!.id)
    expect(next!.rotatedAt).toBeNull()

    const third = (await (await refresh(second.tokens.refreshToken)).json()) as Session
    expect(third.tokens.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })

  it('reusing a rotated refresh token revokes the whole family and answers 401', async () => {
    const first = await registerUser(t)
    const second = (await (await refresh(first.tokens.refreshToken)).json()) as Session

    const replay = await refresh(first.tokens.refreshToken)
    expect(replay.status).toBe(401)
    expect(await replay.json()).toMatchObject({ code: 'unauthorized' })

    // The legitimate holder's newer token died with the family.
    expect((await refresh(second.tokens.refreshToken)).status).toBe(401)
    const family = await familyOf((await rowOf(first.tokens.refreshToken))!.familyId)
    expect(family).toHaveLength(2)
    expect(family.every((r) => r.revokedAt !== null && r.revokeReason === 'reuse_detected')).toBe(true)
  })

  it('reuse revokes only the affected family: the same user’s other sessions live on', async () => {
    const reg = await registerUser(t)
    const other = (await (await postJson(t, '/v1/auth/login', { email: reg.user.email, password: 'correct horse battery' })).json()) as Session
    await refresh(reg.tokens.refreshToken)
    expect((await refresh(reg.tokens.refreshToken)).status).toBe(401)
    expect((await refresh(other.tokens.refreshToken)).status).toBe(200)
  })

  it('two refreshes racing with the same token: one wins, the loser is treated as reuse and the family is revoked', async () => {
    const { tokens } = await registerUser(t)
    const answers = await Promise.all([refresh(tokens.refreshToken), refresh(tokens.refreshToken)])
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401])
    const winner = (await answers.find((r) => r.status === 200)!.json()) as Session
    expect((await refresh(winner.tokens.refreshToken)).status).toBe(401)
    const family = await familyOf((await rowOf(tokens.refreshToken))!.familyId)
    expect(family).toHaveLength(2)
    expect(family.every((r) => r.revokedAt !== null)).toBe(true)
  })

  it('an expired refresh token is refused, and does not rotate', async () => {
    const { tokens } = await registerUser(t)
    clock.advance(t.deps.config.REFRESH_TOKEN_TTL_SECONDS + 1)
    try {
      expect((await refresh(tokens.refreshToken)).status).toBe(401)
      expect((await rowOf(tokens.refreshToken))!.rotatedAt).toBeNull()
    } finally {
      clock.advance(-(t.deps.config.REFRESH_TOKEN_TTL_SECONDS + 1))
    }
  })

  it('unknown and malformed refresh tokens are a 401 with the same detail as a revoked one', async () => {
    const unknown = await refresh('A'.repeat(43))
    const malformed = await refresh('not a token')
    const { tokens } = await registerUser(t)
    await logout(tokens.refreshToken)
    const revoked = await refresh(tokens.refreshToken)
    const details = await Promise.all([unknown, malformed, revoked].map(async (r) => [r.status, ((await r.json()) as { detail: string }).detail]))
    expect(new Set(details.map((d) => JSON.stringify(d))).size).toBe(1)
    expect(details[0]![0]).toBe(401)
  })
})

describe('logout', () => {
  it('revokes the family: neither the current nor an earlier token refreshes afterwards', async () => {
    const first = await registerUser(t)
    const second = (await (await refresh(first.tokens.refreshToken)).json()) as Session
    const res = await logout(second.tokens.refreshToken)
    expect(res.status).toBe(204)
    expect((await refresh(second.tokens.refreshToken)).status).toBe(401)
    expect((await refresh(first.tokens.refreshToken)).status).toBe(401)
    const family = await familyOf((await rowOf(first.tokens.refreshToken))!.familyId)
    expect(family.map((r) => r.revokeReason).sort()).toEqual(['logout', 'logout'])
  })

  it('is idempotent and silent about tokens it does not know', async () => {
    const { tokens } = await registerUser(t)
    expect((await logout(tokens.refreshToken)).status).toBe(204)
    expect((await logout(tokens.refreshToken)).status).toBe(204)
    expect((await logout('B'.repeat(43))).status).toBe(204)
    expect((await logout('garbage')).status).toBe(204)
  })

  it('needs a refresh token in the body', async () => {
    const res = await postJson(t, '/v1/auth/logout', {})
    expect(res.status).toBe(400)
  })
})

describe('role changes reach new tokens', () => {
  it('a refresh reads the current role from the database', async () => {
    const { user, tokens } = await registerUser(t)
    await t.deps.db.orm.update(users).set({ role: 'operator' }).where(eq(users.id, user.id))
    const next = (await (await refresh(tokens.refreshToken)).json()) as Session
    expect(next.user.role).toBe('operator')
    const claims = JSON.parse(atob(next.tokens.accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')))
    expect(claims.role).toBe('operator')
  })
})
