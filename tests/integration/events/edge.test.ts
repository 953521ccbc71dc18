/**
 * Event delivery on the edge, end to end in one process: the real app (POST /internal/events/deliver), the real
 * @upstash/qstash Client and Receiver, and a local QStash (tests/support/qstash-fake.ts) that takes the batch and
 * calls the endpoint back with locally signed JWTs. Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { Webhook } from 'standardwebhooks'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { DUE_IN_SECONDS, makeDue, publishOne, recorder, silentLogger } from '../../support/events.ts'
import { signQStashJwt, startQStashFake, type QStashFake } from '../../support/qstash-fake.ts'
import { startReceiver, webhookHeaders, type Receiver } from '../../support/webhook-receiver.ts'
import { createApp } from '../../../src/app.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import type { EventBus } from '../../../src/events/bus.ts'
import { createEdgeEvents, createQStashClient, dispatchViaQStash, type EdgeEvents } from '../../../src/events/edge.ts'
import { createWebhookSubscription } from '../../../src/events/http-subscriptions.ts'
import { defineSubscription, registerSubscriptions, type CodeSubscription } from '../../../src/events/subscription.ts'
import { lagSeconds } from '../../../src/events/deliveries.ts'
import { parseConfig } from '../../../src/core/config/schema.ts'

const PUBLIC_URL = 'http://kamhub.test'
const DELIVER_URL = `${PUBLIC_URL}/internal/events/deliver`

let fake: QStashFake
let testApp: TestApp
let app: ReturnType<typeof createApp>
let subscriptions: CodeSubscription[]
let edge: EdgeEvents
/** What the Worker's `waitUntil` holds: the after-commit kicks, awaited by the test as the runtime would. */
let kicks: Promise<void>[]
let bus: EventBus

async function setup(env: Record<string, string> = {}, subs: CodeSubscription[] = []) {
  fake = await startQStashFake({ deliver: async (url, init) => app.request(url, init) })
  testApp = await startTestApp({
    env: {
      PUBLIC_URL,
      QSTASH_URL: fake.url,
      QSTASH_TOKEN: fake.token,
      QSTASH_CURRENT_SIGNING_KEY: fake.currentSigningKey,
      QSTASH_NEXT_SIGNING_KEY: fake.nextSigningKey,
      ...env,
    },
  })
  subscriptions = subs
  app = createApp(testApp.deps, { subscriptions: () => subscriptions })
  edge = createEdgeEvents({ config: testApp.deps.config, subscriptions, logger: silentLogger })
  await registerSubscriptions(testApp.db.orm, subscriptions)
  kicks = []
  bus = { afterCommit: () => void kicks.push(edge.kick(testApp.db)), lagSeconds: () => lagSeconds(testApp.db) }
}

afterEach(async () => {
  await fake?.idle()
  await fake?.close()
  await testApp?.close()
})

/** The commit → kick → QStash → endpoint chain, run to quiescence (no sleeps: the kicks and the fake's deliveries are awaited). */
async function publishAndKick(count = 1) {
  const published = []
  for (let i = 0; i < count; i++) published.push(await publishOne(testApp.db))
  bus.afterCommit()
  await Promise.all(kicks)
  await fake.idle()
  return published
}

interface DeliveryRow {
  id: string
  status: string
  attempts: number
  crashes: number
  lease_owner: string | null
  last_error: string | null
  due_in_s: number
}

async function deliveries(): Promise<DeliveryRow[]> {
  const rows = await queryRows<DeliveryRow>(
    testApp.db.orm,
    sql`select id::text as id, status, attempts, crashes, lease_owner, last_error,
          ${DUE_IN_SECONDS} as due_in_s
        from event_deliveries d order by id`,
  )
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts), crashes: Number(r.crashes), due_in_s: Number(r.due_in_s) }))
}


function postDeliver(body: string, signature: string | undefined, headers: Record<string, string> = {}) {
  return app.request(DELIVER_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature ? { 'upstash-signature': signature } : {}), ...headers },
    body,
  })
}

describe('events through QStash (Workers)', () => {
  describe('with a code subscription', () => {
    let rec: ReturnType<typeof recorder>
    let failures: number
    beforeEach(async () => {
      rec = recorder()
      failures = 0
      // A backoff of a minute or more: a failed attempt stays not due however slow the machine (the fake records
      // QStash's Retry-After without sleeping it, and makeDue stands in for the sweep's wait).
      const sub = defineSubscription('edge-sub', ['booking.*'], async (event, ctx) => {
        if (failures > 0) {
          failures--
          throw new Error(`provider down (attempt ${ctx.attempt})`)
        }
        await rec.handler(event)
      }, { backoffBaseMs: 60_000, backoffMaxMs: 600_000 })
      await setup({}, [sub])
    })

    it('publish → afterCommit → one QStash batch → deliver endpoint: each handler ran once, deliveries delivered', async () => {
      const published = await publishAndKick(3)
      expect(rec.seen.map((e) => e.id).sort()).toEqual(published.map((p) => p.id).sort())
      expect((await deliveries()).map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered'])
      // ONE batch call carried the three messages.
      expect(fake.calls).toEqual([{ path: '/v2/batch', status: 200, messages: 3 }])
      const ids = (await deliveries()).map((d) => d.id)
      for (const m of fake.messages) {
        expect(m.destination).toBe(DELIVER_URL)
        const { deliveryId } = JSON.parse(m.body) as { deliveryId: string }
        expect(Object.keys(JSON.parse(m.body))).toEqual(['deliveryId']) // the id only: the endpoint loads the event
        expect(ids).toContain(deliveryId)
        expect(m.deduplicationId).toBe(`${deliveryId}.1`)
        expect(m.retries).toBe(3)
        expect(m.flowControl).toEqual({ key: 'edge-sub', value: 'parallelism=10' })
        expect(m.attempts).toEqual([{ retried: 0, status: 200, retryAfter: null }])
      }
    })

    it('handler failure → 503 with Retry-After = the backoff → QStash retries → delivered', async () => {
      failures = 2
      await publishAndKick()
      const [m] = fake.messages
      expect(m!.attempts.map((a) => a.status)).toEqual([503, 503, 200])
      // Retry-After is the subscription's backoff (60 s base, doubling, jittered to [d/2, d]) in whole seconds.
      expect(m!.attempts.slice(0, 2).map((a) => Number(a.retryAfter))).toEqual([expect.any(Number), expect.any(Number)])
      expect(Number(m!.attempts[0]!.retryAfter)).toBeGreaterThanOrEqual(30)
      expect(Number(m!.attempts[0]!.retryAfter)).toBeLessThanOrEqual(60)
      expect(Number(m!.attempts[1]!.retryAfter)).toBeGreaterThanOrEqual(60)
      expect(Number(m!.attempts[1]!.retryAfter)).toBeLessThanOrEqual(120)
      expect(rec.seen).toHaveLength(1)
      const [d] = await deliveries()
      expect(d).toMatchObject({ status: 'delivered', attempts: 3, crashes: 0, lease_owner: null })
      expect(d!.last_error).toContain('provider down (attempt 2)')
    })

    it('when QStash has no retry left, the attempt is handed back: pending after the backoff, and the sweep publishes it again', async () => {
      await fake.close()
      await testApp.close()
      await setup({ QSTASH_RETRIES: '1' }, subscriptions)
      failures = 3
      await publishAndKick()
      expect(fake.messages[0]!.attempts.map((a) => a.status)).toEqual([503, 503])
      const [waiting] = await deliveries()
      expect(waiting).toMatchObject({ status: 'pending', attempts: 2, crashes: 0, lease_owner: null })
      expect(waiting!.due_in_s).toBeGreaterThan(30) // waits its backoff (60–120 s after attempt 2), nobody holds it
      expect((await edge.sweep(testApp.db)).claimed).toBe(0) // not due yet

      await makeDue(testApp.db)
      expect(await edge.sweep(testApp.db)).toMatchObject({ claimed: 1, published: 1 })
      await fake.idle()
      expect(fake.messages[1]!.deduplicationId).toBe(`${waiting!.id}.3`) // a new attempt, a new dedupe id
      expect(fake.messages[1]!.attempts.map((a) => a.status)).toEqual([503, 200])
      expect(rec.seen).toHaveLength(1)
      expect((await deliveries())[0]).toMatchObject({ status: 'delivered', attempts: 4 })
    })

    it('dedupe: a claim published twice (the first publish failed ambiguously) is delivered once', async () => {
      fake.hold() // QStash keeps the message for now
      fake.acceptThenFail() // it enqueues the batch, but the answer says 500
      await publishAndKick()
      const [released] = await deliveries()
      // Released without consuming the attempt: due now, owned by nobody.
      expect(released).toMatchObject({ status: 'pending', attempts: 0, lease_owner: null })

      fake.up()
      const swept = await edge.sweep(testApp.db)
      expect(swept).toMatchObject({ claimed: 1, published: 1, deduplicated: 1 }) // same claim, same id: dropped
      expect(fake.messages).toHaveLength(1)
      fake.release()
      await fake.idle()
      expect(rec.seen).toHaveLength(1)
      expect((await deliveries())[0]).toMatchObject({ status: 'delivered', attempts: 1 })
    })

    it('a copy of a message whose publish looked failed still delivers, once, when it arrives before the sweep', async () => {
      fake.acceptThenFail()
      await publishAndKick()
      expect(rec.seen).toHaveLength(1)
      expect((await deliveries())[0]).toMatchObject({ status: 'delivered', attempts: 1, crashes: 0 })
      fake.up()
      expect((await edge.sweep(testApp.db)).claimed).toBe(0)
    })

    it('dedupe does not block a legitimate retry: a message QStash lost is claimed again after its lease, under a new id', async () => {
      fake.loseNext()
      await publishAndKick()
      expect(rec.seen).toHaveLength(0)
      const [leased] = await deliveries()
      expect(leased).toMatchObject({ status: 'pending', attempts: 1, lease_owner: 'qstash' })
      expect(leased!.due_in_s).toBeGreaterThan(600) // QSTASH_LEASE_MS (15 min): QStash gets time to deliver
      expect((await edge.sweep(testApp.db)).claimed).toBe(0) // still QStash's

      await makeDue(testApp.db) // the lease runs out
      expect(await edge.sweep(testApp.db)).toMatchObject({ claimed: 1, published: 1, deduplicated: 0 })
      await fake.idle()
      expect(fake.messages.map((m) => m.deduplicationId)).toEqual([`${leased!.id}.1`, `${leased!.id}.2`])
      expect(rec.seen).toHaveLength(1)
      expect((await deliveries())[0]).toMatchObject({ status: 'delivered', attempts: 2, crashes: 1 })
    })

    it('QStash down → claims released, kicks stand aside, and the cron sweep publishes later', async () => {
      fake.down()
      await publishAndKick()
      expect(fake.calls.map((c) => c.status)).toEqual([503])
      expect(await deliveries()).toMatchObject([{ status: 'pending', attempts: 0, lease_owner: null }])
      expect(rec.seen).toHaveLength(0)

      // The next commit's kick leaves QStash alone for the cooldown: the sweep is the one to try again.
      await publishAndKick()
      expect(fake.calls).toHaveLength(1)

      fake.up()
      expect(await edge.sweep(testApp.db)).toMatchObject({ claimed: 2, published: 2, released: 0 })
      await fake.idle()
      expect(rec.seen).toHaveLength(2)
      expect((await deliveries()).map((d) => d.status)).toEqual(['delivered', 'delivered'])
    })

    it('a delivery already delivered answers 200 without running the handler again (a replayed request)', async () => {
      fake.hold()
      await publishAndKick()
      const [m] = fake.messages
      const signature = await signQStashJwt({ key: fake.currentSigningKey, url: DELIVER_URL, body: m!.body })
      const first = await postDeliver(m!.body, signature)
      expect({ status: first.status, body: await first.json() }).toMatchObject({ status: 200, body: { status: 'delivered', ran: true } })
      const again = await postDeliver(m!.body, signature)
      expect({ status: again.status, body: await again.json() }).toMatchObject({ status: 200, body: { status: 'delivered', ran: false } })
      fake.release() // QStash's own copy arrives late: also a no-op
      await fake.idle()
      expect(m!.attempts).toEqual([{ retried: 0, status: 200, retryAfter: null }])
      expect(rec.seen).toHaveLength(1)
    })

    it('two copies of one message at once: one runs the handler, the other is told to come back (409 + Retry-After)', async () => {
      let open!: () => void
      const gate = new Promise<void>((resolve) => (open = resolve))
      let entered!: () => void
      const running = new Promise<void>((resolve) => (entered = resolve))
      subscriptions[0] = defineSubscription('edge-sub', ['booking.*'], async (event) => {
        entered()
        await gate
        await rec.handler(event)
      })
      fake.hold()
      await publishAndKick()
      const [m] = fake.messages
      const signature = await signQStashJwt({ key: fake.currentSigningKey, url: DELIVER_URL, body: m!.body })
      const first = postDeliver(m!.body, signature)
      await running
      const second = await postDeliver(m!.body, signature)
      expect(second.status).toBe(409)
      expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0)
      open()
      expect((await first).status).toBe(200)
      expect(rec.seen).toHaveLength(1)
      fake.release()
    })

    describe('signature checks: nothing runs without a valid Upstash-Signature', () => {
      let body: string
      beforeEach(async () => {
        fake.hold() // the claim is made and the message is with QStash; the tests below knock on the door themselves
        await publishAndKick()
        body = fake.messages[0]!.body
      })

      async function expectRefused(res: Response) {
        expect(res.status).toBe(401)
        expect(res.headers.get('content-type')).toContain('application/problem+json')
        expect(await res.json()).toMatchObject({ status: 401, code: 'unauthorized' })
        expect(rec.seen).toHaveLength(0)
        // Untouched: still QStash's, its attempt still the one QStash will make.
        expect(await deliveries()).toMatchObject([{ status: 'pending', attempts: 1, crashes: 0, lease_owner: 'qstash', last_error: null }])
        // And the genuine message still delivers.
        fake.release()
        await fake.idle()
        expect(rec.seen).toHaveLength(1)
      }

      it('missing signature → 401', async () => {
        await expectRefused(await postDeliver(body, undefined))
      })

      it('forged signature (signed with a key that is neither signing key) → 401', async () => {
        await expectRefused(await postDeliver(body, await signQStashJwt({ key: 'sig_attacker_guess', url: DELIVER_URL, body })))
      })

      it('stale signature (exp in the past) → 401', async () => {
        const tenMinutesAgo = Math.floor(Date.now() / 1000) - 600
        await expectRefused(await postDeliver(body, await signQStashJwt({ key: fake.currentSigningKey, url: DELIVER_URL, body, now: tenMinutesAgo })))
      })

      it('signature for another URL (sub mismatch) → 401', async () => {
        const elsewhere = 'http://other-app.test/internal/events/deliver'
        await expectRefused(await postDeliver(body, await signQStashJwt({ key: fake.currentSigningKey, url: elsewhere, body })))
      })

      it('body tampered after signing → 401', async () => {
        const signature = await signQStashJwt({ key: fake.currentSigningKey, url: DELIVER_URL, body })
        const [d] = await deliveries()
        const tampered = JSON.stringify({ deliveryId: String(Number(d!.id) + 1) })
        await expectRefused(await postDeliver(tampered, signature))
      })

      it('the next signing key is accepted (key rotation)', async () => {
        fake.signWith('next')
        fake.release()
        await fake.idle()
        expect(fake.messages[0]!.attempts).toEqual([{ retried: 0, status: 200, retryAfter: null }])
        expect(rec.seen).toHaveLength(1)
      })
    })
  })

  it('a partner webhook (HTTP subscription) is delivered through QStash by the endpoint, signed per Standard Webhooks', async () => {
    const receiver: Receiver = await startReceiver()
    try {
      await setup()
      const { secret } = await createWebhookSubscription(testApp.db.orm, { name: 'partner', url: receiver.url, patterns: ['booking.*'] })
      receiver.answer(() => (receiver.requests.length === 1 ? { status: 500 } : { status: 204 }))
      const [published] = await publishAndKick()
      expect(receiver.requests).toHaveLength(2) // 500, then QStash's retry got 204
      const verified = new Webhook(secret).verify(receiver.requests[1]!.body, webhookHeaders(receiver.requests[1]!)) as { id: string }
      expect(verified.id).toBe(published!.id)
      expect(fake.messages[0]!.flowControl?.key).toBe('partner')
      expect((await deliveries())[0]).toMatchObject({ status: 'delivered', attempts: 2 })
    } finally {
      await receiver.close()
    }
  })

  it('is not part of the public API: absent from /openapi.json; 404 where QStash is not configured', async () => {
    await setup()
    const doc = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> }
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/internal'))).toBe(false)

    const plain = await startTestApp()
    try {
      const res = await plain.app.request(DELIVER_URL, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"deliveryId":"1"}' })
      expect(res.status).toBe(404)
      expect(res.headers.get('content-type')).toContain('application/problem+json')
    } finally {
      await plain.close()
    }
  })

  it('dispatchViaQStash publishes only what is due, in one call; nothing when nothing is due; a token QStash refuses releases the claim', async () => {
    const rec = recorder()
    await setup({}, [defineSubscription('edge-sub', ['booking.*'], rec.handler)])
    const client = createQStashClient({ baseUrl: fake.url, token: fake.token })
    const options = {
      db: testApp.db,
      qstash: client,
      deliverUrl: DELIVER_URL,
      subscriptionNames: ['edge-sub'],
      limit: 10,
      leaseMs: 60_000,
      retries: 2,
      flowControl: { parallelism: 1 },
      logger: silentLogger,
    }
    expect(await dispatchViaQStash(options)).toEqual({ claimed: 0, published: 0, released: 0, deduplicated: 0 })
    expect(fake.calls).toHaveLength(0)
    await publishOne(testApp.db)
    await publishOne(testApp.db)
    expect(await dispatchViaQStash(options)).toEqual({ claimed: 2, published: 2, released: 0, deduplicated: 0 })
    expect(await dispatchViaQStash(options)).toMatchObject({ claimed: 0 }) // leased to QStash now
    await fake.idle()
    expect(fake.calls).toEqual([{ path: '/v2/batch', status: 200, messages: 2 }])
    expect(fake.messages.map((m) => m.flowControl)).toEqual([
      { key: 'edge-sub', value: 'parallelism=1' },
      { key: 'edge-sub', value: 'parallelism=1' },
    ])
    expect(rec.seen).toHaveLength(2)

    // A token QStash does not know: refused (401), and the claim goes back for the sweep.
    await publishOne(testApp.db)
    const wrongToken = { ...options, qstash: createQStashClient({ baseUrl: fake.url, token: 'not-the-token' }) }
    expect(await dispatchViaQStash(wrongToken)).toEqual({ claimed: 1, published: 0, released: 1, deduplicated: 0 })
    expect(fake.calls).toHaveLength(1) // the fake answered 401 and recorded no publish
    expect(fake.messages).toHaveLength(2)
  })

  it('config: the signing keys go together, and a token needs PUBLIC_URL and the keys', () => {
    expect(() => parseConfig({ QSTASH_CURRENT_SIGNING_KEY: 'a' })).toThrow(/QSTASH_NEXT_SIGNING_KEY/)
    expect(() => parseConfig({ QSTASH_TOKEN: 't', QSTASH_CURRENT_SIGNING_KEY: 'a', QSTASH_NEXT_SIGNING_KEY: 'b' })).toThrow(/PUBLIC_URL/)
    expect(() => parseConfig({ QSTASH_TOKEN: 't', PUBLIC_URL })).toThrow(/signing keys/)
    const config = parseConfig({ QSTASH_TOKEN: 't', PUBLIC_URL, QSTASH_CURRENT_SIGNING_KEY: 'a', QSTASH_NEXT_SIGNING_KEY: 'b' })
    expect(config).toMatchObject({ QSTASH_URL: 'https://qstash.upstash.io', QSTASH_RETRIES: 3, QSTASH_PARALLELISM: 10, QSTASH_LEASE_MS: 900_000 })
  })
})
