/**
 * Forward-only migrations from numbered plain SQL files (`sql/0001_name.sql`). Applied files are recorded with a
 * SHA-256 checksum; an applied file whose content changed stops the run — write a new migration instead.
 * All pending files apply in one transaction under an advisory lock, so concurrent starters (several Node
 * processes, a deploy CLI) never apply a file twice, and a failing file leaves the database as it was.
 */
import type { Database, ScriptTx } from './index.ts'

export interface MigrationFile {
  name: string
  sql: string
}

export interface MigrationResult {
  applied: string[]
  alreadyApplied: number
}

export class MigrationError extends Error {
  override name = 'MigrationError'
}

const FILE_NAME = /^\d{4}_[a-z0-9_]+\.sql$/
// Any fixed 64-bit number: it only has to be the same for every KamHub process sharing a database.
const LOCK_KEY = 727_001_001

export async function migrate(db: Database, files: MigrationFile[]): Promise<MigrationResult> {
  const ordered = validate(files)
  const withSums = await Promise.all(ordered.map(async (f) => ({ ...f, checksum: await sha256Hex(f.sql) })))
  return db.scriptTransaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [LOCK_KEY])
    await tx.exec(`create table if not exists schema_migrations (
      name text primary key,
      checksum text not null,
      applied_at timestamptz not null default now()
    )`)
    const rows = await tx.query<{ name: string; checksum: string }>('select name, checksum from schema_migrations')
    const known = new Map(rows.map((r) => [r.name, r.checksum]))
    assertUnchanged(known, withSums)
    const applied: string[] = []
    for (const file of withSums) {
      if (known.has(file.name)) continue
      await applyOne(tx, file)
      applied.push(file.name)
    }
    return { applied, alreadyApplied: known.size }
  })
}

async function applyOne(tx: ScriptTx, file: MigrationFile & { checksum: string }) {
  try {
    await tx.exec(file.sql)
  } catch (error) {
    throw new MigrationError(`migration ${file.name} failed: ${(error as Error).message}`)
  }
  await tx.query('insert into schema_migrations (name, checksum) values ($1, $2)', [file.name, file.checksum])
}

function validate(files: MigrationFile[]): MigrationFile[] {
  const seen = new Set<string>()
  for (const f of files) {
    if (!FILE_NAME.test(f.name)) throw new MigrationError(`migration file name must look like 0001_name.sql: ${f.name}`)
    const number = f.name.slice(0, 4)
    if (seen.has(number)) throw new MigrationError(`two migrations share the number ${number}`)
    seen.add(number)
  }
  return [...files].sort((a, b) => a.name.localeCompare(b.name))
}

function assertUnchanged(known: Map<string, string>, files: Array<MigrationFile & { checksum: string }>) {
  for (const f of files) {
    const recorded = known.get(f.name)
    if (recorded && recorded !== f.checksum) {
      throw new MigrationError(`migration ${f.name} was edited after it was applied (checksum differs); add a new migration instead`)
    }
  }
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
