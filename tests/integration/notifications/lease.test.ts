/**
 * The lease of a claim in a queue round that outlasts it (slow providers, a big backlog): each batch's lease must
 * start when that batch is claimed. Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmailProvider } from '../../../src/core/notifications/provider.ts'
import { sampleVariables } from '../../../src/core/notifications/templates/index.ts'
import { enqueueNotification } from '../../../src/pillars/engagement/notifications/enqueue.ts'
import { processNotifications } from '../../../src/pillars/engagement/notifications/processor.ts'
import { makeWorld, notifications, startNotifyApp, userId, type NotifyTestApp, type World } from './support.ts'

const LEASE_SECONDS = 60

describe('leases in a long queue round', () => {
  let t: NotifyTestApp
  let w: World
  const sent: string[] = []
  const claimedByAnotherWorker: number[] = []

  // Each send takes 0.6 of a lease (on the test clock): the round's second batch is claimed 36 s into the round,
  // and while it is being sent (72 s in) another worker looks for due rows.
  const slowProvider: EmailProvider = {
    channel: 'email',
    name: 'resend',
    async send(m) {
      sent.push(m.idempotencyKey)
      if (sent.length <= 2) t.clock.advance(LEASE_SECONDS * 0.6)
      if (sent.length === 2) claimedByAnotherWorker.push((await processNotifications(t.deps, t.clock.now())).claimed)
      return { providerMessageId: `slow-${sent.length}`, status: 'queued' }
    },
  }

  beforeAll(async () => {
    t = await startNotifyApp({ email: [slowProvider] }, { NOTIFY_BATCH_SIZE: '1', NOTIFY_LEASE_SECONDS: String(LEASE_SECONDS) })
    w = await makeWorld(t)
  })
  afterAll(() => t?.close())

  it('a round that outlasts the lease: its later batch still holds a full lease, so another worker claims nothing of it and each message is sent once', async () => {
    for (const source of ['lease-a', 'lease-b']) {
      await t.db.orm.transaction((tx) =>
        enqueueNotification(tx, {
          source,
          userId: userId(w.traveller),
          kind: 'booking_confirmed',
          variables: sampleVariables('booking_confirmed'),
          contact: { email: 'anna@example.org' },
          channels: ['email'],
          now: t.clock.now(),
          escalateAfterSeconds: 300,
        }),
      )
    }
    await t.runQueue()
    expect(claimedByAnotherWorker).toEqual([0])
    expect(sent).toHaveLength(2)
    expect(new Set(sent).size).toBe(2)
    expect((await notifications(t, { kind: 'booking_confirmed' })).map((r) => r.status)).toEqual(['sent', 'sent'])
  })
})
