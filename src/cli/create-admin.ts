/**
 * Creates an admin account: `npm run admin:create -- --email ops@example.com [--name "Ops"] [--promote]`.
 *
 * The password comes from ADMIN_PASSWORD or, when that is unset, from the first line of stdin
 * (`printf '%s\n' "$PW" | npm run admin:create -- --email ...`), never from an argument (it would show in `ps` and
 * shell history), and it is never printed. The database is the server's: DATABASE_URL, or the embedded PGlite
 * under DATA_DIR (stop a running dev server first: PGlite has one writer). Migrations are applied first unless
 * MIGRATE_ON_START=false. An existing email is refused, or with `--promote` given the admin role (its password
 * is left alone).
 */
import { parseArgs } from 'node:util'
import { createInterface } from 'node:readline'
import { parseConfig, ConfigError } from '../core/config/schema.ts'
import { createLogger } from '../core/monitoring/logger.ts'
import { MetricsRegistry } from '../core/monitoring/metrics.ts'
import { migrate } from '../core/db/migrate.ts'
import { loadMigrations } from '../core/db/migrations.node.ts'
import { openDatabase } from '../runtime/server-deps.node.ts'
import { createUser, normaliseEmail } from '../core/auth/service.ts'
import { findUserByEmail, updateUserRole } from '../core/auth/repo.ts'
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../core/auth/password.ts'
import { systemClock } from '../deps.ts'
import { z } from 'zod'

const USAGE = 'usage: npm run admin:create -- --email <email> [--name <display name>] [--promote]\n' +
  '       password from ADMIN_PASSWORD or the first line of stdin'

class UsageError extends Error {}

async function main(): Promise<number> {
  const values = readArgs()
  if (values.help) {
    console.log(USAGE)
    return 0
  }
  const email = z.email().max(254).safeParse(normaliseEmail(values.email ?? ''))
  if (!email.success) throw new UsageError('--email must be an email address')
  const displayName = (values.name ?? 'Administrator').trim()
  if (!displayName || displayName.length > 100) throw new UsageError('--name must be 1 to 100 characters')

  const config = parseConfig(process.env)
  const logger = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL })
  const db = await openDatabase(config, logger, new MetricsRegistry())
  try {
    if (config.MIGRATE_ON_START) await migrate(db, await loadMigrations())
    const existing = await findUserByEmail(db.orm, email.data)
    if (existing) {
      if (!values.promote) {
        console.error(`An account with ${email.data} already exists (role ${existing.role}); pass --promote to make it an admin`)
        return 1
      }
      await updateUserRole(db.orm, existing.id, 'admin', systemClock.now())
      console.log(JSON.stringify({ id: existing.id, email: existing.email, role: 'admin', promoted: true }))
      return 0
    }
    const password = config.ADMIN_PASSWORD ?? (await readFirstLine())
    if (password.length < PASSWORD_MIN_LENGTH || password.length > PASSWORD_MAX_LENGTH) {
      throw new UsageError(`the password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters (from ADMIN_PASSWORD or stdin)`)
    }
    const user = await createUser({ db, clock: systemClock }, { email: email.data, password, role: 'admin', displayName })
    if (!user) {
      console.error(`An account with ${email.data} already exists`)
      return 1
    }
    console.log(JSON.stringify({ id: user.id, email: user.email, role: user.role, created: true }))
    return 0
  } finally {
    await db.close()
  }
}

function readArgs() {
  try {
    return parseArgs({
      options: { email: { type: 'string' }, name: { type: 'string' }, promote: { type: 'boolean', default: false }, help: { type: 'boolean' } },
      strict: true,
    }).values
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** The first stdin line without its line ending; no prompt is printed (stdin is usually a pipe). */
function readFirstLine(): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, terminal: false })
    let answered = false
    rl.once('line', (line) => {
      answered = true
      rl.close()
      resolve(line)
    })
    rl.once('close', () => {
      if (!answered) resolve('')
    })
  })
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`)
    else if (error instanceof ConfigError) console.error(error.message)
    // First line only: a driver error's later lines list query parameters (here, the password hash).
    else console.error('admin:create failed:', String(error instanceof Error ? error.message : error).split('\n')[0])
    process.exit(error instanceof UsageError ? 2 : 1)
  },
)
