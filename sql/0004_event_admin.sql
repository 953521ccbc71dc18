-- Event administration: partner webhook secret rotation and the forward history walk.

-- During a rotation `secrets` holds the new secret first and the previous one after it; the previous one still
-- signs deliveries until this moment (deliveries carry one signature per live secret), then it is dropped.
alter table event_subscriptions add column previous_secrets_expire_at timestamptz;

-- The forward history walk orders by (tx_id, seq) and stops below pg_snapshot_xmin: see src/events/history.ts.
create index event_outbox_tx_seq on event_outbox (tx_id, seq);

