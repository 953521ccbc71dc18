/**
 * `npm run seed`: loads the demo catalogue — 14 operators, 62 tours at real Kamchatka places, seasonal departures
 * for the next twelve months — into DATABASE_URL, or the embedded PGlite under DATA_DIR (stop a running dev
 * server first: PGlite has one writer). Migrations are applied first unless MIGRATE_ON_START=false. Idempotent:
 * a second run adds nothing but departures that have entered the window. Seeded operator accounts
 * (<slug>@operators.kamhub.dev) get SEED_OPERATOR_PASSWORD, or a random password when it is unset.
 */
import { parseConfig, ConfigError } from '../core/config/schema.ts'
import { createLogger } from '../core/monitoring/logger.ts'
import { MetricsRegistry } from '../core/monitoring/metrics.ts'
import { migrate } from '../core/db/migrate.ts'
import { loadMigrations } from '../core/db/migrations.node.ts'
import { openDatabase } from '../runtime/server-deps.node.ts'
import { systemClock } from '../deps.ts'
import { seedCatalogue } from '../pillars/discovery/seed.ts'

async function main(): Promise<number> {
  const config = parseConfig(process.env)
  const password = process.env.SEED_OPERATOR_PASSWORD
  if (password !== undefined && password.length < 12) throw new ConfigError('SEED_OPERATOR_PASSWORD: at least 12 characters')
  // Log lines go to stderr: stdout carries only the JSON summary.
  const logger = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, destination: process.stderr })
  const db = await openDatabase(config, logger, new MetricsRegistry())
  try {
    if (config.MIGRATE_ON_START) await migrate(db, await loadMigrations())
    const startedAt = performance.now()
    const created = await seedCatalogue({ db, clock: systemClock }, { operatorPassword: password })
    console.log(JSON.stringify({ created, ms: Math.round(performance.now() - startedAt) }))
    return 0
  } finally {
    await db.close()
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof ConfigError ? error.message : `seed failed: ${(error as Error)?.message ?? error}`)
    process.exit(1)
  },
)
