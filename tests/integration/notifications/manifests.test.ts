/**
 * The operator's manifest, queued by the minute maintenance step (src/maintenance.ts → manifests.ts) at 18:00 the
 * evening before the departure in the tour's zone (Asia/Kamchatka, UTC+12 all year), with a hand-moved clock.
 * Runs on PGlite and, with TEST_DATABASE_URL, on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { queryRows } from '../../../src/core/db/index.ts'
import { runMinuteMaintenance } from '../../../src/maintenance.ts'
import * as booking from '../../../src/pillars/booking/service.ts'
import { addDeparture, contact, DAY, makeTour, principalOf, type Actor } from '../booking/support.ts'
import { fakeEmail, makeWorld, notifications, startNotifyApp, userId, type NotifyTestApp, type World } from './support.ts'

const KAMCHATKA_OFFSET_MS = 12 * 3_600_000
const boris = { name: 'Boris Ivanov', email: 'boris@example.com', phone: '+7 914 765-43-21' }

describe('operator manifest, the evening before', () => {
  const email = fakeEmail('resend')
  let t: NotifyTestApp
  let w: World
  /** Departs the day after tomorrow (Kamchatka dates) at 09:00 local: two confirmed bookings and one only held. */
  let departure: { id: string; startsAt: string }
  /** Departs a day later than `departure`, one confirmed booking. */
  let later: { id: string }
  /** Departs on the same day as `departure`, nothing confirmed. */
  let empty: { id: string }
  let eveningBefore: Date

  /** The Kamchatka calendar date `days` after today's there, as YYYY-MM-DD. */
  const kamchatkaDate = (days: number) => new Date(t.clock.now().getTime() + KAMCHATKA_OFFSET_MS + days * DAY).toISOString().slice(0, 10)
  const confirm = async (actor: Actor, departureId: string, who: typeof contact, party: Record<string, number>) => {
    const held = await booking.holdSeats(t.deps, principalOf(actor), { departureId, party, contact: who })
    await booking.confirmBooking(t.deps, held.id, { paymentId: `pay_${held.id}` })
  }
  /** Moves the hand clock forward to `at` (the fixtures are made first: access tokens expire as it moves). */
  const moveClockTo = (at: Date) => {
    expect(at.getTime()).toBeGreaterThanOrEqual(t.clock.now().getTime())
    t.clock.advance((at.getTime() - t.clock.now().getTime()) / 1000)
  }

  beforeAll(async () => {
    t = await startNotifyApp({ email: [email.provider] })
    w = await makeWorld(t)
    eveningBefore = new Date(`${kamchatkaDate(1)}T18:00:00+12:00`)
    const tour = await makeTour(t, w.operator, { timezone: 'Asia/Kamchatka', title: 'Долина гейзеров' })
    departure = await addDeparture(t, w.operator, tour.id, { localStartsAt: `${kamchatkaDate(2)}T09:00:00` })
    await confirm(w.traveller, departure.id, contact, { adult: 2 })
    await confirm(w.otherTraveller, departure.id, boris, { adult: 1, child: 1 })
    await booking.holdSeats(t.deps, principalOf(w.admin), { departureId: departure.id, party: { adult: 1 }, contact: { name: 'Held Only', email: 'held@example.com' } })
    const other = await makeTour(t, w.otherOperator, { timezone: 'Asia/Kamchatka' })
    later = await addDeparture(t, w.otherOperator, other.id, { localStartsAt: `${kamchatkaDate(3)}T09:00:00` })
    await confirm(w.traveller, later.id, contact, { adult: 1 })
    empty = await addDeparture(t, w.otherOperator, other.id, { localStartsAt: `${kamchatkaDate(2)}T09:00:00` })
  })
  afterAll(() => t?.close())

  it('exactly one manifest for the operator, queued at 18:00 the day before in Asia/Kamchatka, listing the confirmed travellers', async () => {
    expect(departure.startsAt).toBe(new Date(`${kamchatkaDate(2)}T09:00:00+12:00`).toISOString())
    const codes = await queryRows<{ name: string; code: string }>(
      t.db.orm,
      sql`select contact->>'name' as name, confirmation_code as code from bookings where departure_id = ${departure.id} and status = 'confirmed'`,
    )
    expect(codes).toHaveLength(2)
    const manifests = () => notifications(t, { kind: 'operator_manifest', subjectId: departure.id })

    // 17:59 Kamchatka time the evening before: not yet
    moveClockTo(new Date(eveningBefore.getTime() - 60_000))
    await runMinuteMaintenance(t.deps)
    expect(await manifests()).toEqual([])

    // 18:00: queued. On a server the minute wakes the queue worker, which sends it; on Workers (no worker, no kick)
    // the cron's minute runs the queue itself — here the second, after checking the first. The next minute's run,
    // and one an hour later, add nothing.
    moveClockTo(eveningBefore)
    const kicks = t.kicks
    expect(await runMinuteMaintenance(t.deps)).toMatchObject({ manifestsQueued: 1 })
    expect(t.kicks).toBe(kicks + 1)
    expect(await manifests()).toMatchObject([{ status: 'queued' }])
    const onWorkers = { ...t.deps, notifications: { channels: t.deps.notifications!.channels } }
    expect(await runMinuteMaintenance(onWorkers)).toMatchObject({ manifestsQueued: 0, notificationsSent: 1 })
    t.clock.advance(3600)
    expect(await runMinuteMaintenance(t.deps)).toMatchObject({ manifestsQueued: 0 })
    expect(t.kicks).toBe(kicks + 1)
    const rows = await manifests()
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ user_id: userId(w.operator), channel: 'email', status: 'sent', provider: 'resend' })

    const [stored] = await queryRows<{ address: string; created_at: string | Date; payload: unknown }>(
      t.db.orm,
      sql`select address, created_at, payload from notifications where id = ${rows[0]!.id}`,
    )
    expect(stored!.address).toBe('ops@example.com')
    expect(new Date(stored!.created_at).toISOString()).toBe(eveningBefore.toISOString())
    const { variables } = (typeof stored!.payload === 'string' ? JSON.parse(stored!.payload) : stored!.payload) as { variables: Record<string, any> }
    expect(variables.departure).toMatchObject({ startsAt: departure.startsAt, timezone: 'Asia/Kamchatka' })
    expect(variables.tour.title).toBe('Долина гейзеров')
    expect(variables.travellers).toHaveLength(2)
    expect(variables.travellers).toEqual(
      expect.arrayContaining([
        { name: 'Anna Petrova', party: { adult: 2 }, phone: contact.phone, email: contact.email, confirmationCode: codes.find((c) => c.name === 'Anna Petrova')!.code },
        { name: 'Boris Ivanov', party: { adult: 1, child: 1 }, phone: boris.phone, email: boris.email, confirmationCode: codes.find((c) => c.name === 'Boris Ivanov')!.code },
      ]),
    )

    // what the operator received is that manifest, once, without the traveller who only held seats
    const sent = email.sent.filter((m) => m.idempotencyKey === rows[0]!.id)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.to).toBe('ops@example.com')
    expect(sent[0]!.text).toContain('Boris Ivanov')
    expect(sent[0]!.text).not.toContain('Held Only')
  })

  it('at that same evening: a departure a day later, and one with no confirmed booking, get no manifest', async () => {
    moveClockTo(new Date(Math.max(eveningBefore.getTime() + 3_600_000, t.clock.now().getTime())))
    await runMinuteMaintenance(t.deps)
    expect(await notifications(t, { kind: 'operator_manifest', subjectId: later.id })).toEqual([])
    expect(await notifications(t, { kind: 'operator_manifest', subjectId: empty.id })).toEqual([])
  })
})
