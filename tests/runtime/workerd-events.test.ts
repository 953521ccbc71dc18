/**
 * Events on workerd: `wrangler dev` serves the Worker with QStash vars pointing at a local QStash
 * (tests/support/qstash-fake.ts, on 127.0.0.1). An event published into the database is swept by the cron handler,
 * published to QStash in one batch, and delivered by QStash's signed POST to the Worker's own
 * /internal/events/deliver — signature verified with the SDK's Receiver inside workerd — which POSTs it to a partner
 * webhook (an HTTP subscription, so the test depends on no pillar's code subscription).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import { migratedDatabase, startWorkerd, type FreshDatabase, type Workerd } from './support.ts'
import { signQStashJwt, startQStashFake, type QStashFake } from '../support/qstash-fake.ts'
import { startReceiver, webhookHeaders, type Receiver } from '../support/webhook-receiver.ts'
import { publishOne } from '../support/events.ts'
import { postgresDatabase } from '../../src/core/db/postgres.ts'
import { queryRows, type Database } from '../../src/core/db/index.ts'
import { createWebhookSubscription } from '../../src/events/http-subscriptions.ts'

let db: FreshDatabase
let pg: Database
let fake: QStashFake
let receiver: Receiver
let worker: Workerd
let secret: string

beforeAll(async () => {
  db = await migratedDatabase('workerd_events')
  pg = postgresDatabase({ url: db.url, max: 2 })
  fake = await startQStashFake()
  receiver = await startReceiver()
  worker = await startWorkerd({
    label: 'workerd-events',
    databaseUrl: db.url,
    vars: (base) => ({
      PUBLIC_URL: base,
      QSTASH_URL: fake.url,
      QSTASH_TOKEN: fake.token,
      QSTASH_CURRENT_SIGNING_KEY: fake.currentSigningKey,
      QSTASH_NEXT_SIGNING_KEY: fake.nextSigningKey,
    }),
  })
  ;({ secret } = await createWebhookSubscription(pg.orm, { name: 'partner', url: receiver.url, patterns: ['booking.*'] }))
})

afterAll(async () => {
  await fake?.idle()
  await worker?.stop()
  await fake?.close()
  await receiver?.close()
  await pg?.close()
  await db?.drop()
})

/** The cron trigger, as Cloudflare fires it; wrangler dev answers once the handler has finished. */
async function cronTick() {
  const res = await fetch(`${worker.base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent('*/1 * * * *')}`)
  expect(res.status, worker.child.output()).toBe(200)
}

async function deliveryOf(eventId: string) {
  const [row] = await queryRows<{ id: string; status: string; attempts: number }>(
    pg.orm,
    sql`select d.id::text as id, d.status, d.attempts from event_deliveries d join event_outbox e on e.seq = d.event_seq
        where e.id = ${eventId} and d.subscription = 'partner'`,
  )
  return row!
}

const partnerMessages = () => fake.messages.filter((m) => m.flowControl?.key === 'partner')

describe('events on workerd through QStash', () => {
  it('a published event is swept, published to QStash, and delivered through the Worker’s deliver endpoint', async () => {
    const published = await publishOne(pg)
    await cronTick()
    await fake.idle()

    const [message] = partnerMessages()
    expect(message, worker.child.output()).toBeDefined()
    expect(message!.destination).toBe(`${worker.base}/internal/events/deliver`)
    expect(message!.attempts, worker.child.output()).toEqual([{ retried: 0, status: 200, retryAfter: null }])
    expect(receiver.requests).toHaveLength(1)
    const verified = new Webhook(secret).verify(receiver.requests[0]!.body, webhookHeaders(receiver.requests[0]!)) as { id: string }
    expect(verified.id).toBe(published.id)
    expect(await deliveryOf(published.id)).toMatchObject({ status: 'delivered', attempts: 1 })
  })

  it('inside workerd, a forged signature is refused with 401 and nothing runs; the genuine message then delivers', async () => {
    fake.hold()
    const published = await publishOne(pg)
    await cronTick()
    const message = partnerMessages().at(-1)!
    expect(JSON.parse(message.body)).toEqual({ deliveryId: (await deliveryOf(published.id)).id })

    const forged = await fetch(message.destination, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'upstash-signature': await signQStashJwt({ key: 'sig_not_ours', url: message.destination, body: message.body }) },
      body: message.body,
    })
    expect(forged.status).toBe(401)
    expect(forged.headers.get('content-type')).toContain('application/problem+json')
    expect(receiver.requests).toHaveLength(1)
    expect(await deliveryOf(published.id)).toMatchObject({ status: 'pending', attempts: 1 })

    fake.release()
    await fake.idle()
    expect(message.attempts).toEqual([{ retried: 0, status: 200, retryAfter: null }])
    expect(receiver.requests).toHaveLength(2)
    expect(await deliveryOf(published.id)).toMatchObject({ status: 'delivered', attempts: 1 })
  })
})
