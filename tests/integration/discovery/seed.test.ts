/**
 * The demo catalogue: at least 12 operators and 60 published tours across every category at real places, with
 * seasonal departures for the coming year; loading it twice changes nothing; and it is searchable the way a
 * traveller would search it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { queryRows } from '../../../src/core/db/index.ts'
import { catalogueIsEmpty, seedCatalogue, type SeedResult } from '../../../src/pillars/discovery/seed.ts'
import { CATEGORIES } from '../../../src/pillars/discovery/schema.ts'
import { json, send } from './support.ts'

let t: TestApp
let first: SeedResult

beforeAll(async () => {
  t = await startTestApp()
  expect(await catalogueIsEmpty(t.deps)).toBe(true)
  first = await seedCatalogue(t.deps)
})
afterAll(() => t.close())

describe('demo catalogue', () => {
  it('has ≥ 12 operators and ≥ 60 published tours covering every category, with a year of departures', async () => {
    expect(first.operators).toBeGreaterThanOrEqual(12)
    expect(first.tours).toBeGreaterThanOrEqual(60)
    expect(first.departures).toBeGreaterThan(3000)
    expect(await catalogueIsEmpty(t.deps)).toBe(false)
    const categories = await queryRows<{ category: string }>(t.db.orm, sql`select distinct category from tours where status = 'published'`)
    expect(new Set(categories.map((c) => c.category))).toEqual(new Set(CATEGORIES))
    const [span] = await queryRows<{ days: number; past: number }>(
      t.db.orm,
      sql`select extract(day from max(starts_at) - min(starts_at))::int as days, count(*) filter (where starts_at < now())::int as past from departures`,
    )
    expect(Number(span!.days)).toBeGreaterThan(300)
    expect(Number(span!.past)).toBe(0)
  })

  it('loading it again creates nothing', async () => {
    expect(await seedCatalogue(t.deps)).toEqual({ operators: 0, tours: 0, departures: 0 })
  })

  it('winter tours go in winter and summer tours in summer (Kamchatka local months)', async () => {
    const months = await queryRows<{ category: string; month: number }>(
      t.db.orm,
      sql`select distinct t.category, extract(month from d.starts_at at time zone 'Asia/Kamchatka')::int as month
          from departures d join tours t on t.id = d.tour_id where t.category in ('dog_sledding', 'bears')`,
    )
    const of = (category: string) => new Set(months.filter((m) => m.category === category).map((m) => Number(m.month)))
    expect([...of('dog_sledding')].every((m) => m === 12 || m <= 3)).toBe(true)
    expect([...of('bears')].every((m) => m >= 6 && m <= 9)).toBe(true)
  })

  it('travellers find it: "Авача", a Kurile Lake radius, Chinese titles, a party of four in the summer', async () => {
    const avacha = await json<{ items: Array<{ title: string }> }>(await send(t, 'GET', `/v1/tours?q=${encodeURIComponent('Авачинский')}&limit=5`))
    expect(avacha.items[0]!.title).toMatch(/Авачинск/)
    const kurile = await json<{ items: Array<{ category: string; distanceKm: number }> }>(await send(t, 'GET', '/v1/tours?near=51.45,157.08&radiusKm=10'))
    expect(new Set(kurile.items.map((i) => i.category))).toEqual(new Set(['bears', 'helicopter']))
    const zh = await json<{ items: Array<{ title: string }> }>(await send(t, 'GET', '/v1/tours?category=helicopter&limit=50', undefined, { 'Accept-Language': 'zh' }))
    expect(zh.items.some((i) => /间歇泉/.test(i.title))).toBe(true)
    // The next summer month the seed's departures (from tomorrow on) cover whole: this July before it starts, August
    // during July (late in July few of its departures are left), next July from August on.
    const today = new Date()
    const [year, month] = today.getUTCMonth() < 6 ? [today.getUTCFullYear(), '07'] : today.getUTCMonth() === 6 ? [today.getUTCFullYear(), '08'] : [today.getUTCFullYear() + 1, '07']
    const summer = await json<{ items: Array<{ nextDeparture: { seatsLeft: number } }> }>(
      await send(t, 'GET', `/v1/tours?from=${year}-${month}-01&to=${year}-${month}-31&party=4&category=volcano&limit=50`),
    )
    expect(summer.items.length).toBeGreaterThan(3)
    expect(summer.items.every((i) => i.nextDeparture.seatsLeft >= 4)).toBe(true)
  })
})
