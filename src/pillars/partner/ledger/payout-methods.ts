/**
 * Where an operator is paid: one method per operator (provider + PayoutDestination). A new or changed destination
 * is unverified until an admin verifies it; payouts go only to verified methods. Destinations are provider tokens
 * (never card numbers) and still never leave this module unmasked.
 */
import { z } from 'zod'
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../../../core/db/index.ts'
import { DomainError } from '../../../core/errors.ts'
import type { PayoutDestination, ProviderName } from '../../../core/payments/provider.ts'

const token = z.string().min(1).max(200).regex(/^[A-Za-z0-9_\-.:]+$/, 'letters, digits and _ - . : only')

export const payoutDestinationSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stripe_account'), accountId: z.string().regex(/^acct_[A-Za-z0-9]{1,100}$/, 'a Stripe connected account id (acct_…)') }),
  z.object({ type: z.literal('card_token'), token }),
  z.object({ type: z.literal('yoomoney'), accountNumber: z.string().regex(/^\d{11,20}$/, 'a YooMoney wallet number (11–20 digits)') }),
  z.object({ type: z.literal('bank_card_yookassa'), cardSynonym: token }),
]) satisfies z.ZodType<PayoutDestination>

export const PAYOUT_PROVIDERS = ['stripe', 'cloudpayments', 'yookassa', 'sandbox'] as const satisfies readonly ProviderName[]

/** Which destination types each provider can pay to (the sandbox takes any). */
const ACCEPTS: Record<ProviderName, PayoutDestination['type'][]> = {
  stripe: ['stripe_account'],
  cloudpayments: ['card_token'],
  yookassa: ['yoomoney', 'bank_card_yookassa'],
  sandbox: ['stripe_account', 'card_token', 'yoomoney', 'bank_card_yookassa'],
}

export interface PayoutMethod {
  operatorId: string
  provider: ProviderName
  destination: PayoutDestination
  verified: boolean
  createdAt: Date
  updatedAt: Date
}

/** What an API answer may show of a method: the destination type and the last four characters. */
export interface PayoutMethodView {
  operatorId: string
  provider: ProviderName
  destination: { type: PayoutDestination['type']; last4: string }
  verified: boolean
  updatedAt: string
}

export function viewPayoutMethod(method: PayoutMethod): PayoutMethodView {
  const d = method.destination
  const secret = d.type === 'stripe_account' ? d.accountId : d.type === 'card_token' ? d.token : d.type === 'yoomoney' ? d.accountNumber : d.cardSynonym
  return { operatorId: method.operatorId, provider: method.provider, destination: { type: d.type, last4: secret.slice(-4) }, verified: method.verified, updatedAt: method.updatedAt.toISOString() }
}

interface MethodRow {
  operator_id: string
  provider: ProviderName
  destination: PayoutDestination | string
  verified: boolean
  created_at: string | Date
  updated_at: string | Date
}

const fromRow = (r: MethodRow): PayoutMethod => ({
  operatorId: r.operator_id,
  provider: r.provider,
  destination: typeof r.destination === 'string' ? (JSON.parse(r.destination) as PayoutDestination) : r.destination,
  verified: r.verified,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
})

/** Sets (or replaces) the operator's method. An unchanged method keeps its verification; a changed one loses it. */
export async function setPayoutMethod(
  ex: Executor,
  operatorId: string,
  input: { provider: ProviderName; destination: PayoutDestination },
  now: Date,
): Promise<PayoutMethod> {
  if (!ACCEPTS[input.provider].includes(input.destination.type)) {
    throw new DomainError('invalid', `${input.provider} cannot pay out to a ${input.destination.type} destination`, {
      errors: [{ path: 'json.destination.type', message: `${input.provider} accepts ${ACCEPTS[input.provider].join(', ')}` }],
    })
  }
  const destination = JSON.stringify(input.destination)
  const [row] = await queryRows<MethodRow>(
    ex,
    sql`insert into operator_payout_methods (operator_id, provider, destination, verified, created_at, updated_at)
        values (${operatorId}, ${input.provider}, ${destination}::jsonb, false, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)
        on conflict (operator_id) do update set provider = excluded.provider, destination = excluded.destination,
          updated_at = excluded.updated_at,
          verified = operator_payout_methods.verified
            and operator_payout_methods.provider = excluded.provider and operator_payout_methods.destination = excluded.destination
        returning *`,
  )
  return fromRow(row!)
}

export async function getPayoutMethod(ex: Executor, operatorId: string): Promise<PayoutMethod | undefined> {
  const [row] = await queryRows<MethodRow>(ex, sql`select * from operator_payout_methods where operator_id = ${operatorId}`)
  return row && fromRow(row)
}

/** An admin confirmed the destination belongs to the operator. */
export async function verifyPayoutMethod(ex: Executor, operatorId: string, now: Date): Promise<PayoutMethod> {
  const [row] = await queryRows<MethodRow>(
    ex,
    sql`update operator_payout_methods set verified = true, updated_at = ${now.toISOString()}::timestamptz where operator_id = ${operatorId} returning *`,
  )
  if (!row) throw new DomainError('not_found', 'This operator has no payout method')
  return fromRow(row)
}
