/**
 * The server's embedded database, PGlite in a worker thread, behaves as the in-process one does: the same values,
 * PostgreSQL's error fields, one session (a statement outside waits for an open transaction), savepoints, LISTEN.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { integer, pgTable, text } from 'drizzle-orm/pg-core'
import type { Database } from './index.ts'
import { rowsOf } from './index.ts'
import { pgliteThreadDatabase } from './pglite-thread.node.ts'
import { fromDatabaseError } from '../errors.ts'

let db: Database
const observed: string[] = []
beforeAll(async () => {
  db = await pgliteThreadDatabase({ observe: (text) => observed.push(text) })
  await db.scriptTransaction((tx) =>
    tx.exec(`
      create table thread_items (id int primary key, name text not null, constraint thread_items_name_key unique (name));
      create extension if not exists pg_trgm;
    `),
  )
}, 60_000)
afterAll(() => db?.close())

const items = pgTable('thread_items', { id: integer('id').primaryKey(), name: text('name').notNull() })
const names = async () => (await db.orm.select({ name: items.name }).from(items).orderBy(items.id)).map((r) => r.name)

describe('PGlite in a worker thread', () => {
  it('answers Drizzle queries, keeps Drizzle’s dates as text and gives plain queries their parsed values', async () => {
    await db.orm.insert(items).values({ id: 1, name: 'Avachinsky' })
    expect(await names()).toEqual(['Avachinsky'])
    const [raw] = rowsOf<{ at: unknown; bytes: unknown; doc: unknown; big: unknown }>(
      await db.orm.execute(sql`select timestamptz '2026-07-01 08:00+12' as at, '\\x0102'::bytea as bytes, '{"a":[1]}'::jsonb as doc, 9007199254740993::int8 as big`),
    )
    expect(raw!.at).toBe('2026-06-30 20:00:00+00')
    expect(raw!.bytes).toEqual(new Uint8Array([1, 2]))
    expect(raw!.doc).toEqual({ a: [1] })
    expect(raw!.big).toBe(9007199254740993n)
    const [parsed] = await db.scriptTransaction((tx) => tx.query<{ at: Date }>(`select timestamptz '2026-07-01 08:00+12' as at`))
    expect(parsed!.at).toEqual(new Date('2026-06-30T20:00:00Z'))
    expect(observed.some((text) => text.includes('thread_items'))).toBe(true)
  })

  it('loads the contrib extensions the migrations create', async () => {
    const [row] = rowsOf<{ s: number }>(await db.orm.execute(sql`select similarity('avacha', 'avachinsky') as s`))
    expect(row!.s).toBeGreaterThan(0.3)
  })

  it('carries PostgreSQL’s error fields across, so a unique violation is still a conflict', async () => {
    const error = await db.orm
      .insert(items)
      .values({ id: 2, name: 'Avachinsky' })
      .then(() => undefined, (e: unknown) => e)
    const cause = (error as { cause?: { code?: string; constraint?: string } }).cause
    expect(cause?.code).toBe('23505')
    expect(cause?.constraint).toBe('thread_items_name_key')
    expect(fromDatabaseError(error)?.code).toBe('conflict')
  })

  it('commits a transaction, rolls one back when it throws, and a savepoint alone when only the inner one throws', async () => {
    await db.orm.transaction(async (tx) => {
      await tx.insert(items).values({ id: 3, name: 'Koryaksky' })
    })
    await expect(
      db.orm.transaction(async (tx) => {
        await tx.insert(items).values({ id: 4, name: 'Mutnovsky' })
        throw new Error('changed my mind')
      }),
    ).rejects.toThrow('changed my mind')
    await db.orm.transaction(async (tx) => {
      await tx.insert(items).values({ id: 5, name: 'Gorely' })
      await tx
        .transaction(async (inner) => {
          await inner.insert(items).values({ id: 6, name: 'Tolbachik' })
          throw new Error('inner only')
        })
        .catch(() => undefined)
    })
    expect(await names()).toEqual(['Avachinsky', 'Koryaksky', 'Gorely'])
  })

  it('is one session: a statement outside an open transaction waits for it, then sees what it committed', async () => {
    let outside: Promise<string[]> | undefined
    await db.orm.transaction(async (tx) => {
      await tx.insert(items).values({ id: 7, name: 'Klyuchevskaya' })
      outside = names()
      // Still inside: the outside read has not run, yet this transaction's own statements go on.
      expect(rowsOf(await tx.execute(sql`select 1 as one`))).toEqual([{ one: 1 }])
    })
    expect(await outside).toContain('Klyuchevskaya')
  })

  it('runs scripts and delivers NOTIFY to listeners until they unlisten', async () => {
    const got: string[] = []
    const unlisten = await db.listen('thread_channel', (payload) => got.push(payload))
    await db.notify('thread_channel', 'first')
    // The thread posts a notification before the answer of the statement that raised it.
    expect(got).toEqual(['first'])
    await unlisten()
    await db.notify('thread_channel', 'second')
    await db.ping()
    expect(got).toEqual(['first'])
  })

  it('refuses calls once closed', async () => {
    const other = await pgliteThreadDatabase()
    await other.ping()
    await other.close()
    await expect(other.ping()).rejects.toThrow(/PGlite thread exited/)
  }, 60_000)
})
