-- Discovery: operators, their tours and the tours' dated departures, plus what search needs.
--
-- Search columns are derived, never written by hand:
--   search_vector  weighted tsvector (titles A, summaries B, descriptions and meeting points C) in the 'russian'
--                  and 'english' configs, kept by a trigger so bulk loads get it too;
--   search_text    lower-case, ru→latin transliterated titles and places, written by the application (the
--                  transliteration lives in TypeScript and is applied to queries the same way);
--   search_words   search_text as an array (GIN), kept by the trigger, which also adds every new word to
--                  search_lexicon. Typo and transliteration tolerance is pg_trgm on that lexicon — a few thousand
--                  distinct words, not 100k long strings: a query word expands to the similar lexicon words, and a
--                  tour matches when its words overlap the expansion (one GIN probe per query word). Matching
--                  trigrams against every tour's text instead costs a trigram recheck per candidate row;
--   meeting_earth  the meeting point as an earthdistance `earth`, kept by a trigger (not a generated column or an
--                  expression index: ll_to_earth's body is unqualified SQL that fails under pg_restore's empty
--                  search_path, whereas stored values plus a trigger created after the data restore cleanly);
--   meeting_geog   PostGIS geography, only where PostGIS can be installed (servers; PGlite has no PostGIS build).
-- Search-only indexes are partial on status = 'published': drafts and archived tours never cost search anything.

create extension if not exists pg_trgm;
create extension if not exists cube;
create extension if not exists earthdistance;

create table operators (
  id uuid primary key,
  user_id uuid not null references users (id),
  name text not null check (length(name) between 1 and 200),
  slug text not null check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 80),
  -- { email?, phone?, website? }
  contact jsonb not null default '{}' check (jsonb_typeof(contact) = 'object'),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create unique index operators_slug_key on operators (slug);
-- A minimal profile: one operator per owner account (onboarding with teams comes later).
create unique index operators_user_key on operators (user_id);

create table tours (
  id uuid primary key,
  operator_id uuid not null references operators (id),
  status text not null default 'draft' check (status in ('draft', 'published', 'archived')),
  -- validated against the category list in the application, so adding a category needs no migration
  category text not null check (category ~ '^[a-z][a-z_]{1,39}$'),
  difficulty text not null check (difficulty in ('easy', 'moderate', 'challenging', 'extreme')),
  duration_minutes integer not null check (duration_minutes between 15 and 43200),
  languages text[] not null check (cardinality(languages) between 1 and 20),
  -- { ru: { title, summary, description, meetingPoint }, en?: {...}, zh?: {...} }: ru is required, others fall back
  content jsonb not null check (jsonb_typeof(content -> 'ru') = 'object'),
  meeting_lat double precision not null check (meeting_lat between -90 and 90),
  meeting_lng double precision not null check (meeting_lng between -180 and 180),
  route jsonb check (route is null or route ->> 'type' = 'LineString'),
  photos jsonb not null default '[]' check (jsonb_typeof(photos) = 'array'),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  -- integer minor units of `currency` per price category: { adult, child?, infant?, senior? }
  prices jsonb not null check (jsonb_typeof(prices -> 'adult') = 'number'),
  -- the adult price, what search filters, sorts and buckets by
  price_from bigint not null check (price_from >= 0),
  inclusions jsonb not null default '{}' check (jsonb_typeof(inclusions) = 'object'),
  requirements jsonb not null default '{}' check (jsonb_typeof(requirements) = 'object'),
  cancellation_policy jsonb not null default '{}' check (jsonb_typeof(cancellation_policy) = 'object'),
  min_participants integer not null default 1 check (min_participants between 1 and 1000),
  timezone text not null default 'Asia/Kamchatka',
  -- filled by the reviews pillar later; null sorts last
  rating numeric(3, 2) check (rating between 1 and 5),
  review_count integer not null default 0 check (review_count >= 0),
  search_text text not null default '',
  search_words text[] not null default '{}',
  search_vector tsvector,
  meeting_earth earth,
  version integer not null default 1,
  published_at timestamptz,
  archived_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index tours_operator_idx on tours (operator_id, created_at);
create index tours_search_vector_idx on tours using gin (search_vector) where status = 'published';
create index tours_search_words_idx on tours using gin (search_words) where status = 'published';
create index tours_meeting_earth_idx on tours using gist (meeting_earth) where status = 'published';
-- map bounding boxes on the earthdistance path: a plain (lng, lat) point box test
create index tours_meeting_point_idx on tours using gist (point(meeting_lng, meeting_lat)) where status = 'published';
create index tours_category_price_idx on tours (category, price_from) where status = 'published';

-- Every word of every tour's search text, for typo-tolerant lookups (words are never removed: a word no tour has
-- any more only expands a query to nothing).
create table search_lexicon (
  word text primary key
);
create index search_lexicon_trgm_idx on search_lexicon using gin (word gin_trgm_ops);

create function tours_derive_search_fields() returns trigger
language plpgsql
set search_path from current
as $$
begin
  new.search_vector :=
    setweight(to_tsvector('russian', coalesce(new.content #>> '{ru,title}', '')), 'A') ||
    setweight(to_tsvector('english', coalesce(new.content #>> '{en,title}', '')), 'A') ||
    setweight(to_tsvector('russian', coalesce(new.content #>> '{ru,summary}', '')), 'B') ||
    setweight(to_tsvector('english', coalesce(new.content #>> '{en,summary}', '')), 'B') ||
    setweight(to_tsvector('russian', coalesce(new.content #>> '{ru,description}', '') || ' ' || coalesce(new.content #>> '{ru,meetingPoint}', '')), 'C') ||
    setweight(to_tsvector('english', coalesce(new.content #>> '{en,description}', '') || ' ' || coalesce(new.content #>> '{en,meetingPoint}', '')), 'C');
  new.meeting_earth := ll_to_earth(new.meeting_lat, new.meeting_lng);
  new.search_words := coalesce(string_to_array(nullif(new.search_text, ''), ' '), '{}');
  insert into search_lexicon (word) select distinct w from unnest(new.search_words) w on conflict do nothing;
  return new;
end
$$;

create trigger tours_derive_search_fields_insert before insert on tours
  for each row execute function tours_derive_search_fields();
create trigger tours_derive_search_fields_update before update of content, search_text, meeting_lat, meeting_lng on tours
  for each row execute function tours_derive_search_fields();

-- PostGIS where it can be installed: a geography column kept by its own trigger and a GiST index. Without the
-- extension (PGlite), or without the privilege to create it, the table simply has no meeting_geog column and
-- search uses earthdistance; the application picks the implementation by looking for the column.
do $postgis$
begin
  if exists (select 1 from pg_available_extensions where name = 'postgis') then
    begin
      create extension if not exists postgis;
    exception when insufficient_privilege then
      raise notice 'postgis is available but cannot be created here; search will use earthdistance';
      return;
    end;
    execute 'alter table tours add column meeting_geog geography(Point, 4326)';
    execute $fn$
      create function tours_derive_geog() returns trigger
      language plpgsql
      set search_path from current
      as $body$
      begin
        new.meeting_geog := st_setsrid(st_makepoint(new.meeting_lng, new.meeting_lat), 4326)::geography;
        return new;
      end
      $body$
    $fn$;
    execute 'create trigger tours_derive_geog_insert before insert on tours for each row execute function tours_derive_geog()';
    execute 'create trigger tours_derive_geog_update before update of meeting_lat, meeting_lng on tours for each row execute function tours_derive_geog()';
    execute 'create index tours_meeting_geog_idx on tours using gist (meeting_geog) where status = ''published''';
    -- bounding boxes compare in the lng/lat plane, exactly like the earthdistance path's point box
    execute 'create index tours_meeting_geom_idx on tours using gist ((meeting_geog::geometry)) where status = ''published''';
    -- PostGIS declares its geography functions at cost 10000, so an ordinary radius search over a few thousand
    -- candidates passes jit_above_cost and spends 50–100 ms compiling a 10 ms query. KamHub's statements are short
    -- OLTP queries: no JIT for this database (new sessions; needs the owner's or a superuser's right).
    begin
      execute format('alter database %I set jit = off', current_database());
    exception when insufficient_privilege then
      raise notice 'cannot turn JIT off for this database; consider jit = off for KamHub''s role';
    end;
  end if;
end
$postgis$;

create table departures (
  id uuid primary key,
  tour_id uuid not null references tours (id),
  starts_at timestamptz not null,
  capacity integer not null check (capacity between 1 and 10000),
  -- booking holds against this column; the check is the last line against overselling
  seats_left integer not null,
  -- integer minor units in the tour's currency, per price category; absent categories use the tour's prices
  price_overrides jsonb check (price_overrides is null or jsonb_typeof(price_overrides) = 'object'),
  status text not null default 'scheduled' check (status in ('scheduled', 'cancelled')),
  cancel_reason text,
  version integer not null default 1,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint departures_seats_left_check check (seats_left >= 0 and seats_left <= capacity)
);
-- One departure per tour and instant: recurrence generation and the seed are idempotent against it, and a
-- cancelled departure is not resurrected by running the same rule again.
create unique index departures_tour_starts_key on departures (tour_id, starts_at);
-- "next open departure of this tour with N seats" and a tour's calendar: index-only on the open rows
create index departures_open_tour_idx on departures (tour_id, starts_at) include (seats_left) where status = 'scheduled';
-- date-first browsing ("what goes this weekend"): open departures by time
create index departures_open_starts_idx on departures (starts_at) include (tour_id, seats_left) where status = 'scheduled';
