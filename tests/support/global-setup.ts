/**
 * Prepares one migrated database template per test run, so test files copy it instead of migrating each time:
 * PGlite — a data-dir tarball (`loadDataDir` is ~0.7 s, initdb + migrate is ~4 s); PostgreSQL — a template
 * database in a run-specific name, dropped with every copy at the end (no state leaks between runs).
 */
import type { TestProject } from 'vitest/node'
import { mkdir, writeFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import postgres from 'postgres'
import { PGLITE_EXTENSIONS, pgliteFromClient } from '../../src/core/db/pglite.ts'
import { postgresDatabase } from '../../src/core/db/postgres.ts'
import { migrate } from '../../src/core/db/migrate.ts'
import { loadMigrations } from '../../src/core/db/migrations.node.ts'
import { PGlite } from '@electric-sql/pglite'

declare module 'vitest' {
  export interface ProvidedContext {
    testDb: { kind: 'pglite'; templateFile: string } | { kind: 'postgres'; adminUrl: string; template: string; prefix: string }
  }
}

const TMP = join(process.cwd(), '.tmp')

export default async function setup(project: TestProject) {
  const url = process.env.TEST_DATABASE_URL
  const runId = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  if (url) return setupPostgres(project, url, runId)
  return setupPglite(project, runId)
}

async function setupPglite(project: TestProject, runId: string) {
  await mkdir(TMP, { recursive: true })
  const pg = await PGlite.create({ extensions: PGLITE_EXTENSIONS })
  await migrate(pgliteFromClient(pg), await loadMigrations())
  const tarball = await pg.dumpDataDir('gzip')
  const templateFile = join(TMP, `pglite-template-${runId}.tar.gz`)
  await writeFile(templateFile, Buffer.from(await tarball.arrayBuffer()))
  await pg.close()
  project.provide('testDb', { kind: 'pglite', templateFile })
  return async () => {
    await rm(templateFile, { force: true })
  }
}

async function setupPostgres(project: TestProject, adminUrl: string, runId: string) {
  const prefix = `kamhub_t_${runId}`
  const template = `${prefix}_tpl`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${template}`)
  const db = postgresDatabase({ url: withDatabase(adminUrl, template), max: 1 })
  try {
    await migrate(db, await loadMigrations())
  } finally {
    await db.close()
  }
  await admin.end()
  project.provide('testDb', { kind: 'postgres', adminUrl, template, prefix })
  return async () => {
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {} })
    const rows = await sql<{ datname: string }[]>`select datname from pg_database where datname like ${prefix + '%'}`
    for (const { datname } of rows) await sql.unsafe(`drop database if exists ${datname} with (force)`)
    await sql.end()
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}
