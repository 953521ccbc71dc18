/**
 * Geo search behind one function, two implementations:
 *   postgis        geography + GiST (servers where sql/0005 could install PostGIS);
 *   earthdistance  cube/earthdistance + GiST (PGlite, which has no PostGIS build, and servers without it).
 * Both measure great-circle distance on the same sphere (PostGIS' WGS 84 mean radius, `use_spheroid => false`),
 * and both read a bounding box as a plain longitude/latitude rectangle, so the same query returns the same tours
 * in the same order on either — the tests run one set of geo cases against both.
 */
import { sql, type SQL } from 'drizzle-orm'
import { queryRows, type Database, type Executor } from '../../core/db/index.ts'

export type GeoEngine = 'postgis' | 'earthdistance'

/** PostGIS' sphere for geography with use_spheroid = false: the WGS 84 mean radius (2a + b) / 3. */
export const SPHERE_RADIUS_M = 6_371_008.771_415_059

export interface Near {
  lat: number
  lng: number
  radiusKm: number
}

/** A map viewport: longitudes west → east (west > east crosses the antimeridian), latitudes south → north. */
export interface BoundingBox {
  west: number
  south: number
  east: number
  north: number
}

export interface GeoSql {
  /** Conditions to AND into the tours query (alias `t`). */
  where: SQL[]
  /**
   * Conditions that make an indexed prefilter in `where` exact, to apply after the scan (search.ts fences them off).
   * PostGIS declares st_dwithin at cost 10000 (25 units a row), so beside it the planner would spend anything to
   * call it less: with text and a 500 km radius it ANDed a 90k-row GiST scan onto 3k text matches to save a few
   * hundred calls of what costs about a microsecond. Without it in the scan, the index choice weighs pages and
   * rows: a city radius is still ANDed with the text (sql/0013), a whole-peninsula one is left to the text index.
   */
  exact: SQL[]
  /** Metres from the `near` point, when one was given. */
  distanceM?: SQL
}

const engines = new WeakMap<Database, Promise<GeoEngine>>()

/** Which implementation this database has: PostGIS when sql/0005 could add tours.meeting_geog. Cached per database. */
export function geoEngineOf(db: Database): Promise<GeoEngine> {
  let engine = engines.get(db)
  if (!engine) {
    engine = detectGeoEngine(db.orm)
    engine.catch(() => engines.delete(db))
    engines.set(db, engine)
  }
  return engine
}

export async function detectGeoEngine(ex: Executor): Promise<GeoEngine> {
  const [row] = await queryRows<{ postgis: boolean }>(
    ex,
    sql`select exists (select 1 from pg_attribute where attrelid = to_regclass('tours') and attname = 'meeting_geog' and not attisdropped) as postgis`,
  )
  return row?.postgis ? 'postgis' : 'earthdistance'
}

/**
 * The geo part of a tours query (alias `t`), for one engine. `alongsideText` says a text condition is also
 * present: PostgreSQL has no statistics for cube operators and guesses an earth_box covers a handful of rows, so
 * with text it would walk the geo index alone (10k rows around the city) however selective the text is; there the
 * earthdistance radius becomes a latitude/longitude band plus the exact distance. The band has column histograms
 * and a btree (sql/0013), so the planner ANDs it with the text indexes when both narrow the search and leaves it
 * to the text index when the radius is wide. PostGIS has real selectivity estimates, but takes the same band beside
 * text: ANDed with the text bitmaps, the btree walks the ~10k tours around a city in about 60% of the time the
 * geography GiST takes, and the band is tighter than the GiST's expanded box, so fewer rows are fetched (the bench's
 * `avacha` search: 2,104 rows from 2,020 pages against 2,499 from 2,415; all five variants 6–9% faster at p50 and
 * p95, the same results). Without text the GiST keeps the radius.
 */
export function geoSql(engine: GeoEngine, { near, bbox }: { near?: Near; bbox?: BoundingBox }, { alongsideText = false } = {}): GeoSql {
  const where: SQL[] = []
  const exact: SQL[] = []
  let distanceM: SQL | undefined
  if (near) {
    const radiusM = near.radiusKm * 1000
    if (engine === 'postgis') {
      const center = sql`st_setsrid(st_makepoint(${near.lng}::float8, ${near.lat}::float8), 4326)::geography`
      // The indexable prefilter, made exact after the scan by st_dwithin: with text the latitude/longitude band (see
      // above), else the bounding-box test st_dwithin's own index support adds (&& an expanded box).
      if (alongsideText) where.push(...latLngBand(near))
      else where.push(sql`t.meeting_geog && _st_expand(${center}, ${radiusM}::float8)`)
      exact.push(sql`st_dwithin(t.meeting_geog, ${center}, ${radiusM}::float8, false)`)
      distanceM = sql`st_distance(t.meeting_geog, ${center}, false)`
    } else {
      const center = sql`ll_to_earth(${near.lat}::float8, ${near.lng}::float8)`
      // earthdistance's sphere is earth() metres in radius: convert so both engines agree on one sphere.
      distanceM = sql`(earth_distance(${center}, t.meeting_earth) * ${SPHERE_RADIUS_M}::float8 / earth())`
      // earth_box is the indexable prefilter (a cube around the sphere's cap); the distance test makes it exact.
      if (alongsideText) where.push(...latLngBand(near))
      else where.push(sql`earth_box(${center}, ${radiusM}::float8 * earth() / ${SPHERE_RADIUS_M}::float8) @> t.meeting_earth`)
      where.push(sql`${distanceM} <= ${radiusM}::float8`)
    }
  }
  if (bbox) {
    const boxes: Array<[number, number]> = bbox.west <= bbox.east ? [[bbox.west, bbox.east]] : [[bbox.west, 180], [-180, bbox.east]]
    const parts = boxes.map(([west, east]) =>
      engine === 'postgis'
        ? sql`t.meeting_geog::geometry && st_makeenvelope(${west}::float8, ${bbox.south}::float8, ${east}::float8, ${bbox.north}::float8, 4326)`
        : sql`point(t.meeting_lng, t.meeting_lat) <@ box(point(${west}::float8, ${bbox.south}::float8), point(${east}::float8, ${bbox.north}::float8))`,
    )
    where.push(parts.length === 1 ? parts[0]! : sql`(${sql.join(parts, sql` or `)})`)
  }
  return { where, exact, distanceM }
}

/** A latitude/longitude box around a radius, slightly generous (the exact distance test follows). */
function latLngBand({ lat, lng, radiusKm }: Near): SQL[] {
  const kmPerDegree = (2 * Math.PI * SPHERE_RADIUS_M) / 360 / 1000
  const dLat = (radiusKm / kmPerDegree) * 1.01
  const band = [sql`t.meeting_lat between ${lat - dLat}::float8 and ${lat + dLat}::float8`]
  const cosLat = Math.cos(((Math.min(89, Math.abs(lat) + dLat)) * Math.PI) / 180)
  const dLng = (radiusKm / (kmPerDegree * cosLat)) * 1.01
  // Near a pole or across the antimeridian a longitude range is not one interval: keep the latitude band only.
  if (Math.abs(lat) + dLat < 89 && lng - dLng >= -180 && lng + dLng <= 180) band.push(sql`t.meeting_lng between ${lng - dLng}::float8 and ${lng + dLng}::float8`)
  return band
}
