-- Payments: one row per attempt to pay for a booking, the refunds made against it, and the provider notifications
-- already applied (the deduplication key of every webhook).
--
-- Status only moves forward (src/pillars/booking/payments/transition.ts ranks them):
--   pending → requires_action → authorized → captured; failed and cancelled end an uncaptured attempt.
-- Refunds are amounts (refunded_amount, payment_refunds), not a status, so a refund notification that overtakes
-- the capture notification is kept and the capture still lands afterwards.

create table payments (
  id uuid primary key,
  booking_id uuid not null references bookings (id),
  -- the provider that took the hold (the router's winner; the first candidate until the hold exists)
  provider text not null check (provider in ('stripe', 'cloudpayments', 'yookassa', 'sandbox')),
  -- null until known: CloudPayments learns its TransactionId from the first notification
  provider_payment_id text,
  status text not null check (status in ('pending', 'requires_action', 'authorized', 'captured', 'cancelled', 'failed')),
  amount bigint not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  captured_amount bigint not null default 0 check (captured_amount >= 0),
  refunded_amount bigint not null default 0 check (refunded_amount >= 0),
  authorization_expires_at timestamptz,
  -- capture policy: null = capture at confirmation (or already captured); else the maintenance step captures then
  capture_after timestamptz,
  failure_reason text,
  -- what the app needs to let the traveller pay (client secret, confirmation URL, widget parameters)
  client_action jsonb,
  -- the signed ticket issued when the booking was confirmed by this payment
  ticket text,
  -- last time reconciliation asked the provider (null: never)
  reconciled_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  version integer not null default 1
);

create unique index payments_provider_payment_id_key on payments (provider, provider_payment_id) where provider_payment_id is not null;
-- at most one live attempt per booking: a second start while one is pending answers that one
create unique index payments_one_live_per_booking on payments (booking_id) where status in ('pending', 'requires_action', 'authorized', 'captured');
create index payments_booking_idx on payments (booking_id);
-- the maintenance steps: captures due, and attempts to reconcile
create index payments_capture_due_idx on payments (capture_after) where status = 'authorized' and capture_after is not null;
create index payments_unsettled_idx on payments (coalesce(reconciled_at, updated_at)) where status in ('pending', 'requires_action', 'authorized');

create table payment_refunds (
  id uuid primary key,
  payment_id uuid not null references payments (id),
  -- null when the provider named none (the notification's own id is used then)
  provider_refund_id text,
  amount bigint not null check (amount > 0),
  status text not null check (status in ('pending', 'succeeded', 'failed')),
  reason text,
  created_at timestamptz not null
);

-- a refund we asked for and the notification announcing it are one refund
create unique index payment_refunds_provider_key on payment_refunds (payment_id, provider_refund_id) where provider_refund_id is not null;

create table provider_webhook_events (
  provider text not null,
  event_id text not null,
  received_at timestamptz not null,
  kind text not null,
  payment_id uuid references payments (id),
  primary key (provider, event_id)
);
