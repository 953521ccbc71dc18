/**
 * Money for operators: an admin runs payouts and reads the trial balance; an operator reads its own balance and
 * sets where it is paid. Operators only ever see their own: the operator id comes from the caller's profile, never
 * from the request.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { setCommission } from '../pillars/partner/ledger/commission.ts'
import { newRouter } from './env.ts'
import { errorResponses } from '../core/http/problem.ts'
import { requireAuth, requireRole } from '../core/auth/guard.ts'
import { trialBalance } from '../core/ledger/index.ts'
import { getOwnOperator } from '../pillars/discovery/service.ts'
import { balances } from '../pillars/partner/ledger/earnings.ts'
import { runPayoutsFromConfig } from '../pillars/partner/ledger/payouts.ts'
import { PAYOUT_PROVIDERS, payoutDestinationSchema, setPayoutMethod, verifyPayoutMethod, viewPayoutMethod } from '../pillars/partner/ledger/payout-methods.ts'
import { idParam, json, jsonResponse, money } from './tours-schemas.ts'

const admins = { security: [{ bearer: [] }], middleware: [requireAuth(), requireRole('admin')] }
const operatorsOnly = { security: [{ bearer: [] }], middleware: [requireAuth(), requireRole('operator')] }

const outcome = z.object({
  payoutId: z.string(),
  operatorId: z.string(),
  amount: money,
  status: z.enum(['paid', 'failed', 'pending']),
  reason: z.string().optional(),
  retried: z.boolean(),
})
const runReport = z
  .object({
    released: z.number().int().openapi({ description: 'Earnings moved from pending to available by this run' }),
    paid: z.array(outcome),
    failed: z.array(outcome),
    pending: z.array(outcome),
    skipped: z.array(z.object({ operatorId: z.string(), currency: z.string(), reason: z.string() })),
  })
  .openapi('PayoutRunReport')
const trialBalanceSchema = z
  .object({
    balanced: z.boolean(),
    currencies: z.array(z.object({ currency: z.string(), debits: z.number().int(), credits: z.number().int(), net: z.number().int() })),
  })
  .openapi('TrialBalance')
const balanceSchema = z
  .object({
    operatorId: z.string(),
    balances: z.array(z.object({ currency: z.string(), pending: z.number().int(), available: z.number().int(), inTransit: z.number().int() })),
  })
  .openapi('OperatorBalance')
const payoutMethodBody = z
  .object({ provider: z.enum(PAYOUT_PROVIDERS), destination: payoutDestinationSchema })
  .meta({ id: 'PayoutMethodInput', description: 'A provider token for the destination, never a card number' })
const payoutMethodSchema = z
  .object({
    operatorId: z.string(),
    provider: z.enum(PAYOUT_PROVIDERS),
    destination: z.object({ type: z.string(), last4: z.string() }),
    verified: z.boolean(),
    updatedAt: z.string(),
  })
  .openapi('PayoutMethod')

const runPayoutsRoute = createRoute({
  method: 'post',
  path: '/v1/admin/payouts/run',
  tags: ['admin', 'payouts'],
  summary: 'Release due earnings and pay out every available balance',
  description: 'Safe to run concurrently and to repeat: an operator is never paid twice, pending payouts are retried with the same idempotency key.',
  ...admins,
  responses: { 200: jsonResponse('What was paid, failed, left pending or skipped', runReport), ...errorResponses(401, 403) },
})

const trialBalanceRoute = createRoute({
  method: 'get',
  path: '/v1/admin/ledger/trial-balance',
  tags: ['admin', 'payouts'],
  summary: 'Sum of every ledger entry per currency (zero when the books balance)',
  ...admins,
  responses: { 200: jsonResponse('Debits, credits and net per currency', trialBalanceSchema), ...errorResponses(401, 403) },
})

const verifyMethodRoute = createRoute({
  method: 'post',
  path: '/v1/admin/operators/{id}/payout-method/verify',
  tags: ['admin', 'payouts'],
  summary: "Mark an operator's payout destination as checked",
  ...admins,
  request: { params: idParam },
  responses: { 200: jsonResponse('The verified method', payoutMethodSchema), ...errorResponses(400, 401, 403, 404) },
})

const commissionSchema = z
  .object({ operatorId: z.uuid(), commissionBps: z.number().int(), custom: z.boolean() })
  .openapi('OperatorCommission')

const setCommissionRoute = createRoute({
  method: 'put',
  path: '/v1/admin/operators/{id}/commission',
  tags: ['admin', 'payouts'],
  summary: "Set an operator's commission (basis points; null returns them to PLATFORM_COMMISSION_BPS)",
  description: 'Applies from the next captured payment; captures already posted keep the rate they were posted with.',
  ...admins,
  request: { params: idParam, body: json(z.object({ commissionBps: z.number().int().min(0).max(10_000).nullable() })) },
  responses: { 200: jsonResponse('The rate now in force', commissionSchema), ...errorResponses(400, 401, 403, 404, 415) },
})

const ownBalanceRoute = createRoute({
  method: 'get',
  path: '/v1/operator/balance',
  tags: ['payouts'],
  summary: 'My pending, available and in-transit balances per currency (minor units)',
  ...operatorsOnly,
  responses: { 200: jsonResponse('Balances', balanceSchema), ...errorResponses(401, 403, 409) },
})

const setMethodRoute = createRoute({
  method: 'put',
  path: '/v1/operator/payout-method',
  tags: ['payouts'],
  summary: 'Set where I am paid out',
  description: 'A changed destination must be verified by an admin again before the next payout.',
  ...operatorsOnly,
  request: { body: json(payoutMethodBody) },
  responses: { 200: jsonResponse('The method (destination masked)', payoutMethodSchema), ...errorResponses(400, 401, 403, 409, 415) },
})

export const adminPayoutRoutes = newRouter()
  .openapi(runPayoutsRoute, async (c) => c.json(await runPayoutsFromConfig(c.env.deps), 200))
  .openapi(setCommissionRoute, async (c) => {
    const { db, clock, config } = c.env.deps
    const input = { operatorId: c.req.valid('param').id, commissionBps: c.req.valid('json').commissionBps, at: clock.now(), by: c.get('user').id }
    return c.json(await setCommission(db.orm, input, config.PLATFORM_COMMISSION_BPS), 200)
  })
  .openapi(trialBalanceRoute, async (c) => c.json(await trialBalance(c.env.deps.db.orm), 200))
  .openapi(verifyMethodRoute, async (c) => {
    const { db, clock } = c.env.deps
    return c.json(viewPayoutMethod(await verifyPayoutMethod(db.orm, c.req.valid('param').id, clock.now())), 200)
  })
  .openapi(ownBalanceRoute, async (c) => {
    const operator = await getOwnOperator(c.env.deps, c.get('user'))
    return c.json({ operatorId: operator.id, balances: await balances(c.env.deps.db.orm, operator.id) }, 200)
  })
  .openapi(setMethodRoute, async (c) => {
    const operator = await getOwnOperator(c.env.deps, c.get('user'))
    const method = await setPayoutMethod(c.env.deps.db.orm, operator.id, c.req.valid('json'), c.env.deps.clock.now())
    return c.json(viewPayoutMethod(method), 200)
  })
