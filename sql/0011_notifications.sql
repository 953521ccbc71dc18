-- Notifications: the durable queue of messages, the devices push reaches, and what each user wants to receive.
--
-- A notification row is created by an event subscriber in its own transaction, keyed by
--   dedupe_key = <event id or schedule key>:<recipient>:<channel>:<kind>
-- so a redelivered event inserts nothing the second time (on conflict do nothing). The queue processor claims due
-- rows with FOR UPDATE SKIP LOCKED: queued → sending (with a lease: next_attempt_at moves to the lease's end and
-- claim_token changes, so a crashed worker's row is claimable again and its late write is ignored) → sent →
-- delivered (a verified provider webhook or the app's receipt) | failed (rejected, or no way to reach the
-- recipient) | dead (max attempts) | cancelled (a reminder whose booking was cancelled).

create table notifications (
  id uuid primary key,
  dedupe_key text not null,
  user_id uuid not null references users (id) on delete cascade,
  channel text not null check (channel in ('email', 'sms', 'push')),
  kind text not null check (kind ~ '^[a-z][a-z_]{1,60}$'),
  -- preferences are per category (bookings, reminders, reviews, operator, alerts)
  category text not null,
  locale text not null default 'ru' check (locale in ('ru', 'en', 'zh')),
  -- the e-mail address or phone number at enqueue time; null for push (the user's devices at send time)
  address text,
  -- { variables, contact: { email?, phone? } }: templates are rendered at send time from the variables
  payload jsonb not null check (jsonb_typeof(payload) = 'object'),
  -- what the message is about (a booking, a departure): reminders are cancelled by it
  subject_id text,
  status text not null default 'queued' check (status in ('queued', 'sending', 'sent', 'delivered', 'failed', 'dead', 'cancelled')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null,
  claim_token uuid,
  provider text,
  provider_message_id text,
  last_error text,
  critical boolean not null default false,
  -- quiet hours / scheduled sends: not before this instant (next_attempt_at starts here)
  not_before timestamptz,
  -- critical only: not delivered by then → the next channel (push → sms → email)
  escalate_at timestamptz,
  escalated_at timestamptz,
  sent_at timestamptz,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index notifications_dedupe_key on notifications (dedupe_key);
-- the processor's claim: due rows only
create index notifications_due_idx on notifications (next_attempt_at) where status in ('queued', 'sending');
-- critical escalation sweep
create index notifications_escalate_idx on notifications (escalate_at) where escalate_at is not null and escalated_at is null;
create index notifications_provider_message_idx on notifications (provider, provider_message_id) where provider_message_id is not null;
create index notifications_subject_idx on notifications (subject_id, kind) where subject_id is not null;
create index notifications_user_idx on notifications (user_id, created_at desc);

create table devices (
  id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  kind text not null check (kind in ('webpush', 'fcm', 'apns')),
  -- the web push endpoint URL, the FCM registration token or the APNs device token
  token text not null check (length(token) between 8 and 4096),
  -- webpush: { p256dh, auth }; apns: { topic? }
  keys jsonb not null default '{}' check (jsonb_typeof(keys) = 'object'),
  created_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);
-- one row per token: registering it again (another account on the same phone) moves it
create unique index devices_kind_token_key on devices (kind, token);
create index devices_user_idx on devices (user_id);

-- Absent row = enabled (every category and channel is on until the user turns it off).
create table notification_preferences (
  user_id uuid not null references users (id) on delete cascade,
  category text not null,
  channel text not null check (channel in ('email', 'sms', 'push')),
  enabled boolean not null,
  updated_at timestamptz not null default now(),
  primary key (user_id, category, channel)
);

-- Quiet hours (minutes of the local day; start = end means none) in the user's IANA zone, and their language.
create table notification_settings (
  user_id uuid primary key references users (id) on delete cascade,
  timezone text not null default 'Asia/Kamchatka',
  locale text not null default 'ru' check (locale in ('ru', 'en', 'zh')),
  quiet_start_minute integer check (quiet_start_minute between 0 and 1439),
  quiet_end_minute integer check (quiet_end_minute between 0 and 1439),
  updated_at timestamptz not null default now(),
  check ((quiet_start_minute is null) = (quiet_end_minute is null))
);

-- Delivery webhooks are delivered at least once: the provider's event id, once.
create table notification_webhook_events (
  provider text not null,
  event_id text not null,
  received_at timestamptz not null default now(),
  notification_id uuid,
  status text not null,
  primary key (provider, event_id)
);
