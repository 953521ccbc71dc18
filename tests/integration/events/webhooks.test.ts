/**
 * Partner webhooks end to end: HTTP subscriptions stored in the database, claimed by the dispatcher, POSTed to a
 * local endpoint and checked there with the `standardwebhooks` library, as a partner would.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { deliveryStates, dispatcherFor, DUE_IN_SECONDS, makeDue, publishOne } from '../../support/events.ts'
import { startReceiver, webhookHeaders, type Receiver } from '../../support/webhook-receiver.ts'
import { captureLogs } from '../../support/logs.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { createWebhookSender } from '../../../src/events/webhooks.ts'
import { generateWebhookSecret } from '../../../src/events/webhook-signing.ts'
import { createWebhookSubscription, getSubscription, rotateWebhookSecret, updateWebhookSubscription } from '../../../src/events/http-subscriptions.ts'
import { redriveSubscription } from '../../../src/events/replay.ts'
import type { DispatcherOptions } from '../../../src/events/dispatcher.ts'

let db: TestDatabase
let receiver: Receiver
beforeEach(async () => {
  db = await openTestDatabase()
  receiver = await startReceiver()
})
afterEach(async () => {
  await receiver.close()
  await db.close()
})


function webhookDispatcher(options: Partial<DispatcherOptions> & { timeoutMs?: number } = {}) {
  const { timeoutMs, ...rest } = options
  return dispatcherFor(db, { subscriptions: [], webhookHandler: createWebhookSender({ db: db.orm, timeoutMs }), ...rest })
}

/**
 * A backoff of a minute or more (the default's first retry is due within 5 s): a failed attempt stays not due however
 * slow the machine, so drain() never runs it twice and the test moves it with makeDue.
 */
const SLOW_BACKOFF = { backoffBaseMs: 60_000, backoffMaxMs: 600_000 }

async function partner(name = 'partner', url = receiver.url, patterns = ['booking.*']) {
  return createWebhookSubscription(db.orm, { name, url, patterns, ...SLOW_BACKOFF })
}

async function lastDelivery() {
  const [row] = await queryRows<{ status: string; attempts: number; last_error: string | null; dead_reason: string | null; wait: number }>(
    db.orm,
    sql`select status, attempts, last_error, dead_reason, ${DUE_IN_SECONDS} as wait
        from event_deliveries d order by id desc limit 1`,
  )
  return row!
}

describe('partner webhooks', () => {
  it('a delivery verifies with the standardwebhooks library; webhook-id is the event id; the body is the CloudEvents envelope', async () => {
    const { secret } = await partner()
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const published = await publishOne(db)
    expect(published.deliveries).toBe(1)

    expect(await webhookDispatcher().drain()).toBe(1)
    expect(receiver.requests).toHaveLength(1)
    const [req] = receiver.requests
    expect(req!.method).toBe('POST')
    expect(req!.headers['content-type']).toBe('application/cloudevents+json; charset=utf-8')
    expect(req!.headers['webhook-id']).toBe(published.id)
    const verified = new Webhook(secret).verify(req!.body, webhookHeaders(req!)) as Record<string, unknown>
    expect(verified).toMatchObject({ specversion: '1.0', id: published.id, type: 'booking.held', sequence: published.seq })
    expect(await deliveryStates(db)).toEqual({ delivered: 1 })
  })

  it('during a rotation both the previous and the new secret verify; after the grace period only the new one does', async () => {
    const { secret: previous } = await partner()
    const { secret: next, previousSecretExpiresAt } = await rotateWebhookSecret(db.orm, 'partner', { graceSeconds: 3600 })
    expect(next).not.toBe(previous)
    expect(new Date(previousSecretExpiresAt!).getTime()).toBeGreaterThan(Date.now())
    await publishOne(db)
    await webhookDispatcher().drain()
    const during = receiver.requests[0]!
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2)
    expect(() => new Webhook(previous).verify(during.body, webhookHeaders(during))).not.toThrow()
    expect(() => new Webhook(next).verify(during.body, webhookHeaders(during))).not.toThrow()

    // The grace period runs out (moved into the past rather than waited for).
    await db.orm.execute(sql`update event_subscriptions set previous_secrets_expire_at = now() - interval '1 second'`)
    await publishOne(db)
    await webhookDispatcher().drain()
    const after = receiver.requests[1]!
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1)
    expect(() => new Webhook(next).verify(after.body, webhookHeaders(after))).not.toThrow()
    expect(() => new Webhook(previous).verify(after.body, webhookHeaders(after))).toThrow()
  })

  it('a rotation with no grace period revokes the previous secret at once', async () => {
    const { secret: leaked } = await partner()
    const { secret: next, previousSecretExpiresAt } = await rotateWebhookSecret(db.orm, 'partner', { graceSeconds: 0 })
    expect(previousSecretExpiresAt).toBeNull()
    await publishOne(db)
    await webhookDispatcher().drain()
    const req = receiver.requests[0]!
    expect(() => new Webhook(next).verify(req.body, webhookHeaders(req))).not.toThrow()
    expect(() => new Webhook(leaked).verify(req.body, webhookHeaders(req))).toThrow()
  })

  it('a forged signature, a tampered body or a stale timestamp is rejected by the receiver library', async () => {
    const { secret } = await partner()
    await publishOne(db)
    await webhookDispatcher().drain()
    const req = receiver.requests[0]!
    const headers = webhookHeaders(req)
    const wh = new Webhook(secret)
    expect(() => wh.verify(req.body, headers)).not.toThrow()
    expect(() => wh.verify(req.body.replace('"seats":2', '"seats":20'), headers)).toThrow()
    expect(() => new Webhook(generateWebhookSecret()).verify(req.body, headers)).toThrow()
    expect(() => wh.verify(req.body, { ...headers, 'webhook-id': '0190f2a0-0000-7000-8000-000000000000' })).toThrow()
    const staleSeconds = Number(headers['webhook-timestamp']) - 3600
    expect(() => wh.verify(req.body, { ...headers, 'webhook-timestamp': String(staleSeconds) })).toThrow()
  })

  it('an endpoint answering 503: the attempt is recorded with the status and retried later with the same webhook-id', async () => {
    await partner()
    receiver.answer({ status: 503, body: 'down for maintenance' })
    const published = await publishOne(db)
    await webhookDispatcher().drain()
    const failed = await lastDelivery()
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, last_error: 'Error: HTTP 503: down for maintenance' })
    expect(Number(failed.wait)).toBeGreaterThan(20) // backed off (30–60 s), not immediately due

    receiver.answer({ status: 200, body: 'ok' })
    await makeDue(db)
    await webhookDispatcher().drain()
    expect(await lastDelivery()).toMatchObject({ status: 'delivered', attempts: 2 })
    expect(receiver.requests.map((r) => r.headers['webhook-id'])).toEqual([published.id, published.id])
  })

  it('redirects are not followed: a 3xx fails the attempt', async () => {
    await partner()
    receiver.answer({ status: 302, headers: { Location: 'http://127.0.0.1:1/elsewhere' } })
    await publishOne(db)
    await webhookDispatcher().drain()
    expect(await lastDelivery()).toMatchObject({ status: 'pending', last_error: 'Error: HTTP 302' })
    expect(receiver.requests).toHaveLength(1)
  })

  it('an endpoint that does not answer in time fails the attempt (aborted, not abandoned)', async () => {
    await partner()
    receiver.answer('hold')
    await publishOne(db)
    await webhookDispatcher({ timeoutMs: 100 }).drain()
    expect(await lastDelivery()).toMatchObject({ status: 'pending', attempts: 1, last_error: 'Error: no answer within 100 ms' })
  })

  it('410 Gone deactivates the subscription: dead at once, the rest parked, no new fan-out; reactivate + redrive resumes', async () => {
    await partner()
    receiver.answer({ status: 410 })
    await publishOne(db)
    await publishOne(db)
    await webhookDispatcher({ batchSize: 1 }).drain()
    expect(receiver.requests).toHaveLength(1) // the second was parked, not sent to an endpoint that is gone
    const rows = await queryRows<{ status: string; dead_reason: string }>(db.orm, sql`select status, dead_reason from event_deliveries order by id`)
    expect(rows).toEqual([{ status: 'dead', dead_reason: 'rejected' }, { status: 'dead', dead_reason: 'deactivated' }])
    expect((await getSubscription(db.orm, 'partner')).active).toBe(false)
    expect((await publishOne(db)).deliveries).toBe(0)

    receiver.answer({ status: 204 })
    await updateWebhookSubscription(db.orm, 'partner', { active: true })
    expect(await redriveSubscription(db, 'partner')).toBe(2)
    await webhookDispatcher().drain()
    expect(await deliveryStates(db, 'partner')).toEqual({ delivered: 2 })
  })

  it('neither the secret nor the URL (with its token) reaches the logs or last_error', async () => {
    const url = `${receiver.url}?token=partner-private-token`
    const { secret } = await createWebhookSubscription(db.orm, { name: 'leaky', url, patterns: ['#'], ...SLOW_BACKOFF })
    receiver.answer({ status: 500, body: 'boom' })
    const logs = captureLogs('debug')
    await publishOne(db)
    await webhookDispatcher({ logger: logs.logger }).drain()
    expect(logs.find('delivery failed; will retry')).toHaveLength(1)
    const [delivery] = await queryRows<{ last_error: string }>(db.orm, sql`select last_error from event_deliveries`)
    for (const text of [...logs.raw, delivery!.last_error]) {
      expect(text).not.toContain(secret.slice('whsec_'.length))
      expect(text).not.toContain('partner-private-token')
    }
  })

  it('a code dispatcher without webhookHandler leaves HTTP deliveries alone', async () => {
    await partner()
    await publishOne(db)
    expect(await dispatcherFor(db, { subscriptions: [] }).drain()).toBe(0)
    expect(await deliveryStates(db)).toEqual({ pending: 1 })
  })
})
