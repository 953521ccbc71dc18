/**
 * `npm run migrate`: applies the pending `sql/` migrations to DATABASE_URL, or to the embedded PGlite database under
 * DATA_DIR when DATABASE_URL is unset, and prints what it applied. A Workers deploy runs it before `wrangler deploy`
 * (the Worker never migrates); Node and Deno also migrate at start-up, so there it is optional. Exits 1 on failure.
 * The URL is printed with its password masked, and so is any error text that might embed it.
 */
import { mkdir } from 'node:fs/promises'
import { parseConfig, ConfigError } from '../core/config/schema.ts'
import { postgresDatabase } from '../core/db/postgres.ts'
import { pgliteDatabase } from '../core/db/pglite.ts'
import { migrate } from '../core/db/migrate.ts'
import { loadMigrations } from '../core/db/migrations.node.ts'
import type { Database } from '../core/db/index.ts'

async function main(): Promise<number> {
  // Only the two variables that choose the database: a deploy shell need not carry the app's other settings.
  const config = parseConfig({ DATABASE_URL: process.env.DATABASE_URL, DATA_DIR: process.env.DATA_DIR })
  const target = config.DATABASE_URL ? maskPassword(config.DATABASE_URL) : `embedded PGlite in ${config.DATA_DIR}`
  console.log(`migrate: ${target}`)
  const db = await open(config.DATABASE_URL, config.DATA_DIR)
  try {
    const files = await loadMigrations()
    const { applied, alreadyApplied } = await migrate(db, files)
    for (const name of applied) console.log(`  applied ${name}`)
    console.log(`migrate: ${applied.length} applied, ${alreadyApplied} already applied (sql/ holds ${files.length})`)
    return 0
  } finally {
    await db.close()
  }
}

async function open(url: string | undefined, dataDir: string): Promise<Database> {
  if (url) return postgresDatabase({ url, max: 1, applicationName: 'kamhub-migrate' })
  await mkdir(dataDir, { recursive: true })
  return pgliteDatabase({ dataDir })
}

function maskPassword(url: string): string {
  const u = new URL(url)
  if (u.password) u.password = '***'
  return u.toString()
}

function describe(error: unknown): string {
  if (error instanceof ConfigError) return error.message
  const err = error as { message?: string; code?: string }
  const text = `${err?.message ?? String(error)}${err?.code ? ` (${err.code})` : ''}`
  const password = safePassword(process.env.DATABASE_URL)
  const masked = text.replace(/\/\/[^@\s/]*@/g, '//***@')
  return password ? masked.split(password).join('***') : masked
}

function safePassword(url: string | undefined): string | undefined {
  try {
    return url ? decodeURIComponent(new URL(url).password) || undefined : undefined
  } catch {
    return undefined
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`migrate failed: ${describe(error)}`)
    process.exit(1)
  },
)
