-- Accounts and refresh tokens.
-- Emails are stored trimmed and lower-cased by the application (no citext, so the same schema works everywhere);
-- the check constraint keeps anything else out and the unique index makes one account per address.
create table users (
  id uuid primary key default gen_random_uuid(),
  email text not null check (email = lower(btrim(email)) and length(email) between 3 and 254),
  -- Self-describing KDF string, e.g. pbkdf2-sha256$100000$<salt>$<hash>; never the password itself.
  password_hash text not null,
  role text not null default 'traveller' check (role in ('traveller', 'operator', 'admin')),
  display_name text not null check (length(display_name) between 1 and 100),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index users_email_key on users (email);

-- One row per issued refresh token; only its SHA-256 is stored. Tokens issued from one login form a family:
-- each use rotates to a new row in the family, and presenting a rotated token revokes every row of the family.
create table refresh_tokens (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  family_id uuid not null,
  token_hash text not null check (token_hash ~ '^[0-9a-f]{64}$'),
  expires_at timestamptz not null,
  created_at timestamptz not null default now(),
  rotated_at timestamptz,
  -- Deferred: the rotation marks the old row before the new row is inserted, in the same transaction.
  replaced_by uuid references refresh_tokens (id) on delete set null deferrable initially deferred,
  revoked_at timestamptz,
  revoke_reason text check (revoke_reason in ('logout', 'reuse_detected', 'admin')),
  check ((revoked_at is null) = (revoke_reason is null))
);
create unique index refresh_tokens_token_hash_key on refresh_tokens (token_hash);
create index refresh_tokens_family_idx on refresh_tokens (family_id);
create index refresh_tokens_user_idx on refresh_tokens (user_id);
