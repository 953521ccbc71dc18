-- Booking: travellers hold seats on a departure, pay (the payments pillar), and the booking moves
--   held → confirmed → completed,  held → expired,  held | confirmed → cancelled.
--
-- Seats live on departures.seats_left (0005): a hold is one conditional UPDATE of that counter in the same
-- transaction as the booking insert and its event, so seats are never oversold whatever the concurrency; the
-- departures_seats_left_check constraint is the last line. Lock order everywhere: departure row, then booking
-- rows (the expiry sweep never waits: it skips rows another transaction has locked).
--
-- Money is integer minor units of `currency` (the tour's). `price` keeps the breakdown the traveller was shown:
--   { lines: [{ category, unit, qty, subtotal }], subtotal, discount: { code, amount } | null, total }

create table promo_codes (
  code text primary key check (code ~ '^[A-Z0-9][A-Z0-9_-]{2,39}$'),
  percent_off integer check (percent_off between 1 and 100),
  amount_off bigint check (amount_off > 0),
  -- an amount off is in one currency; a percent off applies to any
  currency text check (currency ~ '^[A-Z]{3}$'),
  valid_from timestamptz,
  valid_until timestamptz,
  max_redemptions integer check (max_redemptions > 0),
  -- counts live bookings using the code: a hold redeems, an expired or cancelled-while-held booking gives it back
  redeemed integer not null default 0,
  created_at timestamptz not null default now(),
  constraint promo_codes_one_discount check ((percent_off is null) <> (amount_off is null)),
  constraint promo_codes_amount_currency check (amount_off is null or currency is not null),
  constraint promo_codes_redeemed_check check (redeemed >= 0 and (max_redemptions is null or redeemed <= max_redemptions))
);

create table bookings (
  id uuid primary key,
  departure_id uuid not null references departures (id),
  -- denormalised from the departure so operator queries need no join
  tour_id uuid not null references tours (id),
  operator_id uuid not null references operators (id),
  traveller_id uuid not null references users (id),
  status text not null default 'held' check (status in ('held', 'confirmed', 'cancelled', 'expired', 'completed')),
  -- people per price category, e.g. { "adult": 2, "child": 1 }
  party jsonb not null check (jsonb_typeof(party) = 'object'),
  seats integer not null check (seats between 1 and 10000),
  price jsonb not null check (jsonb_typeof(price) = 'object'),
  total_amount bigint not null check (total_amount >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  -- { name, email, phone? }
  contact jsonb not null check (jsonb_typeof(contact) = 'object'),
  promo_code text references promo_codes (code),
  expires_at timestamptz not null,
  confirmation_code text,
  payment_id text,
  confirmed_at timestamptz,
  cancelled_at timestamptz,
  -- traveller | operator | admin | system
  cancelled_by text,
  cancel_reason text,
  refund_amount bigint,
  completed_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version integer not null default 1,
  constraint bookings_refund_check check (refund_amount is null or (refund_amount >= 0 and refund_amount <= total_amount)),
  constraint bookings_confirmed_code check (status not in ('confirmed', 'completed') or confirmation_code is not null)
);
create unique index bookings_confirmation_code_key on bookings (confirmation_code);
-- a traveller's bookings, newest first (ids are UUIDv7: id order is creation order)
create index bookings_traveller_idx on bookings (traveller_id, id desc);
-- an operator's bookings by departure (lists, manifests), and a departure's live bookings (cancel, complete)
create index bookings_operator_departure_idx on bookings (operator_id, departure_id);
create index bookings_departure_status_idx on bookings (departure_id, status);
-- the expiry sweep: only live holds, oldest deadline first
create index bookings_held_expires_idx on bookings (expires_at) where status = 'held';
