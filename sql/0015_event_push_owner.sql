-- The dispatcher that fresh deliveries are pushed to (at most one per database: the single row).
--
-- A delivery usually reaches its handler in three steps: the publisher commits, NOTIFY wakes a dispatcher, and the
-- dispatcher claims the delivery in a round trip of its own. On a small machine that claim is most of the time from
-- commit to handler. A push owner skips it: publish leases each delivery to the owner in the publisher's own
-- transaction (lease_owner, leased_until, attempts = 1: exactly what a claim would write), and the NOTIFY payload
-- carries the event and the leased delivery ids, so the owner runs the handlers straight from the notification.
--
-- The row is itself a lease: a dispatcher that listens takes it when it is free or expired and renews it while its
-- listening connection is up; publishers push only to an owner whose `until` has not passed. A delivery pushed to
-- an owner that died is an expired lease like any other: claimable once leased_until passes, counted as a crash
-- (an owner whose listener only reconnected adopts what it missed).
create table event_push_owner (
  singleton boolean primary key default true check (singleton),
  owner text not null,
  -- the owner's code subscriptions: only their deliveries are pushed to it (others go to whoever claims them)
  subscriptions text[] not null,
  lease_ms integer not null check (lease_ms > 0),
  until timestamptz not null
);
