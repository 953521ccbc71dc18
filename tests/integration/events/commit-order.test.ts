/**
 * The ordering trap: seq is assigned at insert, transactions commit in another order. A reader that walked by seq
 * would deliver seq 2, move its cursor past 1, and never see event 1 when it commits late. Deliveries are claimed
 * by state, not by cursor, so both arrive.
 */
import { afterEach, beforeEach, expect, it } from 'vitest'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { bookingHeld, dispatcherFor, recorder } from '../../support/events.ts'
import { publish } from '../../../src/events/publish.ts'
import { defineSubscription, registerSubscriptions } from '../../../src/events/subscription.ts'

let db: TestDatabase
beforeEach(async () => {
  db = await openTestDatabase()
})
afterEach(() => db.close())

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

it('two transactions committing in reverse seq order: both events are delivered', async () => {
  if (db.kind === 'pglite') {
    // PGlite is one session: a second transaction cannot even start while the first is open, so the trap
    // cannot occur there. The guarantee is proven on real PostgreSQL (TEST_DATABASE_URL).
    return
  }
  const rec = recorder()
  const sub = defineSubscription('walker', ['booking.*'], rec.handler)
  await registerSubscriptions(db.orm, [sub])
  const dispatcher = dispatcherFor(db, { subscriptions: [sub] })

  const firstInserted = deferred()
  const releaseFirst = deferred()
  const first = db.orm.transaction(async (tx) => {
    const p = await publish(tx, bookingHeld('early-seq'))
    firstInserted.resolve()
    await releaseFirst.promise // hold the transaction open: seq taken, not committed
    return p
  })
  await firstInserted.promise
  const second = await db.orm.transaction((tx) => publish(tx, bookingHeld('late-seq')))

  await dispatcher.drain()
  expect(rec.seen.map((e) => (e.data as { bookingId: string }).bookingId)).toEqual(['late-seq'])

  releaseFirst.resolve()
  const firstPublished = await first
  expect(BigInt(firstPublished.seq)).toBeLessThan(BigInt(second.seq))

  await dispatcher.drain()
  expect(rec.seen.map((e) => (e.data as { bookingId: string }).bookingId)).toEqual(['late-seq', 'early-seq'])
})
