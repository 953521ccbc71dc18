/**
 * /v1/bookings: travellers hold seats, read and cancel their bookings; operators read their departures' bookings
 * and manifests and cancel departures (every booking refunded in full). Visibility is the pillar's: a booking or
 * departure the caller may not see is a 404, never a 403 that would confirm it exists.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { idempotent } from '../core/http/idempotency.ts'
import { newRouter } from './env.ts'
import { errorResponses } from '../core/http/problem.ts'
import { requireAuth, requireRole } from '../core/auth/guard.ts'
import * as booking from '../pillars/booking/service.ts'
import { BOOKING_STATUSES } from '../pillars/booking/tables.ts'
import { bookingCancelSchema, departureCancelSchema, holdInputSchema, listQuerySchema } from '../pillars/booking/schema.ts'
import { PRICE_CATEGORIES } from '../pillars/discovery/schema.ts'
import { idParam, json, jsonResponse, money } from './tours-schemas.ts'

const signedIn = { security: [{ bearer: [] }], middleware: [requireAuth()] }
const travellers = { security: [{ bearer: [] }], middleware: [requireAuth(), requireRole('traveller')] }
const managers = { security: [{ bearer: [] }], middleware: [requireAuth(), requireRole('operator', 'admin')] }

const party = z.object({ adult: z.number().int().optional(), child: z.number().int().optional(), infant: z.number().int().optional(), senior: z.number().int().optional() })
const contact = z.object({ name: z.string(), email: z.string(), phone: z.string().optional() })
const breakdown = z
  .object({
    lines: z.array(z.object({ category: z.enum(PRICE_CATEGORIES), unit: z.number().int(), qty: z.number().int(), subtotal: z.number().int() })),
    subtotal: z.number().int(),
    discount: z.object({ code: z.string(), amount: z.number().int() }).nullable(),
    total: z.number().int(),
    currency: z.string(),
  })
  .openapi('PriceBreakdown', { description: 'Integer minor units of `currency`' })

const bookingSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(BOOKING_STATUSES),
    departure: z.object({ id: z.uuid(), startsAt: z.string(), localStartsAt: z.string().openapi({ example: '2026-07-01T08:00:00+12:00' }), timezone: z.string() }),
    tourId: z.uuid(),
    operatorId: z.uuid(),
    travellerId: z.uuid(),
    party,
    seats: z.number().int(),
    price: breakdown,
    total: money,
    contact,
    promoCode: z.string().nullable(),
    expiresAt: z.string(),
    confirmationCode: z.string().nullable(),
    confirmedAt: z.string().nullable(),
    cancelledAt: z.string().nullable(),
    cancelReason: z.string().nullable(),
    refund: money.nullable(),
    completedAt: z.string().nullable(),
    createdAt: z.string(),
    version: z.number().int(),
  })
  .openapi('Booking')

const quoteSchema = z
  .object({
    bookingId: z.uuid(),
    status: z.enum(BOOKING_STATUSES),
    cancellable: z.boolean(),
    reason: z.string().optional(),
    paid: money,
    refund: money,
    refundPercent: z.number().int(),
    daysBefore: z.number().int(),
    basis: z.enum(['policy', 'unpaid_hold', 'full_refund']),
  })
  .openapi('CancellationQuote')

const manifestSchema = z
  .object({
    departureId: z.uuid(),
    tourId: z.uuid(),
    title: z.string(),
    startsAt: z.string(),
    localStartsAt: z.string(),
    timezone: z.string(),
    departureStatus: z.enum(['scheduled', 'cancelled']),
    capacity: z.number().int(),
    seatsLeft: z.number().int(),
    confirmedSeats: z.number().int(),
    heldSeats: z.number().int(),
    entries: z.array(
      z.object({
        bookingId: z.uuid(),
        confirmationCode: z.string().nullable(),
        status: z.enum(BOOKING_STATUSES),
        travellerId: z.uuid(),
        contact,
        party,
        seats: z.number().int(),
      }),
    ),
  })
  .openapi('Manifest')

const departureCancellationSchema = z
  .object({
    departureId: z.uuid(),
    status: z.literal('cancelled'),
    reason: z.string(),
    changed: z.boolean(),
    cancelledBookings: z.number().int(),
    refunded: money,
  })
  .openapi('DepartureCancellation')

// The key's rules (1–255 printable characters, one per operation) are the idempotency middleware's; the contract
// documents the header.
const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).openapi({ description: 'A unique key per booking attempt; a retry with the same key returns the first answer', example: '6f1c1c52-3f3e-4a4e-9d8b-2a0b5b7a9c10' }),
})

const holdRoute = createRoute({
  method: 'post',
  path: '/v1/bookings',
  tags: ['booking'],
  summary: 'Hold seats on a departure',
  description:
    'Holds seats for the party for BOOKING_HOLD_MINUTES (default 15) while the traveller pays; answers the price ' +
    'breakdown (departure overrides, else tour prices, per category; promo code applied) and `expiresAt`. ' +
    '409 `sold_out` when the seats are not there; 422 when the party breaks the tour’s limits (minimum age, one ' +
    'adult at least, body weight — declare `weightsKg` for such tours), a category is not sold or the promo ' +
    'code is unusable; 409 `conflict` for a cancelled departure. Publishes `booking.held`.',
  security: travellers.security,
  middleware: [...travellers.middleware, idempotent()] as const,
  request: { headers: idempotencyHeaders, body: json(holdInputSchema.meta({ id: 'HoldInput' })) },
  responses: { 201: jsonResponse('The held booking', bookingSchema), ...errorResponses(400, 401, 403, 404, 409, 415, 422) },
})

const getRoute = createRoute({
  method: 'get',
  path: '/v1/bookings/{id}',
  tags: ['booking'],
  summary: 'A booking (the traveller’s own, an operator’s tours’, any for admins)',
  ...signedIn,
  request: { params: idParam },
  responses: { 200: jsonResponse('The booking', bookingSchema), ...errorResponses(400, 401, 404) },
})

const listMineRoute = createRoute({
  method: 'get',
  path: '/v1/me/bookings',
  tags: ['booking'],
  summary: 'My bookings, newest first',
  ...signedIn,
  request: { query: listQuerySchema },
  responses: {
    200: jsonResponse('A page of bookings', z.object({ items: z.array(bookingSchema), nextCursor: z.string().nullable() }).openapi('BookingPage')),
    ...errorResponses(400, 401),
  },
})

const quoteRoute = createRoute({
  method: 'get',
  path: '/v1/bookings/{id}/cancellation-quote',
  tags: ['booking'],
  summary: 'What cancelling now would refund',
  description: 'Tiers of the tour’s cancellation policy by calendar days before the departure in the tour’s time zone; a hold refunds nothing (nothing was paid); an operator or admin cancelling refunds in full.',
  ...signedIn,
  request: { params: idParam },
  responses: { 200: jsonResponse('The quote', quoteSchema), ...errorResponses(400, 401, 404) },
})

const cancelRoute = createRoute({
  method: 'post',
  path: '/v1/bookings/{id}/cancel',
  tags: ['booking'],
  summary: 'Cancel a booking',
  description: 'Applies the quote: seats back on sale, the refund recorded; publishes `booking.cancelled` with `refund`. 409 once the departure has started or the booking is not live.',
  ...signedIn,
  request: { params: idParam, body: { content: { 'application/json': { schema: bookingCancelSchema.meta({ id: 'BookingCancel' }) } }, required: false } },
  responses: { 200: jsonResponse('The cancelled booking', bookingSchema), ...errorResponses(400, 401, 404, 409, 415) },
})

const departureBookingsRoute = createRoute({
  method: 'get',
  path: '/v1/operator/departures/{id}/bookings',
  tags: ['booking management'],
  summary: 'Bookings of a departure I run (any status)',
  ...managers,
  request: { params: idParam },
  responses: { 200: jsonResponse('Bookings, oldest first', z.object({ items: z.array(bookingSchema) }).openapi('BookingList')), ...errorResponses(400, 401, 403, 404) },
})

const manifestRoute = createRoute({
  method: 'get',
  path: '/v1/operator/departures/{id}/manifest',
  tags: ['booking management'],
  summary: 'Who travels on a departure I run',
  ...managers,
  request: { params: idParam },
  responses: { 200: jsonResponse('The manifest', manifestSchema), ...errorResponses(400, 401, 403, 404) },
})

const cancelDepartureRoute = createRoute({
  method: 'post',
  path: '/v1/operator/departures/{id}/cancel',
  tags: ['booking management'],
  summary: 'Cancel a departure and refund every booking in full',
  description: 'One transaction: the departure cancelled, every held and confirmed booking cancelled (confirmed ones refunded in full), `departure.cancelled` and one `booking.cancelled` each. Cancelling twice changes nothing.',
  ...managers,
  request: { params: idParam, body: json(departureCancelSchema.meta({ id: 'DepartureCancel' })) },
  responses: { 200: jsonResponse('What was cancelled', departureCancellationSchema), ...errorResponses(400, 401, 403, 404, 415) },
})

export const bookingRoutes = newRouter()
  .openapi(holdRoute, async (c) => c.json(await booking.holdSeats(c.env.deps, c.get('user'), c.req.valid('json')), 201))
  .openapi(getRoute, async (c) => c.json(await booking.getBooking(c.env.deps, c.get('user'), c.req.valid('param').id), 200))
  .openapi(listMineRoute, async (c) => c.json(await booking.listMyBookings(c.env.deps, c.get('user'), c.req.valid('query')), 200))
  .openapi(quoteRoute, async (c) =>
    c.json(await booking.cancellationQuote(c.env.deps, c.get('user'), c.req.valid('param').id, c.env.deps.clock.now()), 200),
  )
  .openapi(cancelRoute, async (c) => {
    // The body is optional (required: false): without one, validation is skipped and there is no reason.
    const body = (c.req.valid('json') ?? {}) as { reason?: string }
    return c.json(await booking.cancelBooking(c.env.deps, c.get('user'), c.req.valid('param').id, c.env.deps.clock.now(), body.reason), 200)
  })
  .openapi(departureBookingsRoute, async (c) => c.json(await booking.listDepartureBookings(c.env.deps, c.get('user'), c.req.valid('param').id), 200))
  .openapi(manifestRoute, async (c) => c.json(await booking.departureManifest(c.env.deps, c.get('user'), c.req.valid('param').id), 200))
  .openapi(cancelDepartureRoute, async (c) => c.json(await booking.cancelDeparture(c.env.deps, c.get('user'), c.req.valid('param').id, c.req.valid('json')), 200))
