import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { migrate, MigrationError, type MigrationFile } from './migrate.ts'
import { openTestDatabase, type TestDatabase } from '../../../tests/support/db.ts'
import { postgresDatabase } from './postgres.ts'

let db: TestDatabase
beforeEach(async () => {
  db = await openTestDatabase()
})
afterEach(() => db.close())

const tableExists = async (name: string) =>
  (await db.scriptTransaction((tx) => tx.query<{ t: string | null }>('select to_regclass($1)::text as t', [name])))[0]?.t !== null

const files: MigrationFile[] = [
  { name: '9001_first.sql', sql: 'create table m_first (id int primary key);' },
  { name: '9002_second.sql', sql: 'create table m_second (id int primary key); insert into m_second values (1), (2);' },
]

describe('migrate', () => {
  it('applies pending files in order, once', async () => {
    const first = await migrate(db, [...files].reverse())
    expect(first.applied).toEqual(['9001_first.sql', '9002_second.sql'])
    const again = await migrate(db, files)
    expect(again.applied).toEqual([])
    expect(await tableExists('m_second')).toBe(true)
  })

  it('refuses a file edited after it was applied', async () => {
    await migrate(db, files)
    const edited = [files[0]!, { ...files[1]!, sql: files[1]!.sql + ' -- tweak' }]
    await expect(migrate(db, edited)).rejects.toThrow(/9002_second.sql was edited/)
  })

  it('a failing file leaves the database as it was', async () => {
    const broken = [...files, { name: '9003_broken.sql', sql: 'create table m_third (id int); select * from no_such_table;' }]
    await expect(migrate(db, broken)).rejects.toThrow(MigrationError)
    expect(await tableExists('m_first')).toBe(false)
    expect(await tableExists('m_third')).toBe(false)
  })

  it('rejects badly named or duplicate-numbered files', async () => {
    await expect(migrate(db, [{ name: 'init.sql', sql: '' }])).rejects.toThrow(/0001_name.sql/)
    await expect(
      migrate(db, [
        { name: '9001_a.sql', sql: '' },
        { name: '9001_b.sql', sql: '' },
      ]),
    ).rejects.toThrow(/share the number 9001/)
  })

  it('concurrent runners apply each file exactly once (real PostgreSQL)', async () => {
    if (!db.url) return expect(db.kind).toBe('pglite') // one session: concurrency is only meaningful on a server
    const others = Array.from({ length: 4 }, () => postgresDatabase({ url: db.url!, max: 1 }))
    try {
      const results = await Promise.all(others.map((o) => migrate(o, files)))
      const applied = results.flatMap((r) => r.applied)
      expect(applied.sort()).toEqual(['9001_first.sql', '9002_second.sql'])
    } finally {
      await Promise.all(others.map((o) => o.close()))
    }
  })
})
