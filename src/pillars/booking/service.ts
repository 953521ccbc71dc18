/**
 * The booking pillar: travellers hold seats, payments confirm, travellers and operators cancel, and a periodic
 * sweep expires unpaid holds, cancels underfilled departures and completes past ones.
 *
 * Guarantees:
 *  - seats are never oversold: the capacity check and the hold are one conditional UPDATE (catalogue.ts
 *    takeSeats), in the transaction that inserts the booking and publishes booking.held;
 *  - every transition is one transaction with its event, conditional on the status it leaves, so two racing
 *    transitions (a confirm and the expiry sweep) cannot both happen;
 *  - lock order is departure row, then booking rows; the expiry sweep skips locked rows instead of waiting,
 *    so no pair of these operations can deadlock;
 *  - a booking the caller may not see answers 404, exactly like one that does not exist.
 */
import type { Deps } from '../../deps.ts'
import type { AuthUser } from '../../core/auth/principal.ts'
import type { Executor } from '../../core/db/index.ts'
import { DomainError } from '../../core/errors.ts'
import type { Actor } from '../../events/envelope.ts'
import { uuidv7 } from '../../events/envelope.ts'
import { formatInZone } from '../discovery/zoned-time.ts'
import * as catalogue from './catalogue.ts'
import type { DepartureInfo } from './catalogue.ts'
import { confirmationCode as randomConfirmationCode } from './confirmation-code.ts'
import { badTransition, bookingNotFound, departureNotFound, soldOut, unprocessable } from './errors.ts'
import { SYSTEM_ACTOR, publishBookingEvent, publishDepartureCancelled } from './events.ts'
import { partyViolations, refundAmount, refundRule } from './policy.ts'
import { priceParty, seatsOf, unpricedCategories, type Discount } from './pricing.ts'
import * as repo from './repo.ts'
import type { DepartureCancelReason, HoldInput, ListQuery } from './schema.ts'
import type { BookingRow, CancelledBy } from './tables.ts'
import { bookingView, type BookingView, type Manifest, type Money } from './views.ts'

export type BookingDeps = Pick<Deps, 'db' | 'clock' | 'config' | 'events'>

const actorOf = (user: AuthUser): Actor => ({ type: 'user', id: user.id })

// ---------------------------------------------------------------------------------------------------- hold

/**
 * Holds seats for a party on a departure for BOOKING_HOLD_MINUTES. 404 unknown departure (or unpublished tour),
 * 409 `conflict` cancelled departure, 422 `unprocessable` past departure / party outside the tour's limits /
 * unpriced category / unusable promo code, 409 `sold_out` when the seats are not there at the moment of the hold.
 */
export async function holdSeats(deps: BookingDeps, principal: AuthUser, input: HoldInput): Promise<BookingView> {
  const now = deps.clock.now()
  const info = await catalogue.findDepartureInfo(deps.db.orm, input.departureId)
  if (!info || info.tourStatus !== 'published') throw departureNotFound()
  if (info.departureStatus !== 'scheduled') throw new DomainError('conflict', 'This departure was cancelled')
  if (info.startsAt <= now) throw unprocessable('This departure has already left', [{ path: 'json.departureId', message: 'departure in the past' }])

  const party = input.party
  const violations = partyViolations(party, { requirements: info.requirements, capacity: info.capacity, weightsKg: input.weightsKg })
  const unpriced = unpricedCategories(party, info.prices, info.priceOverrides)
  for (const c of unpriced) violations.push({ path: `json.party.${c}`, message: `this tour does not sell ${c} places` })
  if (violations.length) throw unprocessable(`The party does not meet this tour's conditions: ${violations.map((v) => v.message).join('; ')}`, violations)

  const discount = input.promoCode ? await usablePromo(deps, input.promoCode, info.currency, now) : undefined
  const price = priceParty(party, info.prices, info.priceOverrides, info.currency, discount)
  const seats = seatsOf(party)
  const expiresAt = new Date(now.getTime() + deps.config.BOOKING_HOLD_MINUTES * 60_000)

  const booking = await deps.db.orm.transaction(async (tx) => {
    if (!(await catalogue.takeSeats(tx, info.departureId, seats, now))) throw soldOut(seats)
    if (discount && !(await repo.redeemPromo(tx, discount.code))) throw promoProblem('this code has been used up')
    const created = await repo.insertBooking(tx, {
      id: uuidv7(),
      departureId: info.departureId,
      tourId: info.tourId,
      operatorId: info.operatorId,
      travellerId: principal.id,
      status: 'held',
      party,
      seats,
      price,
      totalAmount: price.total,
      currency: info.currency,
      contact: input.contact,
      promoCode: discount?.code ?? null,
      expiresAt,
      createdAt: now,
      updatedAt: now,
      version: 1,
    })
    await publishBookingEvent(tx, 'booking.held', created, actorOf(principal))
    return created
  })
  deps.events.afterCommit()
  return bookingView(booking, info.startsAt, info.timezone)
}

async function usablePromo(deps: BookingDeps, code: string, currency: string, now: Date): Promise<Discount> {
  const promo = await repo.findPromo(deps.db.orm, code)
  if (!promo) throw promoProblem('no such code')
  if ((promo.validFrom && now < promo.validFrom) || (promo.validUntil && now >= promo.validUntil)) throw promoProblem('this code is not valid now')
  if (promo.amountOff && promo.currency !== currency) throw promoProblem(`this code takes ${promo.currency} off; the tour is priced in ${currency}`)
  if (promo.maxRedemptions !== null && promo.redeemed >= promo.maxRedemptions) throw promoProblem('this code has been used up')
  return { code: promo.code, percentOff: promo.percentOff, amountOff: promo.amountOff }
}

const promoProblem = (message: string) => unprocessable(`Promo code: ${message}`, [{ path: 'json.promoCode', message }])

// ---------------------------------------------------------------------------------------------------- confirm

/** What a ticket token says; the signer is injected (src/core/auth/tickets.ts signTicket, once merged). */
export interface TicketClaims {
  bookingId: string
  confirmationCode: string
  departureId: string
  travellerId: string
  seats: number
  startsAt: string
}

export interface ConfirmOptions {
  paymentId: string
  /** Signs the ticket the traveller shows at the meeting point; without it no ticket is issued. */
  signTicket?: (claims: TicketClaims) => Promise<string>
  /** Generates confirmation codes (tests inject collisions); default: 8 unambiguous random characters. */
  confirmationCode?: () => string
}

export interface Confirmed {
  booking: BookingView
  ticket: string | null
}

/**
 * held → confirmed (the payments pillar calls this once money is secured). Confirming again with the same
 * payment id returns the booking unchanged (webhooks arrive more than once); any other state is a 409
 * `conflict` — an EXPIRED booking is refused, not revived: its seats went back on sale, and the payment must be
 * voided/refunded (payments already react to booking.expired). A hold past its expiry that the sweep has not
 * reached yet still has its seats, so it confirms.
 */
export async function confirmBooking(deps: BookingDeps, bookingId: string, options: ConfirmOptions): Promise<Confirmed> {
  const now = deps.clock.now()
  const makeCode = options.confirmationCode ?? randomConfirmationCode
  let booking: BookingRow | undefined
  for (let attempt = 1; !booking; attempt++) {
    try {
      booking = await deps.db.orm.transaction(async (tx) => {
        const current = await repo.findBooking(tx, bookingId, { lock: true })
        if (!current) throw bookingNotFound()
        if (current.status === 'confirmed' && current.paymentId === options.paymentId) return current
        if (current.status !== 'held') throw badTransition(current.status, 'confirmed')
        const updated = await repo.transition(tx, bookingId, ['held'], { status: 'confirmed', confirmationCode: makeCode(), paymentId: options.paymentId, confirmedAt: now }, now)
        await publishBookingEvent(tx, 'booking.confirmed', updated!, SYSTEM_ACTOR)
        return updated!
      })
    } catch (error) {
      // A confirmation code collision (unique index): vanishingly rare with random codes; try a fresh one.
      if (attempt < 5 && isUniqueViolation(error, 'bookings_confirmation_code_key')) continue
      throw error
    }
  }
  deps.events.afterCommit()
  const { startsAt, timezone } = (await repo.findBookingWithDeparture(deps.db.orm, bookingId))!
  const ticket = options.signTicket
    ? await options.signTicket({
        bookingId: booking.id,
        confirmationCode: booking.confirmationCode!,
        departureId: booking.departureId,
        travellerId: booking.travellerId,
        seats: booking.seats,
        startsAt: startsAt.toISOString(),
      })
    : null
  return { booking: bookingView(booking, startsAt, timezone), ticket }
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  for (let e = error as { code?: string; constraint_name?: string; constraint?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === '23505') return (e.constraint_name ?? e.constraint ?? constraint) === constraint
  }
  return false
}

// ---------------------------------------------------------------------------------------------------- cancel

export interface CancellationQuote {
  bookingId: string
  status: BookingRow['status']
  cancellable: boolean
  /** Why it cannot be cancelled, when it cannot. */
  reason?: string
  /** What was paid: the total of a confirmed booking, nothing for a hold. */
  paid: Money
  refund: Money
  refundPercent: number
  /** Calendar days before the departure in the tour's time zone (the policy counts these). */
  daysBefore: number
  /** Who pays for the cancellation: the tour's policy (traveller), or a full refund (operator, admin). */
  basis: 'policy' | 'unpaid_hold' | 'full_refund'
}

/** The refund a cancellation by `principal` at `now` would give. 404 if the caller may not see the booking. */
export async function cancellationQuote(deps: BookingDeps, principal: AuthUser, bookingId: string, now: Date): Promise<CancellationQuote> {
  const booking = await visibleBooking(deps.db.orm, principal, bookingId)
  const info = (await catalogue.findDepartureInfo(deps.db.orm, booking.departureId))!
  return quoteFor(booking, info, principal, now)
}

function quoteFor(booking: BookingRow, info: DepartureInfo, principal: AuthUser, now: Date): CancellationQuote {
  const { daysBefore, refundPercent } = refundRule(info.cancellationPolicy, now, info.startsAt, info.timezone)
  const money = (amount: number) => ({ amount, currency: booking.currency })
  const paid = booking.status === 'confirmed' ? booking.totalAmount : 0
  const base = { bookingId: booking.id, status: booking.status, paid: money(paid), daysBefore }
  if (booking.status !== 'held' && booking.status !== 'confirmed') {
    return { ...base, cancellable: false, reason: `the booking is ${booking.status}`, refund: money(0), refundPercent: 0, basis: 'policy' }
  }
  if (info.startsAt <= now) return { ...base, cancellable: false, reason: 'the departure has started', refund: money(0), refundPercent: 0, basis: 'policy' }
  if (booking.status === 'held') return { ...base, cancellable: true, refund: money(0), refundPercent: 0, basis: 'unpaid_hold' }
  if (booking.travellerId !== principal.id) return { ...base, cancellable: true, refund: money(paid), refundPercent: 100, basis: 'full_refund' }
  return { ...base, cancellable: true, refund: money(refundAmount(paid, refundPercent)), refundPercent, basis: 'policy' }
}

/**
 * held | confirmed → cancelled, with the quoted refund recorded and booking.cancelled carrying it; the seats go
 * back on sale. The traveller's refund follows the tour's policy; an operator or admin cancelling refunds in full.
 * 409 once the departure has started or the booking is no longer live.
 */
export async function cancelBooking(deps: BookingDeps, principal: AuthUser, bookingId: string, now: Date, reason?: string): Promise<BookingView> {
  const seen = await visibleBooking(deps.db.orm, principal, bookingId)
  const { booking, info } = await deps.db.orm.transaction(async (tx) => {
    const info = (await catalogue.findDepartureInfo(tx, seen.departureId, { lock: true }))!
    const current = (await repo.findBooking(tx, bookingId, { lock: true }))!
    const quote = quoteFor(current, info, principal, now)
    if (!quote.cancellable) throw new DomainError('conflict', `This booking cannot be cancelled: ${quote.reason}`)
    const previousStatus = current.status as 'held' | 'confirmed'
    const updated = (await repo.transition(tx, bookingId, [previousStatus], {
      status: 'cancelled',
      cancelledAt: now,
      cancelledBy: cancelledByOf(principal, current),
      cancelReason: reason ?? null,
      refundAmount: quote.refund.amount,
    }, now))!
    await catalogue.returnSeats(tx, current.departureId, current.seats)
    if (previousStatus === 'held') await repo.releasePromo(tx, current.promoCode)
    await publishBookingEvent(tx, 'booking.cancelled', updated, actorOf(principal), { previousStatus })
    return { booking: updated, info }
  })
  deps.events.afterCommit()
  return bookingView(booking, info.startsAt, info.timezone)
}

function cancelledByOf(principal: AuthUser, booking: BookingRow): CancelledBy {
  if (booking.travellerId === principal.id) return 'traveller'
  return principal.role === 'admin' ? 'admin' : 'operator'
}

// ---------------------------------------------------------------------------------------------------- departures

export interface DepartureCancellation {
  departureId: string
  status: 'cancelled'
  reason: string
  /** False when the departure was already cancelled (cancelling twice changes nothing). */
  changed: boolean
  cancelledBookings: number
  /** Sum of the refunds recorded (confirmed bookings get their total back; holds had nothing paid). */
  refunded: Money
}

/**
 * An operator (their own tours) or an admin cancels a departure — weather, volcanic activity — in ONE
 * transaction: the departure cancelled, every held and confirmed booking cancelled with a full refund, seats
 * returned, departure.cancelled plus one booking.cancelled per booking. Holds racing with it wait for the
 * departure row and then find it cancelled (sold_out). Other operators get 404.
 */
export async function cancelDeparture(
  deps: BookingDeps,
  principal: AuthUser,
  departureId: string,
  input: { reason: DepartureCancelReason; note?: string },
): Promise<DepartureCancellation> {
  const info = await catalogue.findDepartureInfo(deps.db.orm, departureId)
  if (!info || !(await managesDeparture(deps.db.orm, principal, info))) throw departureNotFound()
  const reason = input.note ? `${input.reason}: ${input.note}` : input.reason
  const result = await cancelDepartureWithBookings(deps, departureId, reason, { actor: actorOf(principal), cancelledBy: principal.role === 'admin' ? 'admin' : 'operator' })
  deps.events.afterCommit()
  return result!
}

async function cancelDepartureWithBookings(
  deps: BookingDeps,
  departureId: string,
  reason: string,
  who: { actor: Actor; cancelledBy: CancelledBy },
  { onlyIfUnderfilled = false } = {},
): Promise<DepartureCancellation | undefined> {
  const now = deps.clock.now()
  return deps.db.orm.transaction(async (tx) => {
    const info = await catalogue.findDepartureInfo(tx, departureId, { lock: true })
    if (!info) throw departureNotFound()
    if (onlyIfUnderfilled && (info.departureStatus !== 'scheduled' || info.capacity - info.seatsLeft >= info.minParticipants)) return undefined
    const cancelled = await catalogue.markDepartureCancelled(tx, departureId, reason, now)
    if (!cancelled) {
      return { departureId, status: 'cancelled' as const, reason: info.departureStatus === 'cancelled' ? (await catalogue.cancelReasonOf(tx, departureId)) ?? reason : reason, changed: false, cancelledBookings: 0, refunded: { amount: 0, currency: info.currency } }
    }
    await publishDepartureCancelled(tx, { departureId, tourId: info.tourId, startsAt: info.startsAt, version: cancelled.version }, reason, who.actor)
    const live = await repo.lockLiveBookings(tx, departureId)
    let seats = 0
    let refunded = 0
    for (const current of live) {
      const previousStatus = current.status as 'held' | 'confirmed'
      const refund = previousStatus === 'confirmed' ? current.totalAmount : 0
      const updated = (await repo.transition(tx, current.id, [previousStatus], { status: 'cancelled', cancelledAt: now, cancelledBy: who.cancelledBy, cancelReason: reason, refundAmount: refund }, now))!
      if (previousStatus === 'held') await repo.releasePromo(tx, current.promoCode)
      await publishBookingEvent(tx, 'booking.cancelled', updated, who.actor, { previousStatus })
      seats += current.seats
      refunded += refund
    }
    await catalogue.returnSeats(tx, departureId, seats)
    return { departureId, status: 'cancelled' as const, reason, changed: true, cancelledBookings: live.length, refunded: { amount: refunded, currency: info.currency } }
  })
}

/**
 * Auto-cancel: departures whose minimum-participants deadline (BOOKING_MIN_PARTICIPANTS_DEADLINE_HOURS before the
 * start) has passed with fewer seats taken than the tour's minimum. Each is re-checked under its row lock (a
 * booking may have arrived meanwhile) and cancelled like an operator cancellation, reason too_few_participants.
 */
export async function cancelUnderfilledDepartures(deps: BookingDeps, now: Date, limit = deps.config.BOOKING_MAINTENANCE_BATCH): Promise<number> {
  const ids = await catalogue.underfilledDepartures(deps.db.orm, now, deps.config.BOOKING_MIN_PARTICIPANTS_DEADLINE_HOURS, limit)
  let cancelled = 0
  for (const id of ids) {
    const result = await cancelDepartureWithBookings(deps, id, 'too_few_participants', { actor: SYSTEM_ACTOR, cancelledBy: 'system' }, { onlyIfUnderfilled: true })
    if (result?.changed) cancelled++
  }
  if (cancelled) deps.events.afterCommit()
  return cancelled
}

// ---------------------------------------------------------------------------------------------------- sweeps

/**
 * held → expired for holds past expires_at, oldest first, at most `limit`: seats returned (never above capacity),
 * promo uses given back, booking.expired per booking (payments void the hold) — one transaction, opened only when a
 * plain read finds a hold due. Rows another transaction holds (a confirmation in flight, a departure being cancelled)
 * are skipped to the next run.
 */
export async function expireHolds(deps: BookingDeps, now: Date, limit = deps.config.BOOKING_MAINTENANCE_BATCH): Promise<number> {
  if (!(await repo.anyDueHold(deps.db.orm, now))) return 0
  const count = await deps.db.orm.transaction(async (tx) => {
    const due = await repo.lockDueHolds(tx, now, limit)
    const seatsByDeparture = new Map<string, number>()
    for (const current of due) {
      const updated = await repo.transition(tx, current.id, ['held'], { status: 'expired' }, now)
      if (!updated) continue
      seatsByDeparture.set(current.departureId, (seatsByDeparture.get(current.departureId) ?? 0) + current.seats)
      await repo.releasePromo(tx, current.promoCode)
      await publishBookingEvent(tx, 'booking.expired', updated, SYSTEM_ACTOR)
    }
    for (const [departureId, seats] of seatsByDeparture) await catalogue.returnSeats(tx, departureId, seats)
    return due.length
  })
  if (count) deps.events.afterCommit()
  return count
}

/** confirmed → completed for departures that have ended (start + duration), booking.completed each; a peek first. */
export async function completeDepartures(deps: BookingDeps, now: Date, limit = deps.config.BOOKING_MAINTENANCE_BATCH): Promise<number> {
  if (!(await repo.anyFinishedBooking(deps.db.orm, now))) return 0
  const count = await deps.db.orm.transaction(async (tx) => {
    const finished = await repo.lockFinishedBookings(tx, now, limit)
    for (const current of finished) {
      const updated = await repo.transition(tx, current.id, ['confirmed'], { status: 'completed', completedAt: now }, now)
      if (updated) await publishBookingEvent(tx, 'booking.completed', updated, SYSTEM_ACTOR)
    }
    return finished.length
  })
  if (count) deps.events.afterCommit()
  return count
}

export interface MaintenanceReport {
  expired: number
  cancelledDepartures: number
  completed: number
}

/**
 * The periodic work, for the server timer and the Worker cron: expire holds, auto-cancel underfilled departures,
 * complete past departures. Each step drains in batches (bounded, so one run cannot take unbounded time).
 */
export async function runBookingMaintenance(deps: BookingDeps, now: Date, { maxBatches = 20 } = {}): Promise<MaintenanceReport> {
  const batch = deps.config.BOOKING_MAINTENANCE_BATCH
  const drain = async (step: (limit: number) => Promise<number>) => {
    let total = 0
    for (let i = 0; i < maxBatches; i++) {
      const n = await step(batch)
      total += n
      if (n < batch) break
    }
    return total
  }
  const expired = await drain((limit) => expireHolds(deps, now, limit))
  const cancelledDepartures = await cancelUnderfilledDepartures(deps, now, batch)
  const completed = await drain((limit) => completeDepartures(deps, now, limit))
  return { expired, cancelledDepartures, completed }
}

// ---------------------------------------------------------------------------------------------------- reads

/** Travellers see their own bookings, operators their tours' bookings, admins all; anyone else gets 404. */
export async function getBooking(deps: BookingDeps, principal: AuthUser, bookingId: string): Promise<BookingView> {
  const found = await repo.findBookingWithDeparture(deps.db.orm, bookingId)
  if (!found || !(await maySee(deps.db.orm, principal, found.booking))) throw bookingNotFound()
  return bookingView(found.booking, found.startsAt, found.timezone)
}

export async function listMyBookings(deps: BookingDeps, principal: AuthUser, { cursor, limit }: ListQuery): Promise<{ items: BookingView[]; nextCursor: string | null }> {
  const rows = await repo.listTravellerBookings(deps.db.orm, principal.id, { before: cursor, limit: limit + 1 })
  const page = rows.slice(0, limit)
  return {
    items: page.map((r) => bookingView(r.booking, r.startsAt, r.timezone)),
    nextCursor: rows.length > limit ? page.at(-1)!.booking.id : null,
  }
}

/** A departure's bookings (every status), for its operator or an admin; 404 for anyone else. */
export async function listDepartureBookings(deps: BookingDeps, principal: AuthUser, departureId: string): Promise<{ items: BookingView[] }> {
  const info = await managedDeparture(deps, principal, departureId)
  const rows = await repo.listDepartureBookings(deps.db.orm, departureId)
  return { items: rows.map((b) => bookingView(b, info.startsAt, info.timezone)) }
}

/** Who travels: confirmed (and completed) bookings with contacts, party and codes; held seats counted apart. */
export async function departureManifest(deps: BookingDeps, principal: AuthUser, departureId: string): Promise<Manifest> {
  const info = await managedDeparture(deps, principal, departureId)
  const rows = await repo.listDepartureBookings(deps.db.orm, departureId, ['held', 'confirmed', 'completed'])
  const travelling = rows.filter((b) => b.status !== 'held')
  return {
    departureId,
    tourId: info.tourId,
    title: info.title,
    startsAt: info.startsAt.toISOString(),
    localStartsAt: formatInZone(info.startsAt, info.timezone),
    timezone: info.timezone,
    departureStatus: info.departureStatus,
    capacity: info.capacity,
    seatsLeft: info.seatsLeft,
    confirmedSeats: travelling.reduce((n, b) => n + b.seats, 0),
    heldSeats: rows.filter((b) => b.status === 'held').reduce((n, b) => n + b.seats, 0),
    entries: travelling.map((b) => ({
      bookingId: b.id,
      confirmationCode: b.confirmationCode,
      status: b.status,
      travellerId: b.travellerId,
      contact: b.contact,
      party: b.party,
      seats: b.seats,
    })),
  }
}

// ---------------------------------------------------------------------------------------------------- access

async function maySee(ex: Executor, principal: AuthUser, booking: BookingRow): Promise<boolean> {
  if (principal.role === 'admin' || booking.travellerId === principal.id) return true
  if (principal.role !== 'operator') return false
  return (await catalogue.operatorIdOfUser(ex, principal.id)) === booking.operatorId
}

async function visibleBooking(ex: Executor, principal: AuthUser, bookingId: string): Promise<BookingRow> {
  const booking = await repo.findBooking(ex, bookingId)
  if (!booking || !(await maySee(ex, principal, booking))) throw bookingNotFound()
  return booking
}

async function managesDeparture(ex: Executor, principal: AuthUser, info: DepartureInfo): Promise<boolean> {
  if (principal.role === 'admin') return true
  if (principal.role !== 'operator') return false
  return (await catalogue.operatorIdOfUser(ex, principal.id)) === info.operatorId
}

async function managedDeparture(deps: BookingDeps, principal: AuthUser, departureId: string): Promise<DepartureInfo> {
  const info = await catalogue.findDepartureInfo(deps.db.orm, departureId)
  if (!info || !(await managesDeparture(deps.db.orm, principal, info))) throw departureNotFound()
  return info
}
