-- The double-entry ledger and operator payouts.
--
-- Sign convention: one signed bigint per entry, debit positive, credit negative, integer minor units. Every
-- ledger transaction's entries sum to zero per currency: checked in code before insert AND by a deferred
-- constraint trigger at commit, so no code path (or psql session) can commit an unbalanced transaction.
-- Entries are append-only: mistakes are corrected by a reversing transaction, never by an edit.
-- An account holds exactly one currency, and an entry's currency must be its account's (composite foreign key):
-- no balance ever mixes currencies.
--
-- Operator money moves through three accounts per operator and currency:
--   operator_payable    earned, still on hold (pending) until PAYOUT_HOLD_DAYS after the departure completed;
--   operator_available  released, can be paid out (may go negative when a refund lands after a payout: a debt
--                       the next earnings settle);
--   payouts_in_transit  claimed by a payout row, sent or about to be sent to the provider.
-- operator_earnings is the release schedule (one row per captured payment): when each payable becomes available.

create table ledger_accounts (
  id uuid primary key,
  -- provider_receivable (owner = provider), platform_revenue, provider_fees, operator_payable,
  -- operator_available, payouts_in_transit (owner = operator id)
  kind text not null check (kind ~ '^[a-z][a-z_]{1,39}$'),
  -- '' for platform-wide accounts (a non-null owner keeps the unique key meaningful)
  owner text not null default '',
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz not null default now(),
  unique (kind, owner, currency),
  -- target of the entries' composite foreign key (entry currency = account currency)
  unique (id, currency)
);

create table ledger_transactions (
  id uuid primary key,
  kind text not null check (kind ~ '^[a-z][a-z_]{1,39}$'),
  reference_type text not null,
  reference_id text not null,
  -- the business event this posting records; posting it again is a no-op
  idempotency_key text not null unique check (length(idempotency_key) between 1 and 200),
  occurred_at timestamptz not null,
  recorded_at timestamptz not null default now(),
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object')
);
create index ledger_transactions_reference on ledger_transactions (reference_type, reference_id);

create table ledger_entries (
  id bigint generated always as identity primary key,
  transaction_id uuid not null references ledger_transactions (id),
  account_id uuid not null,
  currency text not null,
  amount bigint not null check (amount <> 0),
  foreign key (account_id, currency) references ledger_accounts (id, currency)
);
create index ledger_entries_transaction on ledger_entries (transaction_id);
create index ledger_entries_account on ledger_entries (account_id);

create function ledger_assert_balanced() returns trigger
language plpgsql
as $$
declare
  bad record;
begin
  select currency, sum(amount) as total into bad
  from ledger_entries
  where transaction_id = new.transaction_id
  group by currency
  having sum(amount) <> 0
  limit 1;
  if found then
    raise exception 'ledger transaction % is unbalanced in %: entries sum to %', new.transaction_id, bad.currency, bad.total
      using errcode = '23514';
  end if;
  return null;
end
$$;

-- Deferred to commit: a posting inserts its entries one statement at a time, and only the whole must balance.
create constraint trigger ledger_entries_balanced
  after insert on ledger_entries
  deferrable initially deferred
  for each row execute function ledger_assert_balanced();

create function ledger_forbid_change() returns trigger
language plpgsql
as $$
begin
  raise exception 'ledger entries are append-only; post a reversing transaction instead' using errcode = '23514';
end
$$;

create trigger ledger_entries_append_only
  before update or delete on ledger_entries
  for each row execute function ledger_forbid_change();

create table operator_earnings (
  id uuid primary key,
  operator_id text not null,
  payment_id text not null unique,
  booking_id text not null,
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  -- the operator's share at capture, and what of it is still on hold (refunds before release reduce it)
  amount bigint not null check (amount >= 0),
  pending bigint not null check (pending >= 0 and pending <= amount),
  -- commission and gross at capture: refunds reverse pro rata against these
  gross bigint not null check (gross > 0),
  commission bigint not null check (commission >= 0 and commission <= gross),
  refunded bigint not null default 0 check (refunded >= 0 and refunded <= gross),
  commission_refunded bigint not null default 0 check (commission_refunded >= 0 and commission_refunded <= commission),
  provider text not null,
  -- null until the departure completed (or the capture named a date); released by releaseOperatorFunds
  available_at timestamptz,
  released_at timestamptz,
  capture_transaction_id uuid not null references ledger_transactions (id),
  release_transaction_id uuid references ledger_transactions (id)
);
create index operator_earnings_due on operator_earnings (available_at) where released_at is null;
create index operator_earnings_booking on operator_earnings (booking_id);

create table operator_payout_methods (
  operator_id uuid primary key references operators (id),
  provider text not null check (provider in ('stripe', 'cloudpayments', 'yookassa', 'sandbox')),
  -- a PayoutDestination (src/core/payments/provider.ts); tokens, never card numbers
  destination jsonb not null check (jsonb_typeof(destination) = 'object' and destination ? 'type'),
  -- set by an admin after checking the destination; a changed destination needs verifying again
  verified boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table payouts (
  id uuid primary key,
  operator_id uuid not null references operators (id),
  amount bigint not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  status text not null default 'pending' check (status in ('pending', 'paid', 'failed')),
  provider text not null,
  -- the destination as it was when the payout was claimed: a retry sends exactly what the first call sent
  destination jsonb not null,
  provider_payout_id text,
  failure_reason text,
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null,
  attempted_at timestamptz,
  paid_at timestamptz,
  failed_at timestamptz,
  claim_transaction_id uuid not null references ledger_transactions (id),
  settle_transaction_id uuid references ledger_transactions (id),
  check ((status = 'paid') = (paid_at is not null)),
  check ((status = 'failed') = (failed_at is not null and failure_reason is not null))
);
create index payouts_pending on payouts (attempted_at) where status = 'pending';
create index payouts_operator on payouts (operator_id, created_at desc);
