/**
 * The rows behind the Idempotency-Key middleware (table `idempotency_keys`, sql/0006_idempotency.sql).
 *
 * Every statement is short and stands alone — no transaction is held while the handler runs, so the claim works the
 * same on PGlite (one session) and PostgreSQL. The claim is a single `insert … on conflict do nothing`: of two
 * racing requests exactly one inserts. Taking over a row (expired, or in flight past the lock timeout) is one
 * conditional `update`, so only one taker wins. Completing and releasing match the owner's `lock_token`: a request
 * whose row was taken over cannot overwrite or delete the new owner's.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../db/index.ts'

export interface StoredAnswer {
  status: number
  headers: Record<string, string>
  body: string
}

export type Claim =
  | { kind: 'owned'; lockToken: string }
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'mismatch' }
  | { kind: 'in_flight' }

export interface ClaimInput {
  scope: string
  key: string
  fingerprint: string
  now: Date
  ttlMs: number
  lockTimeoutMs: number
}

interface KeyRow {
  fingerprint: string
  status: number | null
  headers: string | null
  body: string | null
}

export async function claimKey(ex: Executor, input: ClaimInput): Promise<Claim> {
  const { scope, key, fingerprint, now, ttlMs, lockTimeoutMs } = input
  const nowAt = now.toISOString()
  const expiresAt = new Date(now.getTime() + ttlMs).toISOString()
  const staleBefore = new Date(now.getTime() - lockTimeoutMs).toISOString()
  // A row can vanish between the statements (its owner failed and released it): then the claim starts over.
  for (let attempt = 0; attempt < 3; attempt++) {
    const lockToken = crypto.randomUUID()
    const inserted = await queryRows(
      ex,
      sql`insert into idempotency_keys (scope, key, fingerprint, lock_token, locked_at, created_at, expires_at)
          values (${scope}, ${key}, ${fingerprint}, ${lockToken}::uuid, ${nowAt}::timestamptz, ${nowAt}::timestamptz, ${expiresAt}::timestamptz)
          on conflict (scope, key) do nothing returning 1 as ok`,
    )
    if (inserted.length) return { kind: 'owned', lockToken }
    // Expired keys are free again whatever their body; a crashed owner's row only for the same request.
    const taken = await queryRows(
      ex,
      sql`update idempotency_keys
          set fingerprint = ${fingerprint}, lock_token = ${lockToken}::uuid, locked_at = ${nowAt}::timestamptz,
              status = null, headers = null, body = null, completed_at = null,
              created_at = ${nowAt}::timestamptz, expires_at = ${expiresAt}::timestamptz
          where scope = ${scope} and key = ${key}
            and (expires_at <= ${nowAt}::timestamptz
                 or (completed_at is null and locked_at <= ${staleBefore}::timestamptz and fingerprint = ${fingerprint}))
          returning 1 as ok`,
    )
    if (taken.length) return { kind: 'owned', lockToken }
    const [row] = await queryRows<KeyRow>(
      ex,
      sql`select fingerprint, status::int as status, headers::text as headers, body
          from idempotency_keys where scope = ${scope} and key = ${key}`,
    )
    if (!row) continue
    if (row.fingerprint !== fingerprint) return { kind: 'mismatch' }
    if (row.status === null) return { kind: 'in_flight' }
    return { kind: 'replay', answer: { status: Number(row.status), headers: JSON.parse(row.headers ?? '{}'), body: row.body ?? '' } }
  }
  // Three owners in a row failed while this request looked: tell the client to come back rather than spin.
  return { kind: 'in_flight' }
}

/** Stores the owner's answer; false when the row is no longer this request's (it was taken over). */
export async function completeKey(
  ex: Executor,
  { scope, key, lockToken, answer, now }: { scope: string; key: string; lockToken: string; answer: StoredAnswer; now: Date },
): Promise<boolean> {
  const rows = await queryRows(
    ex,
    sql`update idempotency_keys
        set status = ${answer.status}, headers = ${JSON.stringify(answer.headers)}::jsonb, body = ${answer.body},
            completed_at = ${now.toISOString()}::timestamptz
        where scope = ${scope} and key = ${key} and lock_token = ${lockToken}::uuid and completed_at is null
        returning 1 as ok`,
  )
  return rows.length > 0
}

/** Forgets an unfinished claim so the client's retry runs the handler again. */
export async function releaseKey(ex: Executor, { scope, key, lockToken }: { scope: string; key: string; lockToken: string }): Promise<void> {
  await queryRows(
    ex,
    sql`delete from idempotency_keys
        where scope = ${scope} and key = ${key} and lock_token = ${lockToken}::uuid and completed_at is null
        returning 1 as ok`,
  )
}

/**
 * Deletes keys past their expiry (IDEMPOTENCY_TTL_HOURS after first use), in batches of one statement each so a
 * backlog never holds a long transaction. Meant for the hourly retention timer; returns how many rows went.
 */
export async function pruneIdempotencyKeys(ex: Executor, { now, batchSize = 5000 }: { now: Date; batchSize?: number }): Promise<number> {
  let total = 0
  for (;;) {
    const rows = await queryRows<{ n: number }>(
      ex,
      sql`with gone as (
            delete from idempotency_keys where (scope, key) in (
              select scope, key from idempotency_keys where expires_at <= ${now.toISOString()}::timestamptz limit ${batchSize})
            returning 1)
          select count(*)::int as n from gone`,
    )
    const n = Number(rows[0]?.n ?? 0)
    total += n
    if (n < batchSize) return total
  }
}
