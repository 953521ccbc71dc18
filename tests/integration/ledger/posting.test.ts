import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { openTestDatabase, type TestDatabase } from '../../support/db.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { DomainError } from '../../../src/core/errors.ts'
import { accountId, accountBalance, postTransaction, trialBalance, type PostingInput } from '../../../src/core/ledger/index.ts'

let db: TestDatabase
beforeAll(async () => {
  db = await openTestDatabase()
})
afterAll(() => db.close())

const cash = { kind: 'provider_receivable', owner: 'sandbox', currency: 'RUB' }
const revenue = { kind: 'platform_revenue', currency: 'RUB' }
// Drizzle wraps driver errors ("Failed query: …"); the database's own message is on the cause.
const causeMessage = (e: unknown) => `${(e as Error).message} ${((e as { cause?: Error }).cause?.message ?? '')}`
let n = 0
const posting = (entries: PostingInput['entries'], key = `k-${++n}`): PostingInput => ({
  kind: 'payment_captured',
  reference: { type: 'payment', id: key },
  idempotencyKey: key,
  occurredAt: new Date('2026-07-01T00:00:00Z'),
  entries,
})

describe('postTransaction', () => {
  it('an unbalanced posting is rejected in code and writes nothing', async () => {
    const before = await trialBalance(db.orm)
    await expect(
      db.orm.transaction((tx) => postTransaction(tx, posting([{ account: cash, amount: 100 }, { account: revenue, amount: -99 }]))),
    ).rejects.toSatisfy((e) => e instanceof DomainError && e.code === 'invalid')
    expect(await trialBalance(db.orm)).toEqual(before)
  })

  it('a posting balanced in total but not per currency is rejected', async () => {
    await expect(
      db.orm.transaction((tx) =>
        postTransaction(tx, posting([{ account: cash, amount: 100 }, { account: { ...revenue, currency: 'USD' }, amount: -100 }])),
      ),
    ).rejects.toSatisfy((e) => e instanceof DomainError && e.code === 'invalid')
  })

  it('the database trigger rejects unbalanced entries written directly, at commit', async () => {
    const cashId = await accountId(db.orm, cash)
    const revenueId = await accountId(db.orm, revenue)
    const attempt = db.orm.transaction(async (tx) => {
      const id = crypto.randomUUID()
      await tx.execute(sql`insert into ledger_transactions (id, kind, reference_type, reference_id, idempotency_key, occurred_at)
        values (${id}, 'manual', 'test', 'x', ${'direct-' + id}, now())`)
      await tx.execute(sql`insert into ledger_entries (transaction_id, account_id, currency, amount) values (${id}, ${cashId}, 'RUB', 500)`)
      await tx.execute(sql`insert into ledger_entries (transaction_id, account_id, currency, amount) values (${id}, ${revenueId}, 'RUB', -499)`)
    })
    await expect(attempt).rejects.toSatisfy((e) => /unbalanced/.test(causeMessage(e)))
    const rows = await queryRows<{ n: number }>(db.orm, sql`select count(*)::int as n from ledger_transactions where kind = 'manual'`)
    expect(Number(rows[0]!.n)).toBe(0)
  })

  it('the database trigger accepts entries that balance only once the last one is in (the check is deferred)', async () => {
    const cashId = await accountId(db.orm, cash)
    const revenueId = await accountId(db.orm, revenue)
    const id = crypto.randomUUID()
    await db.orm.transaction(async (tx) => {
      await tx.execute(sql`insert into ledger_transactions (id, kind, reference_type, reference_id, idempotency_key, occurred_at)
        values (${id}, 'manual_ok', 'test', 'x', ${'direct-' + id}, now())`)
      await tx.execute(sql`insert into ledger_entries (transaction_id, account_id, currency, amount) values (${id}, ${cashId}, 'RUB', 7)`)
      await tx.execute(sql`insert into ledger_entries (transaction_id, account_id, currency, amount) values (${id}, ${revenueId}, 'RUB', -7)`)
    })
    expect((await trialBalance(db.orm)).balanced).toBe(true)
  })

  it('an entry cannot carry a currency other than its account’s, and entries are append-only', async () => {
    const cashId = await accountId(db.orm, cash)
    await expect(
      db.orm.transaction(async (tx) => {
        const id = crypto.randomUUID()
        await tx.execute(sql`insert into ledger_transactions (id, kind, reference_type, reference_id, idempotency_key, occurred_at)
          values (${id}, 'manual', 'test', 'x', ${'direct-' + id}, now())`)
        await tx.execute(sql`insert into ledger_entries (transaction_id, account_id, currency, amount) values (${id}, ${cashId}, 'USD', 5)`)
      }),
    ).rejects.toThrow()
    await expect(db.orm.execute(sql`update ledger_entries set amount = amount + 1`)).rejects.toSatisfy((e) => /append-only/.test(causeMessage(e)))
    await expect(db.orm.execute(sql`delete from ledger_entries`)).rejects.toSatisfy((e) => /append-only/.test(causeMessage(e)))
  })

  it('re-posting the same idempotency key is a no-op that returns the first transaction', async () => {
    const p = posting([{ account: cash, amount: 250 }, { account: revenue, amount: -250 }], 'capture-once')
    const before = await accountBalance(db.orm, cash)
    const first = await db.orm.transaction((tx) => postTransaction(tx, p))
    const second = await db.orm.transaction((tx) => postTransaction(tx, p))
    expect(first.created).toBe(true)
    expect(second).toEqual({ transactionId: first.transactionId, created: false })
    expect(await accountBalance(db.orm, cash)).toBe(before + 250)
  })

  it('a key reused for a different business event is a conflict, not a silent no-op', async () => {
    await db.orm.transaction((tx) => postTransaction(tx, posting([{ account: cash, amount: 1 }, { account: revenue, amount: -1 }], 'shared-key')))
    await expect(
      db.orm.transaction((tx) => postTransaction(tx, { ...posting([{ account: cash, amount: 1 }, { account: revenue, amount: -1 }], 'shared-key'), kind: 'refund' })),
    ).rejects.toSatisfy((e) => e instanceof DomainError && e.code === 'conflict')
  })
})
