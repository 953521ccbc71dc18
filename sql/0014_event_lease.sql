-- A delivery's lease gets a column of its own, so that claiming one is a HOT update.
--
-- A claim used to lease a delivery by pushing next_attempt_at to the lease's end. next_attempt_at is a key of
-- event_deliveries_due, so every claim wrote a new heap tuple on another page plus an entry in every index, and left
-- the old entries for vacuum: the claim was the costliest statement of a drain. No index reads leased_until (nor
-- attempts, crashes, lease_owner), so a claim that changes only those stays on its page: a heap-only tuple, no index
-- writes. A delivery is claimable when it is pending, next_attempt_at has come and no lease is live.
-- Keep it that way: indexing leased_until, or a claim that writes status or next_attempt_at, makes claims cold again.
alter table event_deliveries add column leased_until timestamptz;

-- A HOT update needs room on the row's own page: half of each page is left free for claims' new row versions
-- (pruned again once they are dead). Applies to pages written from now on; deliveries are short-lived, so the table
-- turns over quickly.
alter table event_deliveries set (fillfactor = 50);
