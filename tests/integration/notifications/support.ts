/** Helpers for the notification queue tests: the app with fake providers, a hand-moved clock, bookings, the queue. */
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { dispatcherFor } from '../../support/events.ts'
import { manualClock } from '../../support/auth.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { registerSubscriptions } from '../../../src/events/subscription.ts'
import {
  NotificationError,
  type EmailMessage,
  type EmailProvider,
  type EmailProviderName,
  type PushMessage,
  type PushProvider,
  type SmsMessage,
  type SmsProvider,
} from '../../../src/core/notifications/provider.ts'
import type { NotificationChannels } from '../../../src/pillars/engagement/notifications/channels.ts'
import { notificationsSubscription } from '../../../src/pillars/engagement/notifications/subscriptions.ts'
import { runNotificationQueue } from '../../../src/pillars/engagement/notifications/worker.ts'
import * as booking from '../../../src/pillars/booking/service.ts'
import { addDeparture, contact, DAY, makeTour, makeWorld, principalOf, type World } from '../booking/support.ts'

export { DAY, makeWorld, type World }

export type Behaviour = 'ok' | 'outage' | 'rejected' | 'gone'

/** An in-memory provider of the port: records what it was given, answers as told. */
export function fakeEmail(name: EmailProviderName, behaviour: { now: Behaviour } = { now: 'ok' }) {
  const sent: EmailMessage[] = []
  const provider: EmailProvider = {
    channel: 'email',
    name,
    async send(m) {
      if (behaviour.now !== 'ok') throw new NotificationError(behaviour.now === 'gone' ? 'rejected' : behaviour.now, name, `fake ${behaviour.now}`)
      sent.push(m)
      return { providerMessageId: `${name}-${sent.length}`, status: 'queued' }
    },
  }
  return { provider, sent, behaviour }
}

export function fakeSms() {
  const sent: SmsMessage[] = []
  const provider: SmsProvider = { channel: 'sms', name: 'smsru', async send(m) { sent.push(m); return { providerMessageId: `sms-${sent.length}`, status: 'sent' } } }
  return { provider, sent }
}

export function fakePush(behaviour: { now: Behaviour } = { now: 'ok' }) {
  const sent: PushMessage[] = []
  const provider: PushProvider = {
    channel: 'push',
    name: 'fcm',
    deviceKinds: ['fcm'],
    async send(m) {
      if (behaviour.now !== 'ok') throw new NotificationError(behaviour.now, 'fcm', `fake ${behaviour.now}`)
      sent.push(m)
      return { providerMessageId: `push-${sent.length}`, status: 'sent' }
    },
  }
  return { provider, sent, behaviour }
}

export interface NotifyTestApp extends TestApp {
  clock: ReturnType<typeof manualClock>
  /** Runs the notifications subscription over every due event delivery (the dispatcher's job in production). */
  drain(): Promise<number>
  /** One queue round at the clock's now (escalation, then sending). */
  runQueue(): Promise<Record<string, number>>
  /** How often the app woke the (server's) queue worker: a subscriber queued rows, a provider reported a failure. */
  readonly kicks: number
}

export async function startNotifyApp(channels: Partial<NotificationChannels> = {}, env: Record<string, string> = {}): Promise<NotifyTestApp> {
  const clock = manualClock(new Date(Date.now()))
  const full: NotificationChannels = { email: [], sms: [], push: [], emailFrom: 'KamHub <noreply@kamhub.test>', devInbox: false, ...channels }
  const woken = { kicks: 0 }
  const kick = () => void woken.kicks++
  const t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000', ACCESS_TOKEN_TTL_SECONDS: '86400', ...env }, deps: { clock, notifications: { channels: full, kick } } })
  const subscriptions = [notificationsSubscription(t.deps)]
  await registerSubscriptions(t.db.orm, subscriptions)
  const dispatcher = dispatcherFor(t.db, { subscriptions })
  const app = Object.assign(t, { clock, drain: () => dispatcher.drain(), runQueue: () => runNotificationQueue(t.deps, clock.now()) })
  // a live count (Object.assign would copy a getter's value once)
  return Object.defineProperty(app, 'kicks', { get: () => woken.kicks }) as typeof app & { readonly kicks: number }
}

/** A confirmed booking for 2 adults on a fresh departure at `startsAt` (default 3 days ahead of the clock). */
export async function confirmedBooking(t: NotifyTestApp, w: World, { startsAt }: { startsAt?: Date } = {}) {
  const tour = await makeTour(t, w.operator)
  const departure = await addDeparture(t, w.operator, tour.id, { startsAt: startsAt ?? new Date(t.clock.now().getTime() + 3 * DAY) })
  const held = await booking.holdSeats(t.deps, principalOf(w.traveller), { departureId: departure.id, party: { adult: 2 }, contact })
  await booking.confirmBooking(t.deps, held.id, { paymentId: `pay_${held.id}` })
  return { bookingId: held.id, departureId: departure.id, tourId: tour.id }
}

export interface NotificationRow {
  id: string
  user_id: string
  channel: string
  kind: string
  status: string
  provider: string | null
  provider_message_id: string | null
  next_attempt_at: Date
  not_before: Date | null
  attempts: number
  last_error: string | null
}

/**
 * Notification rows, oldest first. On the manual clock every row written at one instant shares its created_at, and
 * ids (UUIDv7, random below the millisecond) do not tell their order either: the order among those rows is only
 * made stable, not meaningful. A test that wants "its" row filters by subjectId (the booking), never takes the last.
 */
export async function notifications(t: TestApp, filter: { kind?: string; userId?: string; subjectId?: string } = {}): Promise<NotificationRow[]> {
  const rows = await queryRows<NotificationRow>(
    t.db.orm,
    sql`select id, user_id, channel, kind, status, provider, provider_message_id, next_attempt_at, not_before, attempts, last_error
        from notifications
        where (${filter.kind ?? null}::text is null or kind = ${filter.kind ?? null}::text)
          and (${filter.userId ?? null}::text is null or user_id::text = ${filter.userId ?? null}::text)
          and (${filter.subjectId ?? null}::text is null or subject_id = ${filter.subjectId ?? null}::text)
        order by created_at, channel, id`,
  )
  return rows.map((r) => ({ ...r, next_attempt_at: new Date(r.next_attempt_at), not_before: r.not_before && new Date(r.not_before), attempts: Number(r.attempts) }))
}

export const userId = (actor: { session: { user: { id: string } } }) => actor.session.user.id
