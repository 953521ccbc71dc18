/**
 * The commission the platform keeps from an operator's captured payments: an operator's own rate when an admin set
 * one (negotiated deals, launch promotions), else PLATFORM_COMMISSION_BPS. Read inside the capture's transaction,
 * so a rate change applies from the next capture on and never rewrites a posted one.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../../../core/db/index.ts'
import { DomainError } from '../../../core/errors.ts'

export async function commissionFor(ex: Executor, operatorId: string, defaultBps: number): Promise<number> {
  const [row] = await queryRows<{ commission_bps: number }>(ex, sql`select commission_bps from operator_commissions where operator_id = ${operatorId}`)
  return row ? Number(row.commission_bps) : defaultBps
}

export interface CommissionView {
  operatorId: string
  commissionBps: number
  /** False when the operator pays the platform default. */
  custom: boolean
}

export async function setCommission(ex: Executor, input: { operatorId: string; commissionBps: number | null; at: Date; by: string }, defaultBps: number): Promise<CommissionView> {
  const [operator] = await queryRows<{ id: string }>(ex, sql`select id from operators where id = ${input.operatorId}`)
  if (!operator) throw new DomainError('not_found', 'No such operator')
  if (input.commissionBps === null) {
    await ex.execute(sql`delete from operator_commissions where operator_id = ${input.operatorId}`)
    return { operatorId: input.operatorId, commissionBps: defaultBps, custom: false }
  }
  await ex.execute(sql`
    insert into operator_commissions (operator_id, commission_bps, updated_at, updated_by)
    values (${input.operatorId}, ${input.commissionBps}, ${input.at.toISOString()}, ${input.by})
    on conflict (operator_id) do update set commission_bps = excluded.commission_bps, updated_at = excluded.updated_at, updated_by = excluded.updated_by`)
  return { operatorId: input.operatorId, commissionBps: input.commissionBps, custom: true }
}
