-- Idempotency keys: one row per (scope, key) a client sent on a creating POST, so a retried request gets the first
-- request's answer instead of creating a second booking or payment.
--   scope        who and where: the principal (user id or the anonymous marker), the method and the route pattern;
--                two users, or two routes, never share a key.
--   fingerprint  SHA-256 (hex) of the request's method, path and body: the same key with another body is a 422.
--   lock_token   the request that owns the row; a request that finishes after its row was taken over (it ran past
--                the lock timeout) finds another token and leaves the row alone.
--   locked_at    when the owner started; an unfinished row older than the lock timeout may be taken over.
--   status, headers, body   the stored answer, set together with completed_at (null while in flight).
-- Times are written by the application's clock (tests move it by hand); expired rows are pruned on a schedule.
create table idempotency_keys (
  scope text not null check (length(scope) between 1 and 600),
  key text not null check (length(key) between 1 and 255),
  fingerprint text not null check (fingerprint ~ '^[0-9a-f]{64}$'),
  lock_token uuid not null,
  locked_at timestamptz not null,
  status smallint check (status between 100 and 599),
  headers jsonb check (headers is null or jsonb_typeof(headers) = 'object'),
  body text,
  created_at timestamptz not null,
  completed_at timestamptz,
  expires_at timestamptz not null,
  primary key (scope, key),
  check ((completed_at is null) = (status is null)),
  check ((completed_at is null) = (headers is null)),
  check ((completed_at is null) = (body is null))
);
create index idempotency_keys_expires_idx on idempotency_keys (expires_at);
