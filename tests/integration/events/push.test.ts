/**
 * Pushed deliveries (src/events/push.ts): a listening dispatcher with `push` owns pushes, publishers lease its fresh
 * deliveries to it in their own transactions, and it runs them from the NOTIFY without claiming. On PGlite (the
 * in-process listener) and on real PostgreSQL (a LISTEN connection).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { eventually } from '../../support/eventually.ts'
import { bookingHeld, deliveryStates, dispatcherFor, publishOne, recorder } from '../../support/events.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { MetricsRegistry } from '../../../src/core/monitoring/metrics.ts'
import type { Dispatcher } from '../../../src/events/dispatcher.ts'
import { publish } from '../../../src/events/publish.ts'
import { defineSubscription, registerSubscriptions } from '../../../src/events/subscription.ts'

let db: TestDatabase
const started: Dispatcher[] = []
beforeEach(async () => {
  db = await openTestDatabase()
})
afterEach(async () => {
  for (const d of started.splice(0)) await d.stop()
  await db.close()
})

/** A listening push dispatcher whose poll never comes within a test: only a NOTIFY (or a claim it makes) delivers. */
async function startPushing(subscriptions: Parameters<typeof dispatcherFor>[1]['subscriptions'], extra: Partial<Parameters<typeof dispatcherFor>[1]> = {}) {
  const metrics = new MetricsRegistry()
  const dispatcher = dispatcherFor(db, { subscriptions, listen: true, push: true, pollIntervalMs: 10 * 60_000, metrics, ...extra })
  await dispatcher.start()
  started.push(dispatcher)
  const claims = metrics.counter('events_claims_total', '')
  return { dispatcher, claims: () => ({ pushed: claims.get({ result: 'pushed' }), claimed: claims.get({ result: 'claimed' }) }) }
}

const owners = async () => (await queryRows<{ owner: string }>(db.orm, sql`select owner from event_push_owner`)).map((r) => r.owner)
const leases = () =>
  queryRows<{ lease_owner: string | null; attempts: number; status: string }>(db.orm, sql`select lease_owner, attempts, status from event_deliveries order by id`)

describe('pushed deliveries', () => {
  it('publish leases the owner\'s delivery in its transaction and the owner runs it from the NOTIFY, without a claim', async () => {
    const rec = recorder()
    const { dispatcher, claims } = await startPushing([defineSubscription('pushed', ['booking.*'], rec.handler)])
    expect(await owners()).toEqual([dispatcher.owner])

    const event = bookingHeld()
    let leasedInTransaction: Array<{ lease_owner: string | null; attempts: number; status: string }> = []
    await db.orm.transaction(async (tx) => {
      await publish(tx, event)
      leasedInTransaction = await queryRows(tx, sql`select lease_owner, attempts, status from event_deliveries`)
    })
    // What a claim would have written, already in the publisher's transaction.
    expect(leasedInTransaction).toEqual([{ lease_owner: dispatcher.owner, attempts: 1, status: 'pending' }])

    await rec.waitFor(1)
    expect(rec.seen[0]!.data).toEqual(event.data)
    expect(rec.seen[0]!.type).toBe('booking.held')
    await eventually('the pushed delivery is recorded', async () => (await deliveryStates(db)).delivered === 1, 10_000)
    expect(await leases()).toEqual([{ lease_owner: null, attempts: 1, status: 'delivered' }])
    // Claim loops may wake on start-up, but none took the pushed delivery.
    expect(claims()).toMatchObject({ pushed: 1, claimed: 0 })
  })

  it('the pushed envelope is the claimed one: same attributes, optional ones included', async () => {
    const rec = recorder()
    const claimedRec = recorder()
    await startPushing([defineSubscription('pushed', ['booking.*'], rec.handler)])
    const claimed = defineSubscription('claimed', ['booking.*'], claimedRec.handler, { ordered: true })
    const claimer = dispatcherFor(db, { subscriptions: [claimed] })
    await registerSubscriptions(db.orm, [claimed])
    await publishOne(db, { ...bookingHeld(), aggregate: { type: 'booking', id: 'b-env', version: 7 }, subject: 'sub-1', actor: { type: 'user', id: 'u-9' }, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } as never)
    await rec.waitFor(1)
    expect(await claimer.drain()).toBe(1) // the ordered subscription's delivery was not pushed
    expect(rec.seen[0]).toEqual(claimedRec.seen[0])
    expect(rec.seen[0]).toMatchObject({ aggregateversion: 7, actortype: 'user', actorid: 'u-9', subject: 'sub-1' })
  })

  it('one owner per database: a second push dispatcher claims what is not pushed and takes over when the owner stops', async () => {
    const first = recorder()
    const second = recorder()
    const a = await startPushing([defineSubscription('shared', ['booking.*'], first.handler)])
    // b renews every 2 s and its ownership lasts 6 s past a renewal: a slow machine does not let it lapse before the
    // push below, and a's resignation is still taken over within the deadline.
    const b = await startPushing([defineSubscription('shared', ['booking.*'], second.handler)], { heartbeatMs: 2_000 })
    expect(await owners()).toEqual([a.dispatcher.owner])

    for (let i = 0; i < 5; i++) await publishOne(db)
    await eventually('five deliveries recorded', async () => (await deliveryStates(db)).delivered === 5, 10_000)
    expect(first.seen.length + second.seen.length).toBe(5) // each exactly once
    expect(first.seen).toHaveLength(5) // all pushed to the owner

    await a.dispatcher.stop()
    started.splice(started.indexOf(a.dispatcher), 1)
    expect(await owners()).toEqual([]) // resigned on stop
    // The next heartbeat of b takes it over; until then b claims (the deliveries are leased to nobody).
    await publishOne(db)
    await second.waitFor(1)
    await eventually('b owns pushes', async () => (await owners())[0] === b.dispatcher.owner, 10_000, 50)
    await publishOne(db)
    await second.waitFor(2)
    expect(b.claims().pushed).toBeGreaterThanOrEqual(1)
  }, 30_000)

  it('ordered subscriptions, subscriptions the owner lacks and events too large for a NOTIFY are left to claims', async () => {
    const rec = recorder()
    const ordered = recorder()
    await startPushing([
      defineSubscription('pushed', ['booking.*'], rec.handler),
      defineSubscription('in-order', ['booking.*'], ordered.handler, { ordered: true }),
    ])
    await registerSubscriptions(db.orm, [defineSubscription('elsewhere', ['booking.*'], async () => {})])
    await publishOne(db)
    await rec.waitFor(1)
    await ordered.waitFor(1) // claimed: the push said other deliveries were left (r), which woke a claim loop
    const bySubscription = await queryRows<{ subscription: string; attempts: number; status: string }>(
      db.orm,
      sql`select subscription, attempts, status from event_deliveries order by subscription`,
    )
    expect(bySubscription.find((r) => r.subscription === 'elsewhere')).toMatchObject({ attempts: 0, status: 'pending' }) // nobody's lease

    // ~8 KB of data cannot ride in a NOTIFY payload: published unleased and claimed.
    const big = bookingHeld()
    ;(big.data as { travellerId: string }).travellerId = 'x'.repeat(8_000)
    await publishOne(db, big)
    await rec.waitFor(2)
    expect((rec.seen[1]!.data as { travellerId: string }).travellerId).toHaveLength(8_000)
  })

  it('pushes beyond the dispatcher\'s bound on running handlers go back to the table and are claimed when room frees', async () => {
    const rec = recorder()
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const sub = defineSubscription('bounded', ['booking.*'], async (event) => {
      await rec.handler(event)
      if (rec.seen.length === 1) await gate // the first handler holds the only slot
    })
    // batchSize 1 × loops 1: one handler at a time
    const { claims } = await startPushing([sub], { batchSize: 1, loops: 1 })
    await publishOne(db)
    await rec.waitFor(1)
    await publishOne(db)
    await publishOne(db)
    await eventually('the two pushes without room are handed back', async () => {
      const rows = await leases()
      return rows.filter((r) => r.status === 'pending' && r.lease_owner === null).length === 2
    }, 10_000)
    expect(rec.seen).toHaveLength(1)
    release()
    await rec.waitFor(3)
    await eventually('all three recorded', async () => (await deliveryStates(db)).delivered === 3, 10_000)
    expect(new Set(rec.seen.map((e) => e.id)).size).toBe(3)
    const rows = await queryRows<{ attempts: number; crashes: number }>(db.orm, sql`select attempts, crashes from event_deliveries`)
    expect(rows.every((r) => r.attempts === 1 && r.crashes === 0)).toBe(true) // handing back undid the pushed attempt
    expect(claims().claimed).toBeGreaterThanOrEqual(1)
  })

  it('deliveries pushed to an owner that never runs them are claimed once their lease ends, the lost push counted as a crash', async () => {
    const sub = defineSubscription('pushed', ['booking.*'], async () => {})
    // An owner row left by a dispatcher that died, not yet expired: publish still pushes to it.
    await registerSubscriptions(db.orm, [sub])
    await db.orm.execute(sql`insert into event_push_owner (owner, subscriptions, lease_ms, until) values ('dead-owner', '{pushed}', 60000, now() + interval '1 hour')`)
    await publishOne(db)
    expect(await leases()).toEqual([{ lease_owner: 'dead-owner', attempts: 1, status: 'pending' }])
    const rec = recorder()
    const claimer = dispatcherFor(db, { subscriptions: [defineSubscription('pushed', ['booking.*'], rec.handler)] })
    expect(await claimer.drain()).toBe(0) // the lease is live
    await db.orm.execute(sql`update event_deliveries set leased_until = now() - interval '1 second'`)
    expect(await claimer.drain()).toBe(1)
    const [row] = await queryRows<{ attempts: number; crashes: number; status: string }>(db.orm, sql`select attempts, crashes, status from event_deliveries`)
    expect(row).toEqual({ attempts: 2, crashes: 1, status: 'delivered' })
  })

  it('stopping hands back what was pushed to it but never ran, uncounted, for others to claim at once', async () => {
    const { dispatcher } = await startPushing([defineSubscription('pushed', ['booking.*'], async () => {})])
    // A push the owner never heard (its NOTIFY came after the listener was gone): a live lease of the owner's on a
    // delivery it does not run. Its event is published for another subscription only (the owner handles none).
    await registerSubscriptions(db.orm, [defineSubscription('other', ['user.*'], async () => {})])
    const { seq } = await publishOne(db, { type: 'user.registered', data: { userId: 'u-1', role: 'traveller' }, aggregate: { type: 'user', id: 'u-1' } } as never)
    const [inserted] = await queryRows<{ id: string }>(
      db.orm,
      sql`insert into event_deliveries (event_seq, subscription, lease_owner, leased_until, attempts)
          values (${seq}, 'pushed', ${dispatcher.owner}, now() + interval '1 hour', 1) returning id::text as id`,
    )
    await dispatcher.stop()
    started.splice(0)
    const mine = () =>
      queryRows<{ lease_owner: string | null; attempts: number; crashes: number; status: string }>(
        db.orm,
        sql`select lease_owner, attempts, crashes, status from event_deliveries where id = ${inserted!.id}::bigint`,
      )
    expect(await mine()).toEqual([{ lease_owner: null, attempts: 0, crashes: 0, status: 'pending' }])
    const rec = recorder()
    expect(await dispatcherFor(db, { subscriptions: [defineSubscription('pushed', ['booking.*'], rec.handler)] }).drain()).toBe(1)
    expect(await mine()).toEqual([{ lease_owner: null, attempts: 1, crashes: 0, status: 'delivered' }])
  })
})
