/**
 * Geo search: radius around a point (filtered and sorted by great-circle distance) and map bounding boxes,
 * antimeridian included. The same cases run on PGlite (earthdistance) and PostgreSQL (PostGIS when installed);
 * on PostgreSQL both implementations also run side by side on the same rows and must agree.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { queryRows } from '../../../src/core/db/index.ts'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { onRealPostgres } from '../../support/db.ts'
import { geoEngineOf } from '../../../src/pillars/discovery/geo.ts'
import { searchTourRows } from '../../../src/pillars/discovery/search.ts'
import { searchQuerySchema, toSearchParams } from '../../../src/pillars/discovery/search-query.ts'
import { buildFixture, FIXTURE_TOURS, haversineKm, PETROPAVLOVSK, type Fixture, type FixtureName } from './fixture.ts'
import { json, send } from './support.ts'

interface Page {
  items: Array<{ id: string; distanceKm: number | null }>
}

let t: TestApp
let f: Fixture

beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' } })
  f = await buildFixture(t)
})
afterAll(() => t.close())

const search = async (query: string) => json<Page>(await send(t, 'GET', `/v1/tours?${query}`))
const names = (page: Page) => page.items.map((i) => f.names.get(i.id)!)
const near = `near=${PETROPAVLOVSK.lat},${PETROPAVLOVSK.lng}`
const distanceFromCity = (name: FixtureName) => haversineKm(PETROPAVLOVSK, FIXTURE_TOURS[name].meetingPoint)

describe('radius search', () => {
  it('keeps the tours within the radius, nearest first, with their distance', async () => {
    const page = await search(`${near}&radiusKm=32`)
    expect(names(page)).toEqual(['avachaBay', 'khalaktyrsky', 'paratunka', 'avachinsky'])
    for (const item of page.items) expect(item.distanceKm!).toBeCloseTo(distanceFromCity(f.names.get(item.id)!), 2)
    // no fixture lies near the edge, so the case cannot flip on rounding
    for (const name of Object.keys(FIXTURE_TOURS) as FixtureName[]) expect(Math.abs(distanceFromCity(name) - 32)).toBeGreaterThan(1)
  })

  it('the radius defaults to 50 km and goes up to 500 km', async () => {
    expect(new Set(names(await search(near)))).toEqual(new Set(['avachaBay', 'khalaktyrsky', 'paratunka', 'avachinsky', 'koryaksky']))
    const wide = await search(`${near}&radiusKm=250&limit=50`)
    expect(names(wide)).toEqual(['avachaBay', 'khalaktyrsky', 'paratunka', 'avachinsky', 'koryaksky', 'mutnovsky', 'geysers', 'kurileBears'])
    expect(names(await search(`${near}&radiusKm=500&limit=50`))).toHaveLength(9)
  })

  it('combines with text and sorts by relevance or distance', async () => {
    const byDistance = await search(`${near}&radiusKm=100&q=${encodeURIComponent('вулкан')}&sort=distance`)
    expect(names(byDistance)).toEqual(['avachinsky', 'koryaksky', 'mutnovsky'])
    const byRelevance = await search(`${near}&radiusKm=100&q=${encodeURIComponent('вулкан')}`)
    expect(new Set(names(byRelevance))).toEqual(new Set(['avachinsky', 'koryaksky', 'mutnovsky']))
    expect(byRelevance.items.every((i) => i.distanceKm !== null)).toBe(true)
  })

  // Beside text, both engines prefilter a radius with a latitude/longitude band (geo.ts), and without text with their
  // geo index: at a radius just past each match, and just short of it, text + radius must be text alone ∩ radius alone.
  it('with text, keeps exactly the text matches the same radius keeps without text, at each match’s own distance', async () => {
    const ids = (page: Page) => new Set(page.items.map((i) => i.id))
    const matches = (await search(`q=volcano&limit=50`)).items
    expect(matches.length).toBeGreaterThanOrEqual(3)
    for (const match of matches) {
      const km = distanceFromCity(f.names.get(match.id)!)
      for (const radiusKm of [km + 0.3, km - 0.3].filter((r) => r > 0)) {
        const within = ids(await search(`${near}&radiusKm=${radiusKm}&limit=50`))
        const expected = [...ids({ items: matches })].filter((id) => within.has(id))
        expect(ids(await search(`${near}&radiusKm=${radiusKm}&q=volcano&limit=50`)), `${radiusKm} km`).toEqual(new Set(expected))
        expect(within.has(match.id), `${radiusKm} km`).toBe(radiusKm > km)
      }
    }
  })

  it('text + geo + date + party size together (the benchmark query)', async () => {
    const from = new Date(Date.now() + 86_400_000).toISOString()
    const to = new Date(Date.now() + 60 * 86_400_000).toISOString()
    const page = await search(`q=avacha&${near}&radiusKm=50&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&party=2`)
    expect(names(page)).toEqual(['avachinsky'])
  })

  it('without near there is no distance', async () => {
    expect((await search('category=bears')).items[0]!.distanceKm).toBeNull()
  })
})

describe('bounding boxes', () => {
  it('keeps tours inside a longitude/latitude rectangle', async () => {
    const page = await search('bbox=157,51,159,53.1&limit=50')
    expect(new Set(names(page))).toEqual(new Set(['avachaBay', 'khalaktyrsky', 'paratunka', 'mutnovsky', 'kurileBears']))
  })

  it('a box across the antimeridian (west > east) wraps around', async () => {
    expect((await search('bbox=170,50,-170,60')).items).toEqual([])
    expect(new Set(names(await search('bbox=158.5,50,-179,60&limit=50')))).toEqual(
      new Set(['avachinsky', 'koryaksky', 'khalaktyrsky', 'avachaBay', 'geysers', 'klyuchevskaya']),
    )
  })

  it('box and radius together', async () => {
    expect(new Set(names(await search(`${near}&radiusKm=40&bbox=158.5,52,160,54`)))).toEqual(new Set(['avachinsky', 'koryaksky', 'khalaktyrsky', 'avachaBay']))
  })
})

describe('one repository function, two geo engines', () => {
  it('PGlite uses earthdistance; PostgreSQL uses PostGIS when the migration could install it', async () => {
    const [row] = await queryRows<{ available: boolean }>(t.db.orm, sql`select exists (select 1 from pg_available_extensions where name = 'postgis') as available`)
    const available = Boolean(row?.available)
    expect(await geoEngineOf(t.db)).toBe(available ? 'postgis' : 'earthdistance')
    if (!onRealPostgres()) expect(available).toBe(false)
  })

  it.runIf(onRealPostgres())('on PostgreSQL, PostGIS and earthdistance return the same tours in the same order at the same distances', async () => {
    if ((await geoEngineOf(t.db)) !== 'postgis') return // PostGIS not installed on this server: nothing to compare
    const queries = [
      `${near}&radiusKm=32`,
      `${near}&radiusKm=250&limit=50`,
      `${near}&radiusKm=500&sort=price_asc&limit=50`,
      'bbox=157,51,159,53.1&limit=50',
      'bbox=158.5,50,-179,60&limit=50',
      `${near}&radiusKm=100&q=volcano`,
    ]
    for (const raw of queries) {
      const params = toSearchParams(searchQuerySchema.parse(Object.fromEntries(new URLSearchParams(raw))), new Date())
      const [postgis, earth] = await Promise.all([searchTourRows(t.db.orm, 'postgis', params), searchTourRows(t.db.orm, 'earthdistance', params)])
      expect(earth.map((r) => r.id), raw).toEqual(postgis.map((r) => r.id))
      earth.forEach((r, i) => {
        if (r.distance_m === null) expect(postgis[i]!.distance_m).toBeNull()
        else expect(Math.abs(Number(r.distance_m) - Number(postgis[i]!.distance_m)), raw).toBeLessThan(1)
      })
    }
  })
})
