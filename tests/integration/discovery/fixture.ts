/**
 * A small catalogue at real Kamchatka places, made through the API, for search tests whose expectations must be
 * exact: each tour differs in the fields the filters look at.
 */
import type { TestApp } from '../../support/app.ts'
import { json, makeTour, operatorWithProfile, send, type OperatorActor } from './support.ts'

const ru = (title: string, summary = '', meetingPoint = '') => ({ title, summary, description: '', meetingPoint })
const en = (title: string, summary = '') => ({ title, summary })

/** Petropavlovsk-Kamchatsky, where most tours start. */
export const PETROPAVLOVSK = { lat: 53.0167, lng: 158.65 }

export const FIXTURE_TOURS = {
  avachinsky: {
    content: { ru: ru('Восхождение на Авачинский вулкан', 'Однодневное восхождение на действующий вулкан', 'Авачинский перевал'), en: en('Avachinsky volcano ascent', 'A one-day climb of an active volcano') },
    category: 'volcano', difficulty: 'challenging', durationMinutes: 600, languages: ['ru', 'en'],
    meetingPoint: { lat: 53.2555, lng: 158.8305 }, currency: 'RUB', prices: { adult: 1_500_000 },
  },
  koryaksky: {
    content: { ru: ru('Треккинг к Корякскому вулкану', 'Подход к подножию вулкана'), en: en('Koryaksky volcano trek', 'A trek to the foot of the volcano') },
    category: 'volcano', difficulty: 'extreme', durationMinutes: 720, languages: ['ru'],
    meetingPoint: { lat: 53.321, lng: 158.712 }, currency: 'RUB', prices: { adult: 2_000_000 },
  },
  kurileBears: {
    content: {
      ru: ru('Медведи Курильского озера', 'Наблюдение за бурыми медведями на нерестилище'),
      en: en('Kurile Lake bear watching', 'Brown bears fishing for salmon'),
      zh: { title: '库里尔湖观熊', summary: '观看棕熊捕鲑鱼' },
    },
    category: 'bears', difficulty: 'easy', durationMinutes: 480, languages: ['ru', 'en', 'zh'],
    meetingPoint: { lat: 51.45, lng: 157.08 }, currency: 'RUB', prices: { adult: 8_500_000, child: 7_000_000 },
  },
  geysers: {
    content: { ru: ru('Долина гейзеров на вертолёте', 'Полёт в Кроноцкий заповедник'), en: en('Valley of Geysers by helicopter', 'A flight into the Kronotsky reserve') },
    category: 'helicopter', difficulty: 'easy', durationMinutes: 540, languages: ['ru', 'en'],
    meetingPoint: { lat: 54.43, lng: 160.139 }, currency: 'USD', prices: { adult: 95_000 },
  },
  khalaktyrsky: {
    content: { ru: ru('Халактырский пляж: чёрный песок', 'Джип-тур к Тихому океану'), en: en('Khalaktyrsky black sand beach', 'A jeep ride to the Pacific') },
    category: 'jeep', difficulty: 'easy', durationMinutes: 240, languages: ['ru', 'en'],
    meetingPoint: { lat: 53.029, lng: 158.913 }, currency: 'RUB', prices: { adult: 400_000 },
  },
  paratunka: {
    content: { ru: ru('Термальные источники Паратунки', 'Вечер в горячих источниках') },
    category: 'hot_springs', difficulty: 'easy', durationMinutes: 180, languages: ['ru'],
    meetingPoint: { lat: 52.968, lng: 158.245 }, currency: 'RUB', prices: { adult: 300_000 },
  },
  avachaBay: {
    content: { ru: ru('Каяки в Авачинской бухте', 'Морская прогулка на каяках'), en: en('Sea kayaking in Avacha Bay', 'Paddling past the Three Brothers rocks') },
    category: 'sea_kayaking', difficulty: 'moderate', durationMinutes: 300, languages: ['ru', 'en'],
    meetingPoint: { lat: 52.985, lng: 158.62 }, currency: 'RUB', prices: { adult: 700_000 },
  },
  mutnovsky: {
    content: { ru: ru('Мутновский вулкан на джипе', 'Кратер, фумаролы и ледник'), en: en('Mutnovsky volcano by jeep', 'Crater, fumaroles and a glacier') },
    category: 'volcano', difficulty: 'moderate', durationMinutes: 720, languages: ['ru', 'en'],
    meetingPoint: { lat: 52.453, lng: 158.195 }, currency: 'RUB', prices: { adult: 1_200_000 },
  },
  klyuchevskaya: {
    content: { ru: ru('Поход к Ключевской сопке', 'Неделя у высочайшего вулкана Евразии'), en: en('Klyuchevskaya Sopka trek', 'A week at the highest volcano of Eurasia') },
    category: 'multi_day_trek', difficulty: 'extreme', durationMinutes: 10_080, languages: ['ru', 'en'],
    meetingPoint: { lat: 56.056, lng: 160.642 }, currency: 'RUB', prices: { adult: 12_000_000 },
  },
} as const

export type FixtureName = keyof typeof FIXTURE_TOURS

export interface Fixture {
  ids: Record<FixtureName, string>
  names: Map<string, FixtureName>
  draftId: string
  operators: [OperatorActor, OperatorActor]
  /** Departures of the Avachinsky tour: in 10 days with 10 seats, in 40 days with 2 seats, in 20 days cancelled. */
  avachinskyDepartures: { soon: string; later: string; cancelled: string }
  /** Mutnovsky goes in 5 days (the soonest of all). */
  mutnovskyDeparture: string
}

const DAY = 86_400_000

export async function buildFixture(t: TestApp): Promise<Fixture> {
  const volcanoes = await operatorWithProfile(t, 'Volcano Pros')
  const wildlife = await operatorWithProfile(t, 'Wild Kamchatka')
  const ids = {} as Record<FixtureName, string>
  for (const [name, body] of Object.entries(FIXTURE_TOURS) as Array<[FixtureName, (typeof FIXTURE_TOURS)[FixtureName]]>) {
    const owner = ['kurileBears', 'geysers', 'avachaBay'].includes(name) ? wildlife : volcanoes
    ids[name] = (await makeTour(t, owner, structuredClone(body) as never)).id
  }
  const draft = await makeTour(t, volcanoes, { title: 'Авачинский вулкан: черновик' }, { publish: false })
  const at = (days: number) => new Date(Date.now() + days * DAY).toISOString()
  const add = async (owner: OperatorActor, tourId: string, days: number, capacity: number) =>
    (await json<{ id: string }>(await send(t, 'POST', `/v1/tours/${tourId}/departures`, { startsAt: at(days), capacity }, owner.headers), 201)).id
  const soon = await add(volcanoes, ids.avachinsky, 10, 10)
  const later = await add(volcanoes, ids.avachinsky, 40, 2)
  const cancelled = await add(volcanoes, ids.avachinsky, 20, 30)
  await json(await send(t, 'POST', `/v1/departures/${cancelled}/cancel`, undefined, volcanoes.headers))
  const mutnovskyDeparture = await add(volcanoes, ids.mutnovsky, 5, 6)
  await add(wildlife, ids.kurileBears, 15, 8)
  return {
    ids,
    names: new Map(Object.entries(ids).map(([name, id]) => [id, name as FixtureName])),
    draftId: draft.id,
    operators: [volcanoes, wildlife],
    avachinskyDepartures: { soon, later, cancelled },
    mutnovskyDeparture,
  }
}

/** Great-circle distance on PostGIS' sphere (the one both geo engines use), in km. */
export function haversineKm(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const R = 6_371_008.771_415_059
  const rad = (d: number) => (d * Math.PI) / 180
  const dLat = rad(b.lat - a.lat)
  const dLng = rad(b.lng - a.lng)
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2
  return (2 * R * Math.asin(Math.sqrt(h))) / 1000
}
