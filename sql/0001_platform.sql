-- Platform baseline: extensions and helpers later migrations rely on.
-- gen_random_uuid() is built into PostgreSQL 13+, so no pgcrypto is needed for ids.
select 1;
