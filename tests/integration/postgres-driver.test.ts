/**
 * The postgres.js patch (patches/postgres+3.4.9.patch) keeps one prepared-statement key per statement text and
 * parameter types instead of concatenating it for every query. The key must still tell the types apart: one text
 * sent with a boolean and then with a timestamp is two prepared statements, each planned for its own parameter type.
 * Only on PostgreSQL: PGlite does not go through postgres.js.
 */
import { afterAll, beforeAll, expect, it } from 'vitest'
import postgres from 'postgres'
import { openTestDatabase, onRealPostgres, type TestDatabase } from '../support/db.ts'

let db: TestDatabase | undefined
let client: postgres.Sql | undefined
beforeAll(async () => {
  if (!onRealPostgres()) return
  db = await openTestDatabase()
  // One connection, so every query below meets the same statement cache (unsafe() prepares only when asked, as
  // src/core/db/postgres.ts asks for every statement of a long-lived pool).
  client = postgres(db.url!, { max: 1, fetch_types: false, onnotice: () => {} })
})
afterAll(async () => {
  await client?.end({ timeout: 5 })
  await db?.close()
})

it.runIf(onRealPostgres())('prepares one text once per set of parameter types, and reuses each', async () => {
  const text = 'select $1 as value, pg_typeof($1)::text as type'
  const at = new Date('2026-07-01T08:00:00.000Z')
  for (let round = 0; round < 2; round++) {
    expect(await client!.unsafe(text, [true], { prepare: true })).toEqual([{ value: true, type: 'boolean' }])
    expect(await client!.unsafe(text, [at], { prepare: true })).toEqual([{ value: at, type: 'timestamp with time zone' }])
  }
  const prepared = await client!.unsafe<Array<{ n: number }>>(`select count(*)::int as n from pg_prepared_statements where statement = $1`, [text])
  expect(prepared[0]!.n).toBe(2)
})
