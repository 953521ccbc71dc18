/**
 * The operator's manifest, the evening before: a maintenance step (every minute, every runtime) that finds
 * departures starting within two days whose "evening before" — 18:00 on the previous day in the tour's zone —
 * has come, and queues the list of confirmed travellers for the operator. Keyed `manifest/<departure>`, so
 * every later run (and every other process) finds it queued already.
 */
import { sql } from 'drizzle-orm'
import type { Deps } from '../../../deps.ts'
import { queryRows } from '../../../core/db/index.ts'
import { enqueueNotification } from './enqueue.ts'
import { departureBookingFacts, localised, partyOf, publicBase } from './facts.ts'

export async function queueOperatorManifests(deps: Pick<Deps, 'db' | 'config'>, now: Date, limit = 100): Promise<number> {
  const at = now.toISOString()
  const due = await queryRows<{ id: string }>(
    deps.db.orm,
    sql`select d.id from departures d join tours t on t.id = d.tour_id
        where d.status = 'scheduled' and d.starts_at > ${at}::timestamptz and d.starts_at <= ${at}::timestamptz + interval '48 hours'
          and ((date_trunc('day', d.starts_at at time zone t.timezone) - interval '6 hours') at time zone t.timezone) <= ${at}::timestamptz
          and exists (select 1 from bookings b where b.departure_id = d.id and b.status = 'confirmed')
          and not exists (select 1 from notifications n where n.subject_id = d.id::text and n.kind = 'operator_manifest')
        order by d.starts_at limit ${limit}`,
  )
  let queued = 0
  for (const { id } of due) {
    queued += await deps.db.orm.transaction(async (tx) => {
      const bookings = await departureBookingFacts(tx, id, ['confirmed'])
      const first = bookings[0]
      if (!first) return 0
      return enqueueNotification(tx, {
        source: `manifest/${id}`,
        userId: first.operatorUserId,
        kind: 'operator_manifest',
        subjectId: id,
        contact: { email: first.operatorContact.email },
        now,
        escalateAfterSeconds: deps.config.NOTIFY_ESCALATE_AFTER_SECONDS,
        variables: (locale) => ({
          tour: { title: localised(first, locale).title },
          departure: { startsAt: first.startsAt.toISOString(), timezone: first.timezone, meetingPoint: localised(first, locale).meetingPoint },
          capacity: first.capacity,
          travellers: bookings.slice(0, 500).map((b) => ({
            name: b.contact.name,
            party: partyOf(b),
            ...(b.contact.phone ? { phone: b.contact.phone } : {}),
            ...(b.contact.email ? { email: b.contact.email } : {}),
            confirmationCode: b.confirmationCode!,
          })),
          manifestUrl: `${publicBase(deps.config)}/v1/operator/departures/${id}/manifest`,
        }),
      })
    })
  }
  return queued
}
