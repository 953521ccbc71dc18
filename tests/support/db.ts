/**
 * A fresh, migrated database for one test file: a PGlite copy of the run's template by default, or a new
 * PostgreSQL database cloned from the template when TEST_DATABASE_URL is set. `close()` releases (and on
 * PostgreSQL drops) it.
 */
import { inject } from 'vitest'
import { readFile } from 'node:fs/promises'
import postgres from 'postgres'
import type { Database } from '../../src/core/db/index.ts'
import { pgliteDatabase } from '../../src/core/db/pglite.ts'
import { pgliteThreadDatabase } from '../../src/core/db/pglite-thread.node.ts'
import { postgresDatabase } from '../../src/core/db/postgres.ts'
import type { QueryObserver } from '../../src/core/db/instrument.ts'
import { withDatabase } from './global-setup.ts'

export interface TestDatabase extends Database {
  /** Connection URL on PostgreSQL (for tests that need a second client); undefined on PGlite. */
  url?: string
}

let counter = 0

export async function openTestDatabase(options: { observe?: QueryObserver; max?: number } = {}): Promise<TestDatabase> {
  const target = inject('testDb')
  if (target.kind === 'pglite') {
    const tarball = new Blob([await readFile(target.templateFile)])
    // TEST_PGLITE=thread runs the suite on the server's adapter (PGlite in a worker thread) instead of in-process.
    const open = process.env.TEST_PGLITE === 'thread' ? pgliteThreadDatabase : pgliteDatabase
    return open({ loadDataDir: tarball, observe: options.observe })
  }
  const name = `${target.prefix}_${process.pid}_${++counter}_${Math.random().toString(36).slice(2, 6)}`
  const admin = postgres(target.adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name} template ${target.template}`)
  await admin.end()
  const url = withDatabase(target.adminUrl, name)
  const db = postgresDatabase({ url, max: options.max ?? 10, observe: options.observe })
  return {
    ...db,
    url,
    async close() {
      await db.close()
      const sql = postgres(target.adminUrl, { max: 1, onnotice: () => {} })
      await sql.unsafe(`drop database if exists ${name} with (force)`)
      await sql.end()
    },
  }
}

export const onRealPostgres = () => inject('testDb').kind === 'postgres'
