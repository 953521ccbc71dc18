/** Reads `sql/*.sql` from disk (Node and Deno; Workers run migrations from the CLI before deploy). */
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import type { MigrationFile } from './migrate.ts'

export const SQL_DIR = fileURLToPath(new URL('../../../sql/', import.meta.url))

export async function loadMigrations(dir = SQL_DIR): Promise<MigrationFile[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.sql')).sort()
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(join(dir, name), 'utf8') })))
}
