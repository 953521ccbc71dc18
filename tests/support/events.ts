/** Helpers for event backbone tests: publish in a transaction, build dispatchers, count delivery states. */
import { sql } from 'drizzle-orm'
import { queryRows, type Database } from '../../src/core/db/index.ts'
import { createLogger } from '../../src/core/monitoring/logger.ts'
import { MetricsRegistry } from '../../src/core/monitoring/metrics.ts'
import { DUE_AT } from '../../src/events/deliveries.ts'
import { createDispatcher, type DispatcherOptions } from '../../src/events/dispatcher.ts'
import { publish } from '../../src/events/publish.ts'
import type { EventEnvelope } from '../../src/events/envelope.ts'

export const silentLogger = createLogger({ level: 'silent' })

export function dispatcherFor(db: Database, options: Partial<DispatcherOptions> & Pick<DispatcherOptions, 'subscriptions'>) {
  return createDispatcher({ db, logger: silentLogger, metrics: new MetricsRegistry(), listen: false, ...options })
}

let n = 0
export function bookingHeld(bookingId = `b-${++n}`, departureId = 'dep-1') {
  return {
    type: 'booking.held' as const,
    data: { bookingId, departureId, travellerId: 'u-1', seats: 2, expiresAt: new Date(Date.now() + 900_000).toISOString() },
    aggregate: { type: 'booking', id: bookingId },
  }
}

export async function publishOne(db: Database, event = bookingHeld()) {
  return db.orm.transaction((tx) => publish(tx, event))
}

export async function deliveryStates(db: Database, subscription?: string) {
  const rows = await queryRows<{ status: string; n: number }>(
    db.orm,
    sql`select status, count(*)::int as n from event_deliveries
        where (${subscription ?? null}::text is null or subscription = ${subscription ?? null}::text) group by status`,
  )
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Record<string, number>
}

/** Makes every pending delivery claimable now: stands in for waiting out a backoff or a lease. */
export function makeDue(db: Database) {
  return db.orm.execute(sql`update event_deliveries set next_attempt_at = now(), leased_until = null where status = 'pending'`)
}

/** Seconds until a delivery (`d`) may be claimed: its backoff or its lease, whichever ends later (negative once due). */
export const DUE_IN_SECONDS = sql`extract(epoch from ${DUE_AT} - now())::float8`

/** Collects handled events and lets a test await the n-th one without sleeping. */
export function recorder() {
  const seen: EventEnvelope[] = []
  let waiters: Array<{ count: number; resolve: () => void }> = []
  return {
    seen,
    handler: async (event: EventEnvelope) => {
      seen.push(event)
      waiters = waiters.filter((w) => (seen.length >= w.count ? (w.resolve(), false) : true))
    },
    waitFor(count: number): Promise<void> {
      if (seen.length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
  }
}
