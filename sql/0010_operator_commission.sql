-- The platform's commission per operator, in basis points (1500 = 15 %). Operators without a row pay the
-- PLATFORM_COMMISSION_BPS default; the rate in force at capture is recorded on that capture's ledger posting.
create table operator_commissions (
  operator_id uuid primary key references operators (id),
  commission_bps integer not null check (commission_bps between 0 and 10000),
  updated_at timestamptz not null,
  updated_by uuid references users (id)
);
