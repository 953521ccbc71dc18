import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { bookingHeld, deliveryStates, dispatcherFor, publishOne, recorder } from '../../support/events.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { publish, EventSchemaError } from '../../../src/events/publish.ts'
import { defineSubscription, registerSubscriptions } from '../../../src/events/subscription.ts'
import { firstDelivery } from '../../../src/events/inbox.ts'
import { CLAIMED_COLUMNS } from '../../../src/events/deliveries.ts'
import { patternToRegexSource } from '../../../src/events/pattern.ts'

let db: TestDatabase
beforeEach(async () => {
  db = await openTestDatabase()
})
afterEach(() => db.close())

const noop = async () => {}

describe('transactional outbox', () => {
  it('rollback → no event and no delivery; commit → exactly one of each', async () => {
    await registerSubscriptions(db.orm, [defineSubscription('audit', ['#'], noop)])
    await expect(
      db.orm.transaction(async (tx) => {
        await publish(tx, bookingHeld('rolled-back'))
        throw new Error('business rule failed')
      }),
    ).rejects.toThrow('business rule failed')
    const published = await publishOne(db, bookingHeld('committed'))
    const events = await queryRows<{ aggregate_id: string }>(db.orm, sql`select aggregate_id from event_outbox`)
    expect(events.map((e) => e.aggregate_id)).toEqual(['committed'])
    expect(published.deliveries).toBe(1)
    expect(await deliveryStates(db)).toEqual({ pending: 1 })
  })

  it('data that fails its schema is refused at the publish call', async () => {
    const bad = { ...bookingHeld(), data: { bookingId: 'b', seats: 0 } } as never
    await expect(db.orm.transaction((tx) => publish(tx, bad))).rejects.toThrow(EventSchemaError)
  })

  it('the envelope is CloudEvents 1.0 with seq, aggregate and actor', async () => {
    const rec = recorder()
    const dispatcher = dispatcherFor(db, { subscriptions: [defineSubscription('rec', ['booking.*'], rec.handler)] })
    await registerSubscriptions(db.orm, [defineSubscription('rec', ['booking.*'], rec.handler)])
    const published = await db.orm.transaction((tx) =>
      publish(tx, {
        ...bookingHeld('b-env'),
        aggregate: { type: 'booking', id: 'b-env', version: 3 },
        actor: { type: 'user', id: 'u-1' },
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      }),
    )
    await dispatcher.drain()
    const [event] = rec.seen
    expect(event).toMatchObject({
      specversion: '1.0',
      id: published.id,
      type: 'booking.held',
      source: '/kamhub',
      subject: 'b-env',
      datacontenttype: 'application/json',
      dataschema: 'urn:kamhub:events:booking.held:v1',
      sequence: published.seq,
      aggregatetype: 'booking',
      aggregateid: 'b-env',
      aggregateversion: 3,
      actortype: 'user',
      actorid: 'u-1',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    })
    expect(published.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(new Date(event!.time).toISOString()).toBe(event!.time)
  })

  it('an event without the optional attributes leaves them out of its envelope', async () => {
    const rec = recorder()
    const subscription = defineSubscription('rec', ['booking.*'], rec.handler)
    await registerSubscriptions(db.orm, [subscription])
    await publishOne(db, bookingHeld('b-plain'))
    await dispatcherFor(db, { subscriptions: [subscription] }).drain()
    const [event] = rec.seen
    expect(event).toMatchObject({ aggregateid: 'b-plain', subject: 'b-plain' })
    for (const attribute of ['aggregateversion', 'traceparent', 'actortype', 'actorid'] as const) expect(event![attribute]).toBeUndefined()
  })

  it('a claimed row has at most 19 columns, so V8 keeps the driver\'s row objects fast', async () => {
    // Past 19 keys added one by one, V8 turns an object into a hash table: a 500-row claim then cost the dispatcher
    // twice the CPU per row. Fold a new per-subscription value into `policy`, an optional attribute into `extra`.
    await registerSubscriptions(db.orm, [defineSubscription('audit', ['#'], noop)])
    await publishOne(db, bookingHeld('b-cols'))
    const [row] = await queryRows(
      db.orm,
      sql`select ${CLAIMED_COLUMNS} from (select *, ordering_key is not null as ordered from event_deliveries) d
          join event_outbox e on e.seq = d.event_seq join event_subscriptions s on s.name = d.subscription`,
    )
    expect(Object.keys(row!).length).toBeLessThanOrEqual(19)
  })

  it('fans out to every subscription whose pattern matches, and only those', async () => {
    const subs = [
      defineSubscription('all', ['#'], noop),
      defineSubscription('bookings', ['booking.*'], noop),
      defineSubscription('cancellations', ['*.cancelled'], noop),
      defineSubscription('payments', ['payment.#'], noop),
    ]
    await registerSubscriptions(db.orm, subs)
    const held = await publishOne(db, bookingHeld())
    expect(held.deliveries).toBe(2)
    const cancelled = await db.orm.transaction((tx) =>
      publish(tx, { type: 'departure.cancelled', data: { departureId: 'd1', tourId: 't1', startsAt: new Date().toISOString(), reason: 'volcanic ash' }, aggregate: { type: 'departure', id: 'd1' } }),
    )
    expect(cancelled.deliveries).toBe(2)
    const rows = await queryRows<{ subscription: string }>(db.orm, sql`select subscription from event_deliveries d join event_outbox e on e.seq = d.event_seq where e.type = 'departure.cancelled' order by 1`)
    expect(rows.map((r) => r.subscription)).toEqual(['all', 'cancellations'])
  })

  it('PostgreSQL applies the compiled patterns exactly like JavaScript does', async () => {
    const cases: Array<[string, string, boolean]> = [
      ['booking.*', 'booking.held', true],
      ['booking.*', 'booking.held.x', false],
      ['*.cancelled', 'departure.cancelled', true],
      ['payment.#', 'payment', true],
      ['payment.#', 'payment.refund.partial', true],
      ['#.cancelled', 'cancelled', true],
      ['#', 'x.y.z', true],
      ['tour.*', 'tours.created', false],
    ]
    for (const [pattern, type, expected] of cases) {
      const [row] = await queryRows<{ m: boolean }>(db.orm, sql`select ('.' || ${type}) ~ ${patternToRegexSource(pattern)} as m`)
      expect([pattern, type, row!.m]).toEqual([pattern, type, expected])
    }
  })

  it('the inbox admits an event once per subscription', async () => {
    const eventId = '0190f2a0-0000-7000-8000-000000000001'
    expect(await db.orm.transaction((tx) => firstDelivery(tx, 'mailer', eventId))).toBe(true)
    expect(await db.orm.transaction((tx) => firstDelivery(tx, 'mailer', eventId))).toBe(false)
    expect(await db.orm.transaction((tx) => firstDelivery(tx, 'other', eventId))).toBe(true)
  })
})
