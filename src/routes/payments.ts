/**
 * /v1/bookings/{id}/payment: the traveller pays for a held booking. Starting answers what the app needs to let the
 * traveller pay (a Stripe client secret, a YooKassa confirmation URL, CloudPayments widget parameters, the sandbox
 * confirm page); the webhooks then confirm the booking, and reading the payment answers its status and the ticket.
 * Another traveller's booking is a 404, like one that does not exist.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { idempotent } from '../core/http/idempotency.ts'
import { errorResponses } from '../core/http/problem.ts'
import { requireAuth, requireRole } from '../core/auth/guard.ts'
import * as payments from '../pillars/booking/payments/service.ts'
import { newRouter } from './env.ts'
import { idParam, jsonResponse, money } from './tours-schemas.ts'

const travellers = { security: [{ bearer: [] }], middleware: [requireAuth(), requireRole('traveller')] }

const clientActionSchema = z
  .union([
    z.object({ type: z.literal('stripe_payment_intent'), clientSecret: z.string(), publishableKey: z.string().optional() }),
    z.object({ type: z.literal('redirect'), url: z.string() }),
    z.object({
      type: z.literal('cloudpayments_widget'),
      publicId: z.string(),
      invoiceId: z.string(),
      amount: z.string(),
      currency: z.string(),
      description: z.string(),
      accountId: z.string().optional(),
    }),
    z.object({ type: z.literal('sandbox'), confirmUrl: z.string() }),
  ])
  .openapi('PaymentClientAction')

const paymentSchema = z
  .object({
    id: z.uuid(),
    bookingId: z.uuid(),
    provider: z.enum(['stripe', 'cloudpayments', 'yookassa', 'sandbox']),
    status: z.enum(['pending', 'requires_action', 'authorized', 'captured', 'cancelled', 'failed']),
    amount: money,
    capturedAmount: z.number().int(),
    refundedAmount: z.number().int(),
    clientAction: clientActionSchema.nullable(),
    ticket: z.string().nullable().openapi({ description: 'The signed ticket (verify with /v1/tickets/keys) once the booking is confirmed' }),
    failureReason: z.string().nullable(),
    captureAfter: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('Payment')

const idempotencyHeaders = z.object({
  'idempotency-key': z.string().min(1).max(255).openapi({ description: 'A unique key per payment attempt; a retry with the same key returns the first answer' }),
})

const startRoute = createRoute({
  method: 'post',
  path: '/v1/bookings/{id}/payment',
  tags: ['payments'],
  summary: 'Start paying for a held booking',
  description:
    'Creates a payment hold at the provider chosen for the currency (failing over when one is down) and answers the ' +
    'client action the app performs. While an attempt is pending, starting again answers that attempt (200). ' +
    '409 when the booking is no longer held or its hold expired; 402 when the provider declined; 503 when no provider could take it.',
  security: travellers.security,
  middleware: [...travellers.middleware, idempotent()] as const,
  request: { params: idParam, headers: idempotencyHeaders },
  responses: {
    201: jsonResponse('A new payment attempt', paymentSchema),
    200: jsonResponse('The attempt already under way', paymentSchema),
    ...errorResponses(400, 401, 402, 403, 404, 409, 422, 503),
  },
})

const getRoute = createRoute({
  method: 'get',
  path: '/v1/bookings/{id}/payment',
  tags: ['payments'],
  summary: 'The latest payment of my booking (status, ticket)',
  security: [{ bearer: [] }],
  middleware: [requireAuth()] as const,
  request: { params: idParam },
  responses: { 200: jsonResponse('The payment', paymentSchema), ...errorResponses(400, 401, 404) },
})

export const paymentRoutes = newRouter()
  .openapi(startRoute, async (c) => {
    const { payment, created } = await payments.startPayment(c.env.deps, c.get('user'), c.req.valid('param').id)
    return created ? c.json(payment, 201) : c.json(payment, 200)
  })
  .openapi(getRoute, async (c) => c.json(await payments.getPayment(c.env.deps, c.get('user'), c.req.valid('param').id), 200))
