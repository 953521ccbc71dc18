-- Text + radius search reads only the tours that match both: the planner ANDs the bitmap of the text indexes
-- (GIN, partial on status = 'published') with the bitmap of a geo index, instead of fetching every tour one of them
-- matches and filtering the rest (a common word near Petropavlovsk: 3k text matches or 5–10k tours in the radius,
-- 1–2k in both).
--
-- The geo index for this must not be partial on the same predicate: PostgreSQL counts a partial index's predicate
-- among its conditions and skips a second index whose conditions overlap the first's, so two indexes that are both
-- "where status = 'published'" are never ANDed. Drafts and archived tours are a few per cent of the rows.

-- earthdistance: with text, geo.ts filters a latitude/longitude band around the radius (plus the exact distance).
-- Column histograms give the band real selectivity estimates, which cube operators lack, so the planner can tell a
-- city radius (AND it with the text) from a 500 km one (leave it to the text index).
create index tours_meeting_lat_lng_idx on tours (meeting_lat, meeting_lng);

-- PostGIS, where sql/0005 created it: the same geography GiST, not partial.
do $postgis$
begin
  if to_regclass('tours_meeting_geog_idx') is not null then
    execute 'drop index tours_meeting_geog_idx';
    execute 'create index tours_meeting_geog_idx on tours using gist (meeting_geog)';
  end if;
end
$postgis$;
