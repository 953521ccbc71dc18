import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { eventually } from '../../support/eventually.ts'
import { bookingHeld, deliveryStates, dispatcherFor, DUE_IN_SECONDS, makeDue, publishOne, recorder } from '../../support/events.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { defineSubscription, registerSubscriptions } from '../../../src/events/subscription.ts'
import { claimDeliveries, recordOutcomes, redriveDead } from '../../../src/events/deliveries.ts'
import type { EventEnvelope } from '../../../src/events/envelope.ts'
import { publish } from '../../../src/events/publish.ts'
import { MetricsRegistry } from '../../../src/core/monitoring/metrics.ts'

let db: TestDatabase
beforeEach(async () => {
  db = await openTestDatabase()
})
afterEach(() => db.close())


describe('delivery', () => {
  it('a failing handler is retried with backoff, then dead after max attempts; redrive brings it back', async () => {
    let calls = 0
    let fail = true
    const sub = defineSubscription('flaky', ['booking.*'], async () => {
      calls++
      if (fail) throw new Error('provider down')
    }, { maxAttempts: 3, backoffBaseMs: 600_000, backoffMaxMs: 6_000_000 })
    const dispatcher = dispatcherFor(db, { subscriptions: [sub] })
    await registerSubscriptions(db.orm, [sub])
    await publishOne(db)

    expect(await dispatcher.drain()).toBe(1)
    const [retry] = await queryRows<{ attempts: number; wait: number; last_error: string }>(
      db.orm,
      sql`select attempts, ${DUE_IN_SECONDS} as wait, last_error from event_deliveries d`,
    )
    expect(retry!.attempts).toBe(1)
    expect(Number(retry!.wait)).toBeGreaterThan(60) // first retry in 5–10 min, not immediately
    expect(retry!.last_error).toContain('provider down')
    expect(await dispatcher.drain()).toBe(0) // not due yet

    await makeDue(db)
    await dispatcher.drain()
    await makeDue(db)
    await dispatcher.drain()
    expect(calls).toBe(3)
    expect(await deliveryStates(db)).toEqual({ dead: 1 })
    await makeDue(db)
    expect(await dispatcher.drain()).toBe(0) // dead stays dead

    fail = false
    expect(await redriveDead(db.orm, { subscription: 'flaky' })).toBe(1)
    await dispatcher.drain()
    expect(calls).toBe(4)
    expect(await deliveryStates(db)).toEqual({ delivered: 1 })
  })

  it('counts its claims by result: claimed (took deliveries) or empty', async () => {
    const rec = recorder()
    const sub = defineSubscription('counted', ['booking.*'], rec.handler)
    const metrics = new MetricsRegistry()
    const dispatcher = dispatcherFor(db, { subscriptions: [sub], metrics })
    await registerSubscriptions(db.orm, [sub])
    await publishOne(db)
    await publishOne(db)
    // One claim takes both; drain's next finds nothing and ends.
    expect(await dispatcher.drain()).toBe(2)
    const claims = metrics.counter('events_claims_total', '')
    expect({ claimed: claims.get({ result: 'claimed' }), empty: claims.get({ result: 'empty' }) }).toEqual({ claimed: 1, empty: 1 })
    expect(metrics.render()).toContain('events_claims_total{result="empty"} 1')
  })

  it('a handler that outlives its timeout fails the attempt (each of a batch on its own deadline); the next attempt runs', async () => {
    let hang = true
    const started: string[] = []
    const sub = defineSubscription('slow', ['booking.*'], async (event: EventEnvelope) => {
      started.push(event.id)
      // a provider that never answers: the handler's promise never settles
      if (hang) await new Promise<never>(() => {})
    }, { maxAttempts: 3, backoffBaseMs: 600_000, backoffMaxMs: 6_000_000 })
    const dispatcher = dispatcherFor(db, { subscriptions: [sub], handlerTimeoutMs: 50 })
    await registerSubscriptions(db.orm, [sub])
    await publishOne(db)
    await publishOne(db)

    expect(await dispatcher.drain()).toBe(2) // returns: both deadlines passed, the outcomes are recorded
    const rows = await queryRows<{ status: string; attempts: number; last_error: string; wait: number }>(
      db.orm,
      sql`select status, attempts, last_error, ${DUE_IN_SECONDS} as wait from event_deliveries d where subscription = 'slow'`,
    )
    expect(rows).toHaveLength(2)
    for (const row of rows) {
      expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'Error: handler timed out after 50 ms' })
      expect(Number(row.wait)).toBeGreaterThan(60) // a retry with backoff (5–10 min), like any other failure
    }

    hang = false
    await makeDue(db)
    expect(await dispatcher.drain()).toBe(2)
    expect(await deliveryStates(db, 'slow')).toEqual({ delivered: 2 })
    expect(started).toHaveLength(4)
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
    await makeDue(db) // the lease runs out
    expect(await dispatcher.drain()).toBe(1)
    expect(rec.seen).toHaveLength(1)
    // The dead worker waking up late cannot overwrite the newer outcome.
    expect(await recordOutcomes(db.orm, 'dead-worker', [{ id: claimed[0]!.id, result: 'retry', error: 'late', delayMs: 1 }])).toBe(0)
    expect(await deliveryStates(db)).toEqual({ delivered: 1 })
  })

  it('a live lease is never claimed twice, racing claimers included; once it has passed the delivery is claimable again', async () => {
    const sub = defineSubscription('leased', ['booking.*'], async () => {})
    await registerSubscriptions(db.orm, [sub])
    for (let i = 0; i < 40; i++) await publishOne(db)
    const claim = (owner: string, leaseMs = 60_000) => claimDeliveries(db.orm, { subscriptions: ['leased'], limit: 25, leaseMs, owner })

    // Two claimers at once (side by side on PostgreSQL): between them every delivery, none twice.
    const [a, b] = await Promise.all([claim('a'), claim('b')])
    const ids = [...a!, ...b!].map((d) => d.id)
    expect(ids).toHaveLength(40)
    expect(new Set(ids).size).toBe(40)
    expect(await claim('c')).toEqual([]) // every lease is live

    await makeDue(db) // the leases pass, no outcome recorded
    const again = await claim('c', 60_000)
    expect(again).toHaveLength(25)
    expect(again.every((d) => d.attempt === 2 && d.crashes === 1)).toBe(true) // each ended lease counts as a crash
    const rest = await claim('d', 60_000)
    expect(rest).toHaveLength(15)
    expect(new Set([...again, ...rest].map((d) => d.id))).toEqual(new Set(ids))
    expect(await claim('e')).toEqual([])
  })

  it('a claim and a release are HOT updates: no index entry is written, so claiming stays cheap', async () => {
    const sub = defineSubscription('hot', ['booking.*'], async () => {})
    await registerSubscriptions(db.orm, [sub])
    for (let i = 0; i < 20; i++) await publishOne(db)
    // The current transaction's counts of this table's updates, and of those that were heap-only.
    const [counts] = await db.orm.transaction(async (tx) => {
      const claimed = await claimDeliveries(tx, { subscriptions: ['hot'], limit: 100, leaseMs: 60_000, owner: 'w' })
      expect(claimed).toHaveLength(20)
      expect(await recordOutcomes(tx, 'w', claimed.map((d) => ({ id: d.id, result: 'released' as const })))).toBe(20)
      return queryRows<{ updated: number; hot: number }>(
        tx,
        sql`select pg_stat_get_xact_tuples_updated('event_deliveries'::regclass)::int as updated,
              pg_stat_get_xact_tuples_hot_updated('event_deliveries'::regclass)::int as hot`,
      )
    })
    expect(counts).toEqual({ updated: 40, hot: 40 })
    // Released: claimable again at once, the attempt not counted.
    const again = await claimDeliveries(db.orm, { subscriptions: ['hot'], limit: 100, leaseMs: 60_000, owner: 'w2' })
    expect(again.map((d) => [d.attempt, d.crashes])).toEqual(Array.from({ length: 20 }, () => [1, 0]))
  })

  it('a claim can carry outcomes: it records its owner\'s finished deliveries in the same statement, and only those', async () => {
    const sub = defineSubscription('carried', ['booking.*'], async () => {})
    await registerSubscriptions(db.orm, [sub])
    await publishOne(db)
    await publishOne(db)
    const claim = (owner: string, delivered?: string[]) => claimDeliveries(db.orm, { subscriptions: ['carried'], limit: 1, leaseMs: 60_000, owner, delivered })
    const [first] = await claim('w')
    const [other] = await claim('x')
    await publishOne(db)
    // w's next claim records w's delivery; x's lease is not w's to end, so the id of it changes nothing.
    const [third] = await claim('w', [first!.id, other!.id])
    expect(third).toBeDefined()
    const states = await queryRows<{ id: string; status: string; lease_owner: string | null }>(
      db.orm,
      sql`select id::text as id, status, lease_owner from event_deliveries order by id`,
    )
    expect(states).toEqual([
      { id: first!.id, status: 'delivered', lease_owner: null },
      { id: other!.id, status: 'pending', lease_owner: 'x' },
      { id: third!.id, status: 'pending', lease_owner: 'w' },
    ])
    // With nothing left to claim, the outcomes are still recorded.
    expect(await claim('w', [third!.id])).toEqual([])
    expect(await claim('x', [other!.id])).toEqual([])
    expect(await deliveryStates(db)).toEqual({ delivered: 3 })
  })

  it('a finished delivery\'s outcome rides on the next claim, or is recorded alone when no claim comes in time or the dispatcher stops', async () => {
    const rec = recorder()
    const sub = defineSubscription('lingering', ['booking.*'], rec.handler)
    // A linger longer than the test: only a claim or stop() can record the outcomes. One loop, and the first event
    // published before it starts, so its first claim takes that event: with a second loop, or a publish racing the
    // start-up claim, another claim could come after the handler and carry its outcome before the test looks.
    const dispatcher = dispatcherFor(db, { subscriptions: [sub], loops: 1, pollIntervalMs: 10 * 60_000, outcomeLingerMs: 10 * 60_000 })
    await registerSubscriptions(db.orm, [sub])
    await publishOne(db)
    await dispatcher.start()
    try {
      await rec.waitFor(1)
      expect(await deliveryStates(db)).toEqual({ pending: 1 }) // handled; its outcome waits for a claim
      await publishOne(db)
      dispatcher.kick()
      await rec.waitFor(2)
      // The claim that took the second event recorded the first outcome in the same statement, before its handler ran.
      expect(await deliveryStates(db)).toEqual({ delivered: 1, pending: 1 })
    } finally {
      await dispatcher.stop()
    }
    expect(await deliveryStates(db)).toEqual({ delivered: 2 })

    // An idle dispatcher records it once the (short) linger is over, without any claim.
    const quick = dispatcherFor(db, { subscriptions: [sub], pollIntervalMs: 10 * 60_000, outcomeLingerMs: 5 })
    await quick.start()
    try {
      await publishOne(db)
      quick.kick()
      await rec.waitFor(3)
      await eventually('the lingering outcome is recorded', async () => (await deliveryStates(db)).delivered === 3)
    } finally {
      await quick.stop()
    }
  })

  it('a delivery that keeps crashing its worker is set aside as poison', async () => {
    const rec = recorder()
    const sub = defineSubscription('victim', ['booking.*'], rec.handler, { maxAttempts: 10 })
    await registerSubscriptions(db.orm, [sub])
    await publishOne(db)
    for (let crash = 0; crash < 4; crash++) {
      await claimDeliveries(db.orm, { subscriptions: ['victim'], limit: 10, leaseMs: 60_000, owner: `crashing-${crash}` })
      await makeDue(db)
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
    await makeDue(db)
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
