/**
 * An idle dispatcher loop sleeps until its own next retry falls due, so the poll can be a long backstop without
 * delaying retries. Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { deliveryStates, dispatcherFor, publishOne, recorder } from '../../support/events.ts'
import { defineSubscription } from '../../../src/events/subscription.ts'
import type { EventEnvelope } from '../../../src/events/envelope.ts'

let db: TestDatabase
beforeEach(async () => {
  db = await openTestDatabase()
})
afterEach(() => db.close())

describe('retries wake the dispatcher', () => {
  it('a failed attempt runs again when its backoff is over, with no NOTIFY, no kick and a poll ten minutes away', async () => {
    const rec = recorder()
    let failuresLeft = 2
    const sub = defineSubscription(
      'flaky-soon',
      ['booking.*'],
      async (event: EventEnvelope) => {
        await rec.handler(event)
        if (failuresLeft-- > 0) throw new Error('provider down for a moment')
      },
      { maxAttempts: 5, backoffBaseMs: 40, backoffMaxMs: 200 },
    )
    const dispatcher = dispatcherFor(db, { subscriptions: [sub], listen: false, pollIntervalMs: 10 * 60_000 })
    await dispatcher.start()
    try {
      await publishOne(db)
      dispatcher.kick() // the publisher's after-commit wake: the first attempt; everything after is the retry timer
      await rec.waitFor(3) // two failures, then the success: without the retry wake-up this waits ten minutes
      expect(rec.seen.map((e) => e.id)).toEqual([rec.seen[0]!.id, rec.seen[0]!.id, rec.seen[0]!.id])
    } finally {
      await dispatcher.stop()
    }
    expect(await deliveryStates(db, 'flaky-soon')).toEqual({ delivered: 1 })
  })
})
