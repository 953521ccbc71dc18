/**
 * GET /v1/tours: text with stemming and transliteration/typo tolerance, every filter, sorts, signed keyset
 * cursors, facets, the content language, and 400s that name the field. Runs on PGlite and on PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { buildFixture, type Fixture, type FixtureName } from './fixture.ts'
import { json, send } from './support.ts'

interface Item {
  id: string
  title: string
  summary: string
  category: string
  categoryLabel: string
  priceFrom: { amount: number; currency: string }
  nextDeparture: { id: string; startsAt: string; startsAtLocal: string; seatsLeft: number } | null
  distanceKm: number | null
  relevance: number | null
  languages: string[]
  operator: { id: string; name: string }
}
interface Page {
  language: string
  items: Item[]
  nextCursor: string | null
  facets?: { categories: Array<{ category: string; label: string; count: number }>; prices: Array<{ currency: string; min: number; max: number; count: number }> }
}

let t: TestApp
let f: Fixture

beforeAll(async () => {
  t = await startTestApp({ env: { AUTH_RATE_LIMIT: '10000' } })
  f = await buildFixture(t)
})
afterAll(() => t.close())

async function search(query: string, headers: Record<string, string> = {}): Promise<Page> {
  return json<Page>(await send(t, 'GET', `/v1/tours${query ? `?${query}` : ''}`, undefined, headers))
}
const names = (page: Page) => page.items.map((i) => f.names.get(i.id) ?? 'unknown')
const q = (text: string) => `q=${encodeURIComponent(text)}`

async function problem(query: string) {
  return json<{ code: string; errors: Array<{ path: string; message: string }> }>(await send(t, 'GET', `/v1/tours?${query}`), 400)
}

describe('text search', () => {
  it.each(['Авача', 'avacha', 'avachinsky', 'Авачинский', 'AVACHINSKIY', 'avachinksy' /* a typo */])('"%s" finds the Avachinsky volcano tour', async (text) => {
    const page = await search(q(text))
    expect(names(page)).toContain('avachinsky')
  })

  it('the full name ranks the Avachinsky volcano above the similarly named Avacha Bay', async () => {
    for (const text of ['avachinsky', 'Авачинский вулкан']) {
      expect(names(await search(q(text)))[0]).toBe('avachinsky')
    }
  })

  it('Russian and English words are stemmed: plurals find singular titles', async () => {
    expect(names(await search(q('вулканы')))).toEqual(expect.arrayContaining(['avachinsky', 'koryaksky', 'mutnovsky']))
    expect(names(await search(q('volcanoes')))).toEqual(expect.arrayContaining(['avachinsky', 'koryaksky', 'mutnovsky']))
    expect(names(await search(q('медведь')))).toContain('kurileBears')
    expect(names(await search(q('bears')))).toContain('kurileBears')
  })

  it('transliterated Russian and English exonyms meet: Klyuchevskaya, Khalaktyrsky, Kurile, Paratunka', async () => {
    expect(names(await search(q('klyuchevskaya')))).toContain('klyuchevskaya')
    expect(names(await search(q('Ключевская')))).toContain('klyuchevskaya')
    expect(names(await search(q('khalaktyr')))).toContain('khalaktyrsky')
    expect(names(await search(q('kurilskoe')))).toContain('kurileBears')
    expect(names(await search(q('paratunka')))).toEqual(['paratunka'])
  })

  it('drafts never match, and nonsense matches nothing', async () => {
    const page = await search(q('черновик'))
    expect(page.items.map((i) => i.id)).not.toContain(f.draftId)
    expect((await search(q('xyzzyplugh'))).items).toEqual([])
  })

  it('relevance is reported and decreasing', async () => {
    const page = await search(q('вулкан'))
    const scores = page.items.map((i) => i.relevance!)
    expect(scores.every((s) => typeof s === 'number')).toBe(true)
    expect([...scores].sort((a, b) => b - a)).toEqual(scores)
  })
})

describe('filters', () => {
  it('category, one or several', async () => {
    expect(names(await search('category=bears'))).toEqual(['kurileBears'])
    expect(new Set(names(await search('category=volcano,bears')))).toEqual(new Set(['avachinsky', 'koryaksky', 'mutnovsky', 'kurileBears']))
  })

  it('difficulty, spoken language and operator', async () => {
    expect(new Set(names(await search('difficulty=extreme')))).toEqual(new Set(['koryaksky', 'klyuchevskaya']))
    expect(names(await search('language=zh'))).toEqual(['kurileBears'])
    expect(new Set(names(await search(`operator=${f.operators[1].operatorId}`)))).toEqual(new Set(['kurileBears', 'geysers', 'avachaBay']))
  })

  it('a price range in a currency, bounds inclusive; other currencies are not compared', async () => {
    expect(new Set(names(await search('currency=RUB&priceMin=700000&priceMax=1500000')))).toEqual(new Set(['avachinsky', 'avachaBay', 'mutnovsky']))
    expect(names(await search('currency=USD'))).toEqual(['geysers'])
    expect(names(await search('currency=USD&priceMax=90000'))).toEqual([])
  })

  it('duration in minutes', async () => {
    expect(new Set(names(await search('durationMax=240')))).toEqual(new Set(['khalaktyrsky', 'paratunka']))
    expect(names(await search('durationMin=1440'))).toEqual(['klyuchevskaya'])
  })

  it('a date window with N seats free keeps only tours with such a departure, and shows that departure', async () => {
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString()
    const window = `from=${encodeURIComponent(day(30))}&to=${encodeURIComponent(day(50))}`
    // In 30–50 days only Avachinsky goes, with 2 seats.
    const two = await search(`${window}&party=2`)
    expect(names(two)).toEqual(['avachinsky'])
    expect(two.items[0]!.nextDeparture).toMatchObject({ id: f.avachinskyDepartures.later, seatsLeft: 2 })
    expect((await search(`${window}&party=3`)).items).toEqual([])
    // The cancelled departure in 20 days (30 seats) never counts.
    expect((await search(`from=${encodeURIComponent(day(19))}&to=${encodeURIComponent(day(21))}`)).items).toEqual([])
    // Without dates, party alone asks for any departure within the coming year.
    expect(new Set(names(await search('party=7')))).toEqual(new Set(['avachinsky', 'kurileBears']))
  })

  it('without availability filters, tours without departures are still listed, next departure null', async () => {
    const page = await search('category=jeep')
    expect(page.items[0]!.nextDeparture).toBeNull()
    const avachinsky = (await search('category=volcano')).items.find((i) => i.id === f.ids.avachinsky)!
    expect(avachinsky.nextDeparture!.id).toBe(f.avachinskyDepartures.soon)
    expect(avachinsky.nextDeparture!.startsAtLocal).toMatch(/\+12:00$/)
  })

  it('filters combine with text', async () => {
    expect(names(await search(`${q('вулкан')}&difficulty=moderate`))).toEqual(['mutnovsky'])
  })
})

describe('sorting and pagination', () => {
  it('price ascending and descending', async () => {
    const asc = (await search('currency=RUB&sort=price_asc&limit=50')).items.map((i) => i.priceFrom.amount)
    expect(asc).toEqual([...asc].sort((a, b) => a - b))
    const desc = (await search('currency=RUB&sort=price_desc&limit=50')).items.map((i) => i.priceFrom.amount)
    expect(desc).toEqual([...asc].reverse())
  })

  it('soonest departure first, tours without departures last; the default without q or near', async () => {
    const page = await search('limit=50')
    expect(names(page).slice(0, 3)).toEqual(['mutnovsky', 'avachinsky', 'kurileBears'])
    expect(page.items.slice(3).every((i) => i.nextDeparture === null)).toBe(true)
    expect(names(await search('sort=soonest&limit=50'))).toEqual(names(page))
  })

  it('rating sort works while no tour has a rating yet (nulls last, stable by id)', async () => {
    const page = await search('sort=rating&limit=50')
    expect(page.items).toHaveLength(9)
    expect(page.items.every((i) => i.id)).toBe(true)
  })

  it.each(['sort=price_asc', 'sort=price_desc', 'sort=soonest', 'sort=rating', `${q('вулкан')}`, 'near=53.0167,158.65&radiusKm=500'])(
    'keyset cursors walk every tour exactly once (%s)',
    async (query) => {
      const all = (await search(`${query}&limit=50`)).items.map((i) => i.id)
      const walked: string[] = []
      let cursor: string | null = null
      do {
        const page: Page = await search(`${query}&limit=2${cursor ? `&cursor=${cursor}` : ''}`)
        expect(page.items.length).toBeLessThanOrEqual(2)
        walked.push(...page.items.map((i) => i.id))
        cursor = page.nextCursor
      } while (cursor)
      expect(walked).toEqual(all)
    },
  )

  it('a tampered cursor, or one from another search, is a 400 naming query.cursor', async () => {
    const { nextCursor } = await search('sort=price_asc&limit=2')
    const [payload, signature] = nextCursor!.split('.') as [string, string]
    const flipped = payload.slice(0, 5) + (payload[5] === 'A' ? 'B' : 'A') + payload.slice(6)
    for (const cursor of [`${flipped}.${signature}`, `${payload}.${signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A'))}`, 'garbage', `${payload}`]) {
      const p = await problem(`sort=price_asc&limit=2&cursor=${encodeURIComponent(cursor)}`)
      expect(p.errors.map((e) => e.path)).toEqual(['query.cursor'])
    }
    // the same cursor with different filters or sort
    expect((await problem(`sort=price_asc&category=volcano&cursor=${nextCursor}`)).errors[0]!.path).toBe('query.cursor')
    expect((await problem(`sort=price_desc&cursor=${nextCursor}`)).errors[0]!.path).toBe('query.cursor')
    // a different page size or language is fine
    expect((await search(`sort=price_asc&limit=3&lang=en&cursor=${nextCursor}`)).items.length).toBe(3)
  })
})

describe('facets', () => {
  it('category counts ignore the category filter; price buckets ignore the price range', async () => {
    const page = await search('category=volcano&currency=RUB&priceMax=1500000&facets=true')
    expect(new Set(names(page))).toEqual(new Set(['avachinsky', 'mutnovsky']))
    const categories = Object.fromEntries(page.facets!.categories.map((c) => [c.category, c.count]))
    // RUB ≤ 15 000 ₽ in any category
    expect(categories).toEqual({ volcano: 2, jeep: 1, hot_springs: 1, sea_kayaking: 1 })
    expect(page.facets!.categories.find((c) => c.category === 'volcano')!.label).toBe('Вулканы')
    // every RUB volcano tour, bucketed on the 1-2-5 ladder
    expect(page.facets!.prices).toEqual([
      { currency: 'RUB', min: 1_000_000, max: 2_000_000, count: 2 },
      { currency: 'RUB', min: 2_000_000, max: 5_000_000, count: 1 },
    ])
  })

  it('without facets=true there are none', async () => {
    expect((await search('category=volcano')).facets).toBeUndefined()
  })

  it('price buckets group per currency', async () => {
    const page = await search('facets=true&limit=1')
    const currencies = new Set(page.facets!.prices.map((b) => b.currency))
    expect(currencies).toEqual(new Set(['RUB', 'USD']))
    expect(page.facets!.prices.reduce((n, b) => n + b.count, 0)).toBe(9)
    expect(page.facets!.prices.find((b) => b.currency === 'USD')).toEqual({ currency: 'USD', min: 50_000, max: 100_000, count: 1 })
  })
})

describe('content language', () => {
  const title = async (name: FixtureName, headers: Record<string, string>, query = '') =>
    (await search(`limit=50${query}`, headers)).items.find((i) => i.id === f.ids[name])!.title

  it('Accept-Language picks ru, en or zh; missing translations fall back to Russian', async () => {
    expect(await title('avachinsky', { 'Accept-Language': 'en-US,en;q=0.9' })).toBe('Avachinsky volcano ascent')
    expect(await title('kurileBears', { 'Accept-Language': 'zh-CN' })).toBe('库里尔湖观熊')
    expect(await title('avachinsky', { 'Accept-Language': 'zh-CN' })).toBe('Восхождение на Авачинский вулкан')
    expect(await title('paratunka', { 'Accept-Language': 'en' })).toBe('Термальные источники Паратунки')
    expect(await title('avachinsky', { 'Accept-Language': 'fr-FR, de;q=0.5' })).toBe('Восхождение на Авачинский вулкан')
    expect(await title('avachinsky', {})).toBe('Восхождение на Авачинский вулкан')
  })

  it('lang overrides the header; the answer says its language', async () => {
    const res = await send(t, 'GET', '/v1/tours?lang=en&category=bears', undefined, { 'Accept-Language': 'ru' })
    expect(res.headers.get('content-language')).toBe('en')
    expect(res.headers.get('vary')).toMatch(/Accept-Language/)
    const page = (await res.json()) as Page
    expect(page.language).toBe('en')
    expect(page.items[0]).toMatchObject({ title: 'Kurile Lake bear watching', categoryLabel: 'Bear watching' })
  })

  it('the same search in two languages is cached separately', async () => {
    const ru = await search('category=bears', { 'Accept-Language': 'ru' })
    const en = await search('category=bears', { 'Accept-Language': 'en' })
    expect(ru.items[0]!.title).not.toBe(en.items[0]!.title)
  })
})

describe('validation', () => {
  it.each([
    ['category=skydiving', 'query.category'],
    ['category=volcano,skydiving', 'query.category'],
    ['difficulty=easyish', 'query.difficulty'],
    ['currency=XYZ', 'query.currency'],
    ['currency=rub', 'query.currency'],
    ['priceMin=100', 'query.currency'],
    ['currency=RUB&priceMin=5&priceMax=1', 'query.priceMax'],
    ['near=abc', 'query.near'],
    ['near=95,158', 'query.near'],
    ['near=53,190', 'query.near'],
    ['near=53.0,158.6&radiusKm=501', 'query.radiusKm'],
    ['near=53.0,158.6&radiusKm=0', 'query.radiusKm'],
    ['radiusKm=10', 'query.radiusKm'],
    ['sort=distance', 'query.sort'],
    ['sort=popularity', 'query.sort'],
    ['bbox=1,2,3', 'query.bbox'],
    ['bbox=150,60,160,50', 'query.bbox'],
    ['from=2026-13-01', 'query.from'],
    ['from=2030-06-10&to=2030-06-01', 'query.to'],
    ['party=0', 'query.party'],
    ['limit=500', 'query.limit'],
    ['operator=not-a-uuid', 'query.operator'],
    ['lang=de', 'query.lang'],
  ])('%s → 400 naming %s', async (query, path) => {
    const p = await problem(query)
    expect(p.code).toBe('invalid')
    expect(p.errors.map((e) => e.path)).toContain(path)
  })
})

describe('contract', () => {
  it('the OpenAPI document describes the catalogue routes and their schemas', async () => {
    const doc = await json<{ paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } }>(await send(t, 'GET', '/openapi.json'))
    for (const path of ['/v1/tours', '/v1/tours/{id}', '/v1/tours/{id}/departures', '/v1/tours/{id}/departures/generate', '/v1/departures/{id}', '/v1/operators']) {
      expect(Object.keys(doc.paths)).toContain(path)
    }
    for (const schema of ['TourInput', 'RecurrenceRule', 'TourSearchResult', 'PublicTour', 'UpcomingDeparture', 'Departure']) expect(Object.keys(doc.components.schemas)).toContain(schema)
  })
})
