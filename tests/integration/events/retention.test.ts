/**
 * Retention keeps what it must: pending and dead deliveries and their events stay whatever their age; delivered
 * deliveries go after their period, events after the replay window, inbox entries only with their event, and a
 * rotated-out secret once its grace has ended. Ages are set by moving timestamps back, not by waiting.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { publishOne } from '../../support/events.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { parseConfig } from '../../../src/core/config/schema.ts'
import { defineSubscription, registerSubscriptions } from '../../../src/events/subscription.ts'
import { firstDelivery } from '../../../src/events/inbox.ts'
import { pruneDeliveries, retentionFromConfig } from '../../../src/events/retention.ts'
import { createWebhookSubscription, rotateWebhookSecret } from '../../../src/events/http-subscriptions.ts'

let db: TestDatabase
beforeEach(async () => {
  db = await openTestDatabase()
  await registerSubscriptions(db.orm, [defineSubscription('keeper', ['#'], async () => {})])
})
afterEach(() => db.close())

const PERIODS = { deliveredOlderThanDays: 7, eventsOlderThanDays: 30 }

/** Publishes an event whose single delivery ends in `status`, `ageDays` old (event time and completion). */
async function aged(status: 'pending' | 'delivered' | 'dead', ageDays: number) {
  const p = await publishOne(db)
  await db.orm.execute(sql`update event_outbox set time = now() - ${ageDays} * interval '1 day' where seq = ${p.seq}::bigint`)
  await db.orm.execute(sql`
    update event_deliveries set status = ${status}, completed_at = case when ${status} <> 'pending' then now() - ${ageDays} * interval '1 day' end,
      dead_reason = case when ${status} = 'dead' then 'max_attempts' end
    where event_seq = ${p.seq}::bigint`)
  return p
}

const surviving = async () => {
  const events = await queryRows<{ id: string }>(db.orm, sql`select id::text as id from event_outbox order by seq`)
  const deliveries = await queryRows<{ id: string; status: string }>(db.orm, sql`select e.id::text as id, d.status from event_deliveries d join event_outbox e on e.seq = d.event_seq order by d.id`)
  return { events: events.map((e) => e.id), deliveries: deliveries.map((d) => `${d.id}:${d.status}`) }
}

describe('retention', () => {
  it('delivered deliveries past their period are pruned; recent ones, pending and dead ones stay', async () => {
    const old = await aged('delivered', 8)
    const recent = await aged('delivered', 6)
    const pending = await aged('pending', 8)
    const dead = await aged('dead', 8)
    expect(await pruneDeliveries(db.orm, PERIODS)).toMatchObject({ deliveries: 1, events: 0 })
    const left = await surviving()
    expect(left.deliveries).toEqual([`${recent.id}:delivered`, `${pending.id}:pending`, `${dead.id}:dead`])
    expect(left.events).toContain(old.id) // the event itself stays for the replay window
  })

  it('events past the replay window are pruned, never one with a pending or dead delivery', async () => {
    const expired = await aged('delivered', 31)
    const stillPending = await aged('pending', 40)
    const deadLetter = await aged('dead', 40)
    const inWindow = await aged('delivered', 29)
    const result = await pruneDeliveries(db.orm, PERIODS)
    expect(result).toMatchObject({ events: 1 })
    const left = await surviving()
    expect(left.events).toEqual([stillPending.id, deadLetter.id, inWindow.id])
    expect(left.events).not.toContain(expired.id)
    expect(left.deliveries).toEqual([`${stillPending.id}:pending`, `${deadLetter.id}:dead`])
  })

  it('an inbox entry goes only once its event is gone and it is past the window', async () => {
    const expired = await aged('delivered', 31)
    const kept = await aged('delivered', 31)
    await db.orm.execute(sql`update event_deliveries set status = 'pending', completed_at = null where event_seq = ${kept.seq}::bigint`)
    for (const e of [expired, kept]) await db.orm.transaction((tx) => firstDelivery(tx, 'mailer', e.id))
    await db.orm.execute(sql`update event_inbox set processed_at = now() - interval '31 days'`)
    expect(await pruneDeliveries(db.orm, PERIODS)).toMatchObject({ events: 1, inbox: 1 })
    const inbox = await queryRows<{ event_id: string }>(db.orm, sql`select event_id::text as event_id from event_inbox`)
    expect(inbox.map((i) => i.event_id)).toEqual([kept.id]) // its event is still being delivered: the dedupe must hold
  })

  it('a previous webhook secret is dropped at rest once its grace has ended, not before', async () => {
    await createWebhookSubscription(db.orm, { name: 'partner', url: 'https://p.example/h', patterns: ['#'] })
    await rotateWebhookSecret(db.orm, 'partner', { graceSeconds: 3600 })
    expect(await pruneDeliveries(db.orm, PERIODS)).toMatchObject({ secrets: 0 })
    await db.orm.execute(sql`update event_subscriptions set previous_secrets_expire_at = now() - interval '1 second' where name = 'partner'`)
    expect(await pruneDeliveries(db.orm, PERIODS)).toMatchObject({ secrets: 1 })
    const [row] = await queryRows<{ n: number }>(db.orm, sql`select cardinality(secrets) as n from event_subscriptions where name = 'partner'`)
    expect(Number(row!.n)).toBe(1)
  })

  it('deletes in batches until done', async () => {
    for (let i = 0; i < 5; i++) await aged('delivered', 40)
    expect(await pruneDeliveries(db.orm, { ...PERIODS, batchSize: 2 })).toMatchObject({ deliveries: 5, events: 5 })
    expect(await surviving()).toEqual({ events: [], deliveries: [] })
  })

  it('periods come from EVENTS_DELIVERED_RETENTION_DAYS and EVENTS_RETENTION_DAYS (defaults 7 and 30)', () => {
    expect(retentionFromConfig(parseConfig({}))).toEqual({ deliveredOlderThanDays: 7, eventsOlderThanDays: 30 })
    expect(retentionFromConfig(parseConfig({ EVENTS_DELIVERED_RETENTION_DAYS: '2', EVENTS_RETENTION_DAYS: '90' }))).toEqual({ deliveredOlderThanDays: 2, eventsOlderThanDays: 90 })
    expect(() => parseConfig({ EVENTS_RETENTION_DAYS: '0' })).toThrow(/EVENTS_RETENTION_DAYS/)
  })
})
