import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { bookingHeld, deliveryStates, dispatcherFor, publishOne, recorder } from '../../support/events.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { defineSubscription, registerSubscriptions } from '../../../src/events/subscription.ts'
import { claimDeliveries, recordOutcomes, redriveDead } from '../../../src/events/deliveries.ts'
import type { EventEnvelope } from '../../../src/events/envelope.ts'
import { publish } from '../../../src/events/publish.ts'

let db: TestDatabase
beforeEach(async () => {
  db = await openTestDatabase()
})
afterEach(() => db.close())

/** Makes every pending delivery due now: stands in for waiting out a backoff or a lease. */
const makeDue = () => db.orm.execute(sql`update event_deliveries set next_attempt_at = now() where status = 'pending'`)

describe('delivery', () => {
  it('a failing handler is retried with backoff, then dead after max attempts; redrive brings it back', async () => {
    let calls = 0
    let fail = true
    const sub = defineSubscription('flaky', ['booking.*'], async () => {
      calls++
      if (fail) throw new Error('provider down')
    }, { maxAttempts: 3, backoffBaseMs: 60_000, backoffMaxMs: 600_000 })
    const dispatcher = dispatcherFor(db, { subscriptions: [sub] })
    await registerSubscriptions(db.orm, [sub])
    await publishOne(db)

    expect(await dispatcher.drain()).toBe(1)
    const [retry] = await queryRows<{ attempts: number; wait: number; last_error: string }>(
      db.orm,
      sql`select attempts, extract(epoch from next_attempt_at - now())::float8 as wait, last_error from event_deliveries`,
    )
    expect(retry!.attempts).toBe(1)
    expect(Number(retry!.wait)).toBeGreaterThan(25) // first retry in 30–60 s, not immediately
    expect(retry!.last_error).toContain('provider down')
    expect(await dispatcher.drain()).toBe(0) // not due yet

    await makeDue()
    await dispatcher.drain()
    await makeDue()
    await dispatcher.drain()
    expect(calls).toBe(3)
    expect(await deliveryStates(db)).toEqual({ dead: 1 })
    await makeDue()
    expect(await dispatcher.drain()).toBe(0) // dead stays dead

    fail = false
    expect(await redriveDead(db.orm, { subscription: 'flaky' })).toBe(1)
    await dispatcher.drain()
    expect(calls).toBe(4)
    expect(await deliveryStates(db)).toEqual({ delivered: 1 })
  })

  it('a worker that dies mid-handler loses its lease and the delivery runs again', async () => {
    const rec = recorder()
    const sub = defineSubscription('worker', ['booking.*'], rec.handler)
    await registerSubscriptions(db.orm, [sub])
    await publishOne(db)
    // A worker claims and then "dies": it never records an outcome.
    const claimed = await claimDeliveries(db.orm, { subscriptions: ['worker'], limit: 10, leaseMs: 60_000, owner: 'dead-worker' })
    expect(claimed).toHaveLength(1)
    const dispatcher = dispatcherFor(db, { subscriptions: [sub] })
    expect(await dispatcher.drain()).toBe(0) // still leased
    await makeDue() // the lease runs out
    expect(await dispatcher.drain()).toBe(1)
    expect(rec.seen).toHaveLength(1)
    // The dead worker waking up late cannot overwrite the newer outcome.
    expect(await recordOutcomes(db.orm, 'dead-worker', [{ id: claimed[0]!.id, result: 'retry', error: 'late', delayMs: 1 }])).toBe(0)
    expect(await deliveryStates(db)).toEqual({ delivered: 1 })
  })

  it('a delivery that keeps crashing its worker is set aside as poison', async () => {
    const rec = recorder()
    const sub = defineSubscription('victim', ['booking.*'], rec.handler, { maxAttempts: 10 })
    await registerSubscriptions(db.orm, [sub])
    await publishOne(db)
    for (let crash = 0; crash < 4; crash++) {
      await claimDeliveries(db.orm, { subscriptions: ['victim'], limit: 10, leaseMs: 60_000, owner: `crashing-${crash}` })
      await makeDue()
    }
    const dispatcher = dispatcherFor(db, { subscriptions: [sub], poisonAfterCrashes: 3 })
    await dispatcher.drain()
    expect(rec.seen).toHaveLength(0)
    const [row] = await queryRows<{ status: string; dead_reason: string }>(db.orm, sql`select status, dead_reason from event_deliveries`)
    expect(row).toEqual({ status: 'dead', dead_reason: 'poison' })
  })

  it('per-aggregate order holds through retries', async () => {
    const order: string[] = []
    let failFirst = true
    const sub = defineSubscription('ordered', ['booking.*'], async (event: EventEnvelope) => {
      const id = (event.data as { bookingId: string }).bookingId
      if (id === 'first' && failFirst) {
        failFirst = false
        throw new Error('transient')
      }
      order.push(`${event.aggregateid}/${id}`)
    }, { ordered: true, backoffBaseMs: 60_000 })
    await registerSubscriptions(db.orm, [sub])
    // Three events of one aggregate (departure dep-A) and one of another aggregate.
    const forDeparture = (bookingId: string, departureId: string) => ({ ...bookingHeld(bookingId, departureId), aggregate: { type: 'departure', id: departureId } })
    await publishOne(db, forDeparture('first', 'dep-A'))
    await publishOne(db, forDeparture('second', 'dep-A'))
    await publishOne(db, forDeparture('other', 'dep-B'))
    await publishOne(db, forDeparture('third', 'dep-A'))
    const dispatcher = dispatcherFor(db, { subscriptions: [sub] })
    await dispatcher.drain()
    expect(order).toEqual(['dep-B/other']) // dep-A waits behind its failed first event
    await makeDue()
    await dispatcher.drain()
    await dispatcher.drain()
    await dispatcher.drain()
    expect(order).toEqual(['dep-B/other', 'dep-A/first', 'dep-A/second', 'dep-A/third'])
  })

  it('delivers with NOTIFY off, by polling alone', async () => {
    const rec = recorder()
    const sub = defineSubscription('polled', ['booking.*'], rec.handler)
    const dispatcher = dispatcherFor(db, { subscriptions: [sub], listen: false, pollIntervalMs: 20 })
    await dispatcher.start()
    try {
      await publishOne(db)
      await rec.waitFor(1)
      expect(rec.seen).toHaveLength(1)
    } finally {
      await dispatcher.stop()
    }
  })

  it('NOTIFY wakes the dispatcher long before the poll interval', async () => {
    const rec = recorder()
    const sub = defineSubscription('notified', ['booking.*'], rec.handler)
    // A poll interval far beyond the test timeout: only NOTIFY can deliver in time.
    const dispatcher = dispatcherFor(db, { subscriptions: [sub], listen: true, pollIntervalMs: 10 * 60_000 })
    await dispatcher.start()
    try {
      await publishOne(db)
      await rec.waitFor(1)
      await publishOne(db)
      await rec.waitFor(2)
      expect(rec.seen).toHaveLength(2)
    } finally {
      await dispatcher.stop()
    }
  })

  it('ordered: the next event of an aggregate is claimed as soon as the previous outcome is recorded, not at the next poll', async () => {
    const rec = recorder()
    const sub = defineSubscription('ordered-live', ['booking.*'], rec.handler, { ordered: true })
    // One NOTIFY for both events and a poll interval far beyond the test timeout: only recording the first
    // outcome can get the second one claimed in time.
    const dispatcher = dispatcherFor(db, { subscriptions: [sub], listen: true, pollIntervalMs: 10 * 60_000 })
    await dispatcher.start()
    try {
      await db.orm.transaction(async (tx) => {
        await publish(tx, bookingHeld('one', 'dep-1'))
        await publish(tx, { ...bookingHeld('two', 'dep-1'), aggregate: { type: 'booking', id: 'one' } })
      })
      await rec.waitFor(2)
      expect(rec.seen.map((e) => (e.data as { bookingId: string }).bookingId)).toEqual(['one', 'two'])
    } finally {
      await dispatcher.stop()
    }
  })

  it('stop() returns once every claimed delivery has run and its outcome is recorded', async () => {
    const rec = recorder()
    const sub = defineSubscription('stopping', ['booking.*'], rec.handler)
    const dispatcher = dispatcherFor(db, { subscriptions: [sub], listen: true, pollIntervalMs: 10 * 60_000 })
    await dispatcher.start()
    for (let i = 0; i < 5; i++) await publishOne(db)
    await rec.waitFor(5)
    await dispatcher.stop()
    expect(await deliveryStates(db)).toEqual({ delivered: 5 })
  })

  it('fan-out: each subscriber gets its own delivery and its own retries', async () => {
    const a = recorder()
    let bCalls = 0
    const subs = [
      defineSubscription('a', ['#'], a.handler),
      defineSubscription('b', ['booking.held'], async () => {
        bCalls++
        throw new Error('b is down')
      }, { backoffBaseMs: 60_000 }),
    ]
    await registerSubscriptions(db.orm, subs)
    await publishOne(db)
    await dispatcherFor(db, { subscriptions: subs }).drain()
    expect(a.seen).toHaveLength(1)
    expect(bCalls).toBe(1)
    expect(await deliveryStates(db, 'a')).toEqual({ delivered: 1 })
    expect(await deliveryStates(db, 'b')).toEqual({ pending: 1 })
  })
})
