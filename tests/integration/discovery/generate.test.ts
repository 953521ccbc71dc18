/**
 * The benchmark generator: N tours and M departures per tour made in SQL, deterministic in shape, searchable by the
 * same query paths as real tours (text with transliteration, geo, availability).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { generateCatalogue, type GeneratedCatalogue } from '../../../src/pillars/discovery/generate.ts'
import { PLACES } from '../../../src/pillars/discovery/seed-data.ts'
import { json, send } from './support.ts'

let t: TestApp
let made: GeneratedCatalogue

beforeAll(async () => {
  t = await startTestApp()
  made = await generateCatalogue(t.db, { tours: 500, departuresPerTour: 4, label: 'gentest' })
})
afterAll(() => t.close())

describe('catalogue generator', () => {
  it('makes the tours and departures asked for, each departure a valid future one', async () => {
    expect(made).toEqual({ operators: 5, tours: 500, departures: 2000 })
    const [row] = await queryRows<{ bad: number; past: number; statuses: number }>(
      t.db.orm,
      sql`select count(*) filter (where seats_left < 0 or seats_left > capacity)::int as bad, count(*) filter (where starts_at < now())::int as past,
            (select count(distinct status) from tours)::int as statuses from departures`,
    )
    expect(row).toEqual({ bad: 0, past: 0, statuses: 3 })
  })

  it('generated tours are found like real ones: transliterated text near a famous place, with seats', async () => {
    const page = await json<{ items: Array<{ title: string; nextDeparture: { seatsLeft: number } }> }>(
      await send(t, 'GET', `/v1/tours?q=avacha&near=${PLACES.avachinsky.lat},${PLACES.avachinsky.lng}&radiusKm=50&party=2&limit=50`),
    )
    expect(page.items.length).toBeGreaterThan(0)
    expect(page.items.every((i) => /Авач/.test(i.title) && i.nextDeparture.seatsLeft >= 2)).toBe(true)
  })
})
