/**
 * events_oldest_due_age_seconds is read when /metrics is scraped (a query per scrape), not refreshed by a timer
 * every poll interval whether anyone looks or not. Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { dispatcherFor, publishOne } from '../../support/events.ts'
import { defineSubscription, registerSubscriptions } from '../../../src/events/subscription.ts'

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('the event lag gauge', () => {
  let t: TestApp
  beforeAll(async () => {
    t = await startTestApp()
  })
  afterAll(() => t?.close())

  const scrape = async () => sample(await (await t.app.request('/metrics')).text(), 'events_oldest_due_age_seconds')

  it('shows the age of the oldest due delivery at scrape time while a dispatcher runs, and stops being read when it stops', async () => {
    // A delivery no running dispatcher takes ('elsewhere' has no handler here), due for a minute already.
    await registerSubscriptions(t.db.orm, [defineSubscription('elsewhere', ['booking.*'], async () => {})])
    await publishOne(t.db)
    await t.db.orm.execute(sql`update event_deliveries set next_attempt_at = now() - interval '60 seconds' where subscription = 'elsewhere'`)
    const dispatcher = dispatcherFor(t.db, { metrics: t.deps.metrics, subscriptions: [defineSubscription('here', ['tour.*'], async () => {})] })
    await dispatcher.start()
    try {
      const lag = await scrape()
      expect(lag).toBeGreaterThanOrEqual(59)
      expect(lag).toBeLessThan(600)
    } finally {
      await dispatcher.stop()
    }
    await t.db.orm.execute(sql`update event_deliveries set next_attempt_at = now() - interval '3600 seconds' where subscription = 'elsewhere'`)
    expect(await scrape()).toBeLessThan(600) // the stopped dispatcher's reader is gone: the last value stays
  })
})
