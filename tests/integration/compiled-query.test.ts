/**
 * A compiled statement (src/core/db/compiled.ts) runs through the executor's own Drizzle session: on both drivers,
 * on the database and inside a transaction, with its placeholders filled per run.
 */
import { afterEach, beforeEach, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { openTestDatabase, type TestDatabase } from '../support/db.ts'
import { compileQuery } from '../../src/core/db/compiled.ts'
import { queryRows } from '../../src/core/db/index.ts'

let db: TestDatabase
beforeEach(async () => {
  db = await openTestDatabase()
})
afterEach(() => db.close())

const echo = compileQuery<{ word: string; n: number; words: string }>(
  () => sql`select ${sql.placeholder('word')}::text as word, -- a comment that is not sent
    ${sql.placeholder('n')}::int + 1 as next, cardinality(${sql.placeholder('words')}::text[]) as count, ${sql.placeholder('word')}::text = 'a' as first`,
)

it('fills its placeholders anew on every run, and sends no comments', async () => {
  expect(echo.text).not.toContain('--')
  expect(await echo.rows(db.orm, { word: 'a', n: 1, words: '{x,y}' })).toEqual([{ word: 'a', next: 2, count: 2, first: true }])
  expect(await echo.rows(db.orm, { word: 'b', n: 41, words: '{}' })).toEqual([{ word: 'b', next: 42, count: 0, first: false }])
})

it('runs inside a transaction, and rolls back with it', async () => {
  const insert = compileQuery<{ name: string }>(() => sql`insert into compiled_probe (name) values (${sql.placeholder('name')}) returning name`)
  await db.orm.execute(sql`create table compiled_probe (name text)`)
  await expect(
    db.orm.transaction(async (tx) => {
      expect(await insert.rows(tx, { name: 'kept?' })).toEqual([{ name: 'kept?' }])
      throw new Error('roll back')
    }),
  ).rejects.toThrow('roll back')
  await insert.rows(db.orm, { name: 'kept' })
  expect(await queryRows(db.orm, sql`select name from compiled_probe`)).toEqual([{ name: 'kept' }])
})
