/**
 * A dispatcher in its own process, for reliability tests that kill it, run two of them, or restart PostgreSQL
 * under it. Its one subscription records (event id, pid) in `reliability_log`; events whose data says
 * `hang: true` record a `started` row and then never finish — the process is meant to be SIGKILLed there.
 */
import { sql } from 'drizzle-orm'
import { postgresDatabase } from '../../src/core/db/postgres.ts'
import { createLogger } from '../../src/core/monitoring/logger.ts'
import { MetricsRegistry } from '../../src/core/monitoring/metrics.ts'
import { createDispatcher } from '../../src/events/dispatcher.ts'
import { defineSubscription } from '../../src/events/subscription.ts'

const url = process.env.DATABASE_URL!
const leaseMs = Number(process.env.LEASE_MS ?? 30_000)
const db = postgresDatabase({ url, max: 4 })
const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' })

const subscription = defineSubscription('reliability', ['#'], async (event) => {
  // Only a process started with HANG=1 gets stuck: the next worker completes the same event.
  const hang = process.env.HANG === '1' && (event.data as { reason?: string }).reason === 'hang'
  await db.orm.execute(sql`insert into reliability_log (event_id, pid, phase) values (${event.id}, ${process.pid}, ${hang ? 'started' : 'done'})`)
  if (hang) await new Promise(() => {}) // stuck until SIGKILL
}, { maxAttempts: 50, backoffBaseMs: 50, backoffMaxMs: 500 })

const dispatcher = createDispatcher({
  db,
  subscriptions: [subscription],
  logger,
  metrics: new MetricsRegistry(),
  leaseMs,
  handlerTimeoutMs: leaseMs * 10, // let the hang outlive the lease: only the kill ends it
  batchSize: Number(process.env.BATCH_SIZE ?? 50),
  pollIntervalMs: Number(process.env.POLL_MS ?? 200),
  // As a server runs it (EVENTS_PUSH defaults on): the first worker to listen owns pushes. PUSH=0 turns it off.
  push: process.env.PUSH !== '0',
})

await dispatcher.start()
process.stdout.write('ready\n')
process.once('SIGTERM', async () => {
  await dispatcher.stop()
  await db.close()
  process.exit(0)
})
