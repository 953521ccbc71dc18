/**
 * The server's queue worker sleeps until the queue's next row falls due (bounded by NOTIFY_POLL_INTERVAL_MS)
 * instead of polling every couple of seconds: what "next due" means for each kind of waiting row, and how long the
 * worker then sleeps. Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { nextNotificationDue, sleepBeforeNextRound, startNotificationWorker, type WorkerTimers } from '../../../src/pillars/engagement/notifications/worker.ts'
import { confirmedBooking, fakeEmail, makeWorld, notifications, startNotifyApp, userId, type NotifyTestApp, type World } from './support.ts'

describe('sleepBeforeNextRound', () => {
  const now = new Date('2026-07-01T00:00:00Z')
  const inMs = (ms: number) => new Date(now.getTime() + ms)

  it.each([
    ['nothing queued: the backstop', null, 30_000],
    ['due in 5 s: 5 s', inMs(5_000), 5_000],
    ['due after the backstop: the backstop', inMs(3_600_000), 30_000],
    ['due already (a row another worker holds a moment): a short pause, never a busy loop', inMs(-60_000), 100],
  ])('%s', (_name, due, expected) => {
    expect(sleepBeforeNextRound(due, now, 30_000)).toBe(expected)
  })
})

describe('nextNotificationDue', () => {
  let t: NotifyTestApp
  let w: World
  let user: string
  let seq = 0

  beforeAll(async () => {
    t = await startNotifyApp()
    w = await makeWorld(t)
    user = userId(w.traveller)
  })
  afterAll(() => t?.close())
  // Each case starts from an empty queue: whatever earlier cases (or the world's set-up) queued is finished.
  beforeEach(async () => {
    await t.db.orm.execute(sql`update notifications set status = 'delivered', escalated_at = coalesce(escalated_at, now())`)
  })

  const at = (seconds: number) => new Date(t.clock.now().getTime() + seconds * 1000)
  async function insert(row: { status: string; nextAttemptAt: Date; escalateAt?: Date }) {
    await t.db.orm.execute(
      sql`insert into notifications (id, dedupe_key, user_id, channel, kind, category, payload, status, next_attempt_at, critical, escalate_at)
          values (${crypto.randomUUID()}, ${`wakeup-${++seq}`}, ${user}, 'push', 'test_message', 'alerts', '{"variables":{},"contact":{}}'::jsonb,
            ${row.status}, ${row.nextAttemptAt.toISOString()}::timestamptz, ${row.escalateAt !== undefined}, ${row.escalateAt?.toISOString() ?? null}::timestamptz)`,
    )
  }

  it('an empty queue: nothing to wake for', async () => {
    expect(await nextNotificationDue(t.deps, t.clock.now())).toBeNull()
  })

  it('a message queued for later (quiet hours, a retry backoff): its time', async () => {
    await insert({ status: 'queued', nextAttemptAt: at(40) })
    await insert({ status: 'queued', nextAttemptAt: at(900) })
    expect(await nextNotificationDue(t.deps, t.clock.now())).toEqual(at(40))
  })

  it("a row another worker claimed: the end of its lease (the worker may have died)", async () => {
    await insert({ status: 'sending', nextAttemptAt: at(60) })
    expect(await nextNotificationDue(t.deps, t.clock.now())).toEqual(at(60))
  })

  it('sent, delivered, failed and dead rows that will not escalate are not work', async () => {
    for (const status of ['sent', 'delivered', 'failed', 'dead', 'cancelled']) await insert({ status, nextAttemptAt: at(-5) })
    expect(await nextNotificationDue(t.deps, t.clock.now())).toBeNull()
  })

  it('a critical alert sent but not confirmed: its escalation time', async () => {
    await insert({ status: 'sent', nextAttemptAt: at(-5), escalateAt: at(300) })
    expect(await nextNotificationDue(t.deps, t.clock.now())).toEqual(at(300))
  })

  it('a critical alert that failed outright escalates now, not at its escalation time', async () => {
    await insert({ status: 'failed', nextAttemptAt: at(-5), escalateAt: at(300) })
    expect(await nextNotificationDue(t.deps, t.clock.now())).toEqual(t.clock.now())
  })
})

describe('the worker', () => {
  const resend = fakeEmail('resend')
  let t: NotifyTestApp
  let w: World

  beforeAll(async () => {
    t = await startNotifyApp({ email: [resend.provider] }, { NOTIFY_POLL_INTERVAL_MS: '600000' })
    w = await makeWorld(t)
  })
  afterAll(() => t?.close())

  /** Timers the test fires by hand: each sleep the worker asks for is recorded, and awaited with `nextSleep()`. */
  function handTimers() {
    const sleeps: { ms: number; fire: () => void }[] = []
    let wake: (() => void) | undefined
    const timers: WorkerTimers = {
      setTimeout(fn, ms) {
        sleeps.push({ ms, fire: fn })
        wake?.()
        return sleeps.length
      },
      clearTimeout() {},
    }
    let seen = 0
    const nextSleep = async () => {
      while (sleeps.length <= seen) await new Promise<void>((resolve) => (wake = resolve))
      return sleeps[seen++]!
    }
    return { timers, nextSleep }
  }

  it('sleeps until a message queued for later falls due, sends it then without being kicked, then sleeps the backstop', async () => {
    await t.db.orm.execute(sql`update notifications set status = 'delivered'`)
    await confirmedBooking(t, w)
    await t.drain()
    const later = new Date(t.clock.now().getTime() + 40_000)
    await t.db.orm.execute(sql`update notifications set next_attempt_at = ${later.toISOString()}::timestamptz where status = 'queued'`)
    const receipt = async () => (await notifications(t, { kind: 'booking_confirmed' })).find((r) => r.channel === 'email' && r.status !== 'delivered')!
    const { timers, nextSleep } = handTimers()
    const worker = startNotificationWorker(t.deps, timers)
    try {
      const first = await nextSleep()
      expect(first.ms).toBe(0) // a round at start: rows left from before a restart go out at once
      first.fire()
      const untilDue = await nextSleep()
      expect(untilDue.ms).toBe(40_000)
      const queued = await receipt()
      expect(queued.status).toBe('queued')
      expect(resend.sent.filter((m) => m.idempotencyKey === queued.id)).toHaveLength(0)

      t.clock.advance(40)
      untilDue.fire()
      const afterSend = await nextSleep()
      expect(await receipt()).toMatchObject({ status: 'sent', provider: 'resend' })
      expect(resend.sent.filter((m) => m.idempotencyKey === queued.id)).toHaveLength(1)
      expect(afterSend.ms).toBe(600_000) // nothing queued: only the backstop
    } finally {
      await worker.stop()
    }
  })
})
