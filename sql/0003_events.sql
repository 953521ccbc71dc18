-- Event backbone: the transactional outbox, subscriptions, per-(event, subscription) deliveries and an inbox.
-- An event row and its delivery rows are written in the business transaction that caused them, so they become
-- visible together at commit: a claimer selecting due deliveries can never skip one that commits late with a
-- lower seq. Readers that walk the outbox by seq (history, replay) bound themselves by tx_id instead.

create table event_outbox (
  seq bigint generated always as identity primary key,
  id uuid not null unique,
  type text not null,
  source text not null,
  subject text,
  time timestamptz not null,
  data jsonb not null,
  data_version integer not null,
  aggregate_type text not null,
  aggregate_id text not null,
  aggregate_version integer,
  traceparent text,
  actor_type text,
  actor_id text,
  -- the writing transaction: rows of transactions still in flight are above pg_snapshot_xmin
  tx_id xid8 not null default pg_current_xact_id(),
  recorded_at timestamptz not null default now()
);
create index event_outbox_type_seq on event_outbox (type, seq);
create index event_outbox_aggregate_seq on event_outbox (aggregate_type, aggregate_id, seq);
create index event_outbox_time on event_outbox (time);

create table event_subscriptions (
  name text primary key check (name ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
  kind text not null check (kind in ('code', 'http')),
  patterns text[] not null check (cardinality(patterns) > 0),
  -- regexes compiled from patterns in code (src/events/pattern.ts), matched against '.' || type
  pattern_regexes text[] not null,
  ordered boolean not null default false,
  max_attempts integer not null default 10 check (max_attempts between 1 and 100),
  backoff_base_ms integer not null default 1000 check (backoff_base_ms > 0),
  backoff_max_ms integer not null default 3600000 check (backoff_max_ms > 0),
  url text,
  -- Standard Webhooks secrets, newest first; two during a rotation
  secrets text[],
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (kind = 'code' or (url is not null and cardinality(secrets) > 0))
);

create table event_deliveries (
  id bigint generated always as identity primary key,
  event_seq bigint not null references event_outbox (seq) on delete cascade,
  subscription text not null references event_subscriptions (name) on delete cascade,
  -- set when the subscription is ordered: deliveries with the same key run one at a time, in seq order
  ordering_key text,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'dead')),
  attempts integer not null default 0,
  -- when the delivery may next be claimed; a claim pushes it to the end of the lease, so a crashed
  -- worker's delivery becomes due again when its lease runs out
  next_attempt_at timestamptz not null default now(),
  lease_owner text,
  -- claims that ended without an outcome (the worker died mid-handler); too many → dead as poison
  crashes integer not null default 0,
  last_error text,
  dead_reason text,
  created_at timestamptz not null default now(),
  completed_at timestamptz,
  replay_of bigint
);
create index event_deliveries_due on event_deliveries (next_attempt_at, id) where status = 'pending';
create index event_deliveries_ordering on event_deliveries (subscription, ordering_key, event_seq)
  where status = 'pending' and ordering_key is not null;
create index event_deliveries_event on event_deliveries (event_seq);
create index event_deliveries_dead on event_deliveries (subscription, id) where status = 'dead';
create index event_deliveries_completed on event_deliveries (completed_at) where status = 'delivered';

-- Handlers whose effect is not naturally idempotent record the event ids they have applied.
create table event_inbox (
  subscription text not null,
  event_id uuid not null,
  processed_at timestamptz not null default now(),
  primary key (subscription, event_id)
);
