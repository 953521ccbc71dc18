/**
 * The double-entry ledger: accounts, balanced transactions and their entries (sql/0009_ledger.sql).
 *
 * Guarantees:
 * - every transaction's entries sum to zero per currency — checked here before anything is written, and again by
 *   a deferred constraint trigger at commit (nothing unbalanced ever commits, whoever writes);
 * - an account holds one currency (unique (kind, owner, currency)); an entry's currency is its account's;
 * - posting the same idempotency key twice is a no-op that returns the first transaction;
 * - entries are append-only: corrections are reversing transactions.
 *
 * Sign convention: debit positive, credit negative, integer minor units. This module knows no business terms
 * (commission, operators, payouts live in src/pillars/partner/ledger); callers pass their own transaction.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../db/index.ts'
import { DomainError } from '../errors.ts'

export interface AccountRef {
  kind: string
  /** The operator id, provider name…; omitted for platform-wide accounts. */
  owner?: string
  currency: string
}

export interface EntryInput {
  account: AccountRef
  /** Signed minor units: debit positive, credit negative. Never zero. */
  amount: number
}

export interface PostingInput {
  kind: string
  reference: { type: string; id: string }
  idempotencyKey: string
  occurredAt: Date
  entries: EntryInput[]
  metadata?: Record<string, unknown>
}

export interface Posted {
  transactionId: string
  /** false when the idempotency key had already been posted (nothing was written this time). */
  created: boolean
}

const CURRENCY = /^[A-Z]{3}$/

/** Throws DomainError('invalid') unless the entries are well-formed and sum to zero in every currency. */
export function assertBalanced(entries: readonly EntryInput[]): void {
  if (entries.length < 2) throw new DomainError('invalid', 'A ledger transaction needs at least two entries')
  const totals = new Map<string, bigint>()
  for (const { account, amount } of entries) {
    if (!CURRENCY.test(account.currency)) throw new DomainError('invalid', `"${account.currency}" is not an ISO 4217 currency code`)
    if (!Number.isSafeInteger(amount) || amount === 0) throw new DomainError('invalid', 'Ledger amounts are non-zero integer minor units')
    totals.set(account.currency, (totals.get(account.currency) ?? 0n) + BigInt(amount))
  }
  for (const [currency, total] of totals) {
    if (total !== 0n) throw new DomainError('invalid', `The ledger transaction is unbalanced in ${currency}: entries sum to ${total}`)
  }
}

/**
 * Writes one balanced transaction in the caller's transaction `tx`. Idempotent on `idempotencyKey`: a second
 * posting with the same key writes nothing and returns the first one's id (a key reused for a different kind or
 * reference is a conflict — two business events must never share a key).
 */
export async function postTransaction(tx: Executor, input: PostingInput): Promise<Posted> {
  assertBalanced(input.entries)
  const id = crypto.randomUUID()
  const inserted = await queryRows<{ id: string }>(
    tx,
    sql`insert into ledger_transactions (id, kind, reference_type, reference_id, idempotency_key, occurred_at, metadata)
        values (${id}, ${input.kind}, ${input.reference.type}, ${input.reference.id}, ${input.idempotencyKey},
          ${input.occurredAt.toISOString()}::timestamptz, ${JSON.stringify(input.metadata ?? {})}::jsonb)
        on conflict (idempotency_key) do nothing
        returning id`,
  )
  if (!inserted.length) {
    const existing = await findTransactionByKey(tx, input.idempotencyKey)
    if (!existing) throw new DomainError('conflict', 'The ledger posting raced with another; retry it')
    if (existing.kind !== input.kind || existing.referenceType !== input.reference.type || existing.referenceId !== input.reference.id) {
      throw new DomainError('conflict', `Idempotency key "${input.idempotencyKey}" was already used for another ledger posting`)
    }
    return { transactionId: existing.id, created: false }
  }
  for (const entry of input.entries) {
    const account = await accountId(tx, entry.account)
    await tx.execute(
      sql`insert into ledger_entries (transaction_id, account_id, currency, amount)
          values (${id}, ${account}, ${entry.account.currency}, ${entry.amount})`,
    )
  }
  return { transactionId: id, created: true }
}

export interface LedgerTransaction {
  id: string
  kind: string
  referenceType: string
  referenceId: string
  occurredAt: Date
  metadata: Record<string, unknown>
}

export async function findTransactionByKey(ex: Executor, idempotencyKey: string): Promise<LedgerTransaction | undefined> {
  const [row] = await queryRows<{ id: string; kind: string; reference_type: string; reference_id: string; occurred_at: string | Date; metadata: Record<string, unknown> }>(
    ex,
    sql`select id, kind, reference_type, reference_id, occurred_at, metadata from ledger_transactions where idempotency_key = ${idempotencyKey}`,
  )
  return row && { id: row.id, kind: row.kind, referenceType: row.reference_type, referenceId: row.reference_id, occurredAt: new Date(row.occurred_at), metadata: row.metadata }
}

/**
 * The id of an account, created on first use. Select first (the common case, no write); insert when missing; select
 * again when a concurrent transaction inserted it first (a fresh statement sees its commit under READ COMMITTED).
 */
export async function accountId(ex: Executor, account: AccountRef): Promise<string> {
  const owner = account.owner ?? ''
  const find = () =>
    queryRows<{ id: string }>(ex, sql`select id from ledger_accounts where kind = ${account.kind} and owner = ${owner} and currency = ${account.currency}`)
  const [found] = await find()
  if (found) return found.id
  const [created] = await queryRows<{ id: string }>(
    ex,
    sql`insert into ledger_accounts (id, kind, owner, currency) values (${crypto.randomUUID()}, ${account.kind}, ${owner}, ${account.currency})
        on conflict (kind, owner, currency) do nothing returning id`,
  )
  if (created) return created.id
  const [again] = await find()
  if (!again) throw new DomainError('conflict', 'A ledger account was created concurrently; retry')
  return again.id
}

/**
 * Locks an account row (creating the account if needed) so balance reads and debits on it serialise.
 * With `skipLocked`, answers undefined instead of waiting when another transaction holds it.
 */
export async function lockAccount(ex: Executor, account: AccountRef, { skipLocked = false } = {}): Promise<string | undefined> {
  const id = await accountId(ex, account)
  const rows = await queryRows<{ id: string }>(
    ex,
    skipLocked
      ? sql`select id from ledger_accounts where id = ${id} for update skip locked`
      : sql`select id from ledger_accounts where id = ${id} for update`,
  )
  return rows[0]?.id
}

/** The signed balance (debits minus credits) of one account; 0 for an account never used. */
export async function accountBalance(ex: Executor, account: AccountRef): Promise<number> {
  const [row] = await queryRows<{ balance: string | null }>(
    ex,
    sql`select sum(e.amount)::text as balance from ledger_entries e join ledger_accounts a on a.id = e.account_id
        where a.kind = ${account.kind} and a.owner = ${account.owner ?? ''} and a.currency = ${account.currency}`,
  )
  return toSafeNumber(row?.balance ?? '0')
}

export interface OwnerBalance {
  kind: string
  currency: string
  /** Signed: debits minus credits. */
  balance: number
}

/** Signed balances of every account an owner has, by kind and currency. */
export async function ownerBalances(ex: Executor, owner: string, kinds: readonly string[]): Promise<OwnerBalance[]> {
  const rows = await queryRows<{ kind: string; currency: string; balance: string }>(
    ex,
    sql`select a.kind, a.currency, coalesce(sum(e.amount), 0)::text as balance
        from ledger_accounts a left join ledger_entries e on e.account_id = a.id
        where a.owner = ${owner} and a.kind = any(${`{${kinds.join(',')}}`}::text[])
        group by a.kind, a.currency order by a.currency, a.kind`,
  )
  return rows.map((r) => ({ kind: r.kind, currency: r.currency, balance: toSafeNumber(r.balance) }))
}

export interface TrialBalanceLine {
  currency: string
  debits: number
  credits: number
  /** debits − credits: zero in a healthy ledger. */
  net: number
}

export interface TrialBalance {
  balanced: boolean
  currencies: TrialBalanceLine[]
}

/** Sums every entry per currency. Balanced means each currency nets to zero. */
export async function trialBalance(ex: Executor): Promise<TrialBalance> {
  const rows = await queryRows<{ currency: string; debits: string; credits: string; net: string }>(
    ex,
    sql`select currency,
          coalesce(sum(amount) filter (where amount > 0), 0)::text as debits,
          coalesce(-sum(amount) filter (where amount < 0), 0)::text as credits,
          sum(amount)::text as net
        from ledger_entries group by currency order by currency`,
  )
  const currencies = rows.map((r) => ({ currency: r.currency, debits: toSafeNumber(r.debits), credits: toSafeNumber(r.credits), net: toSafeNumber(r.net) }))
  return { balanced: currencies.every((c) => c.net === 0), currencies }
}

function toSafeNumber(text: string): number {
  const value = Number(text)
  if (!Number.isSafeInteger(value)) throw new DomainError('internal', 'A ledger sum is beyond the safe integer range')
  return value
}
