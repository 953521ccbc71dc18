/**
 * The events this pillar publishes, written in the caller's transaction with the change they describe (a
 * rollback leaves neither). Aggregates are the tour and the departure; versions are the rows' edit counters.
 */
import type { Executor } from '../../core/db/index.ts'
import type { AuthUser } from '../../core/auth/principal.ts'
import { publish } from '../../events/publish.ts'
import type { DepartureRow, TourRow } from './tables.ts'

type TourEvent = 'tour.created' | 'tour.updated' | 'tour.published' | 'tour.archived'

const actorOf = (actor: AuthUser) => ({ type: 'user' as const, id: actor.id })

export async function publishTourEvent(tx: Executor, type: TourEvent, tour: TourRow, actor: AuthUser, fields?: string[]): Promise<void> {
  const data = { tourId: tour.id, operatorId: tour.operatorId, title: tour.content.ru.title }
  const aggregate = { type: 'tour', id: tour.id, version: tour.version }
  if (type === 'tour.updated') await publish(tx, { type, data: { ...data, fields }, aggregate, actor: actorOf(actor) })
  else await publish(tx, { type, data, aggregate, actor: actorOf(actor) })
}

export async function publishDepartureScheduled(tx: Executor, departure: DepartureRow, actor: AuthUser): Promise<void> {
  await publish(tx, {
    type: 'departure.scheduled',
    data: { departureId: departure.id, tourId: departure.tourId, startsAt: departure.startsAt.toISOString(), capacity: departure.capacity },
    aggregate: { type: 'departure', id: departure.id, version: departure.version },
    actor: actorOf(actor),
  })
}

export async function publishDepartureUpdated(tx: Executor, departure: DepartureRow, actor: AuthUser, fields: string[]): Promise<void> {
  await publish(tx, {
    type: 'departure.updated',
    data: {
      departureId: departure.id,
      tourId: departure.tourId,
      startsAt: departure.startsAt.toISOString(),
      capacity: departure.capacity,
      seatsLeft: departure.seatsLeft,
      fields,
    },
    aggregate: { type: 'departure', id: departure.id, version: departure.version },
    actor: actorOf(actor),
  })
}

export async function publishDepartureCancelled(tx: Executor, departure: DepartureRow, actor: AuthUser): Promise<void> {
  await publish(tx, {
    type: 'departure.cancelled',
    data: {
      departureId: departure.id,
      tourId: departure.tourId,
      startsAt: departure.startsAt.toISOString(),
      ...(departure.cancelReason ? { reason: departure.cancelReason } : {}),
    },
    aggregate: { type: 'departure', id: departure.id, version: departure.version },
    actor: actorOf(actor),
  })
}
