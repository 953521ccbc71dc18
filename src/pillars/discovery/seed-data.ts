/**
 * The demo catalogue: operators and tours at real Kamchatka places (coordinates of trailheads, base camps,
 * villages and the places themselves), with Russian and English text, some Chinese, and the seasons those tours
 * actually run in. Plain data; seed.ts turns it into rows.
 */
import type { Category, Difficulty } from './schema.ts'

export interface SeedPlace {
  ru: string
  en: string
  lat: number
  lng: number
  meetingRu: string
  meetingEn: string
  aboutRu: string
  aboutEn: string
}

export const PLACES = {
  avachinsky: {
    ru: 'Авачинский вулкан', en: 'Avachinsky volcano', lat: 53.279, lng: 158.783,
    meetingRu: 'Базовый лагерь на Авачинском перевале', meetingEn: 'Base camp on the Avachinsky pass',
    aboutRu: 'Авачинская сопка (2741 м) — действующий вулкан в 30 км от Петропавловска-Камчатского.',
    aboutEn: 'Avachinsky (2,741 m) is an active volcano 30 km from Petropavlovsk-Kamchatsky.',
  },
  koryaksky: {
    ru: 'Корякский вулкан', en: 'Koryaksky volcano', lat: 53.296, lng: 158.72,
    meetingRu: 'Лагерь у подножия Корякского вулкана', meetingEn: 'Camp at the foot of Koryaksky',
    aboutRu: 'Корякская сопка (3456 м) — самый высокий вулкан вблизи краевого центра.',
    aboutEn: 'Koryaksky (3,456 m) is the highest volcano near the regional capital.',
  },
  mutnovsky: {
    ru: 'Мутновский вулкан', en: 'Mutnovsky volcano', lat: 52.495, lng: 158.19,
    meetingRu: 'Мутновское плато, у геотермальной станции', meetingEn: 'Mutnovsky plateau, by the geothermal station',
    aboutRu: 'Мутновский вулкан известен кратером с ледником, фумаролами и грязевыми котлами.',
    aboutEn: 'Mutnovsky is known for its glaciated crater, fumaroles and mud pots.',
  },
  gorely: {
    ru: 'Вулкан Горелый', en: 'Gorely volcano', lat: 52.558, lng: 158.03,
    meetingRu: 'Перевал у вулкана Горелый', meetingEn: 'The pass below Gorely',
    aboutRu: 'Горелый — вулкан с цепочкой кратеров и бирюзовым кислотным озером.',
    aboutEn: 'Gorely is a chain of craters with a turquoise acid lake.',
  },
  vilyuchinsky: {
    ru: 'Вилючинский вулкан', en: 'Vilyuchinsky volcano', lat: 52.66, lng: 158.26,
    meetingRu: 'Вилючинский перевал', meetingEn: 'Vilyuchinsky pass',
    aboutRu: 'Вилючинский вулкан (2173 м) — правильный конус над Авачинской бухтой.',
    aboutEn: 'Vilyuchinsky (2,173 m) is a perfect cone above Avacha Bay.',
  },
  klyuchevskaya: {
    ru: 'Ключевская сопка', en: 'Klyuchevskaya Sopka', lat: 56.315, lng: 160.85,
    meetingRu: 'Посёлок Ключи', meetingEn: 'Klyuchi village',
    aboutRu: 'Ключевская сопка (4750 м) — высочайший действующий вулкан Евразии.',
    aboutEn: 'Klyuchevskaya Sopka (4,750 m) is the highest active volcano in Eurasia.',
  },
  tolbachik: {
    ru: 'Толбачик', en: 'Tolbachik', lat: 55.83, lng: 160.33,
    meetingRu: 'Лагерь у лавовых полей Толбачика', meetingEn: 'Camp by the Tolbachik lava fields',
    aboutRu: 'Плоский Толбачик и свежие лавовые поля извержения 2012–2013 годов.',
    aboutEn: 'Plosky Tolbachik and the fresh lava fields of the 2012–2013 eruption.',
  },
  geysers: {
    ru: 'Долина гейзеров', en: 'Valley of Geysers', lat: 54.43, lng: 160.139,
    meetingRu: 'Вертолётная площадка в Долине гейзеров', meetingEn: 'Helipad in the Valley of Geysers',
    aboutRu: 'Долина гейзеров в Кроноцком заповеднике — одно из крупнейших гейзерных полей мира.',
    aboutEn: 'The Valley of Geysers in the Kronotsky reserve is one of the largest geyser fields in the world.',
  },
  uzon: {
    ru: 'Кальдера Узон', en: 'Uzon caldera', lat: 54.5, lng: 159.97,
    meetingRu: 'Кордон в кальдере Узон', meetingEn: 'Ranger station in the Uzon caldera',
    aboutRu: 'Кальдера Узон — горячие источники, грязевые котлы и цветные озёра.',
    aboutEn: 'The Uzon caldera: hot springs, mud pots and coloured lakes.',
  },
  kurileLake: {
    ru: 'Курильское озеро', en: 'Kurile Lake', lat: 51.45, lng: 157.08,
    meetingRu: 'Кордон на Курильском озере', meetingEn: 'Ranger station on Kurile Lake',
    aboutRu: 'Курильское озеро — место нереста нерки и крупнейшего скопления бурых медведей.',
    aboutEn: 'Kurile Lake: a sockeye salmon run and the largest gathering of brown bears.',
  },
  khalaktyrsky: {
    ru: 'Халактырский пляж', en: 'Khalaktyrsky beach', lat: 53.029, lng: 158.913,
    meetingRu: 'Халактырский пляж, у спасательной вышки', meetingEn: 'Khalaktyrsky beach, by the lifeguard tower',
    aboutRu: 'Халактырский пляж — чёрный вулканический песок и волны Тихого океана.',
    aboutEn: 'Khalaktyrsky beach: black volcanic sand and Pacific surf.',
  },
  nalychevo: {
    ru: 'Природный парк Налычево', en: 'Nalychevo nature park', lat: 53.567, lng: 159.1,
    meetingRu: 'Кордон «Центральный» в Налычево', meetingEn: 'Central ranger station, Nalychevo',
    aboutRu: 'Долина Налычево — горячие источники между вулканами, без дорог.',
    aboutEn: 'The Nalychevo valley: hot springs among volcanoes, no roads.',
  },
  paratunka: {
    ru: 'Паратунка', en: 'Paratunka', lat: 52.968, lng: 158.245,
    meetingRu: 'Посёлок Паратунка', meetingEn: 'Paratunka village',
    aboutRu: 'Паратунка — курорт с термальными бассейнами у подножия Вилючинского вулкана.',
    aboutEn: 'Paratunka is a thermal spa village below Vilyuchinsky volcano.',
  },
  avachaBay: {
    ru: 'Авачинская бухта', en: 'Avacha Bay', lat: 52.995, lng: 158.645,
    meetingRu: 'Морской вокзал Петропавловска-Камчатского', meetingEn: 'Petropavlovsk-Kamchatsky sea terminal',
    aboutRu: 'Авачинская бухта, скалы Три брата и выход в Тихий океан.',
    aboutEn: 'Avacha Bay, the Three Brothers rocks and the way out to the Pacific.',
  },
  esso: {
    ru: 'Эссо', en: 'Esso', lat: 55.931, lng: 158.7,
    meetingRu: 'Этнический центр в Эссо', meetingEn: 'The ethnic centre in Esso',
    aboutRu: 'Эссо — село эвенов в Быстринском районе, «камчатская Швейцария».',
    aboutEn: 'Esso is an Even village in the Bystrinsky district, "Kamchatka’s Switzerland".',
  },
  bystraya: {
    ru: 'Река Быстрая', en: 'Bystraya river', lat: 53.33, lng: 157.54,
    meetingRu: 'Посёлок Малки, у моста', meetingEn: 'Malki village, by the bridge',
    aboutRu: 'Быстрая — лососёвая река с микижей, кижучем и гольцом.',
    aboutEn: 'The Bystraya is a salmon river with rainbow trout, coho and char.',
  },
  plotnikova: {
    ru: 'Река Плотникова', en: 'Plotnikova river', lat: 53.1, lng: 157.75,
    meetingRu: 'Посёлок Начики', meetingEn: 'Nachiki village',
    aboutRu: 'Плотникова — спокойная река для сплава среди тундры и берёзовых лесов.',
    aboutEn: 'The Plotnikova is a gentle river through tundra and birch forest.',
  },
  vachkazhets: {
    ru: 'Горы Вачкажец', en: 'Vachkazhets mountains', lat: 52.78, lng: 157.9,
    meetingRu: 'База у подножия Вачкажца', meetingEn: 'Base lodge below Vachkazhets',
    aboutRu: 'Вачкажец — древний вулканический массив с цирками и снежными склонами.',
    aboutEn: 'Vachkazhets is an ancient volcanic massif with cirques and snowy slopes.',
  },
  elizovo: {
    ru: 'Елизово', en: 'Elizovo', lat: 53.19, lng: 158.385,
    meetingRu: 'Питомник ездовых собак в Елизово', meetingEn: 'Sled dog kennel in Elizovo',
    aboutRu: 'Елизово — ворота Камчатки, родина гонки на собачьих упряжках «Берингия».',
    aboutEn: 'Elizovo, the gateway of Kamchatka and home of the Beringia sled dog race.',
  },
} as const satisfies Record<string, SeedPlace>

export type PlaceKey = keyof typeof PLACES

export interface SeedOperator {
  slug: string
  name: string
  phone: string
}

export const SEED_OPERATORS: SeedOperator[] = [
  { slug: 'kamchatka-volcano-guides', name: 'Kamchatka Volcano Guides', phone: '+7 415 200-11-01' },
  { slug: 'avacha-expeditions', name: 'Avacha Expeditions', phone: '+7 415 200-11-02' },
  { slug: 'bear-country-kamchatka', name: 'Bear Country Kamchatka', phone: '+7 415 200-11-03' },
  { slug: 'kamchatka-heli-tours', name: 'Kamchatka Heli Tours', phone: '+7 415 200-11-04' },
  { slug: 'pacific-sea-kayak', name: 'Pacific Sea Kayak', phone: '+7 415 200-11-05' },
  { slug: 'kamchatka-fishing-club', name: 'Kamchatka Fishing Club', phone: '+7 415 200-11-06' },
  { slug: 'kamchatka-river-rafting', name: 'Kamchatka River Rafting', phone: '+7 415 200-11-07' },
  { slug: 'paratunka-thermal', name: 'Paratunka Thermal', phone: '+7 415 200-11-08' },
  { slug: 'snow-riders-kamchatka', name: 'Snow Riders Kamchatka', phone: '+7 415 200-11-09' },
  { slug: 'heliski-kamchatka', name: 'Heliski Kamchatka', phone: '+7 415 200-11-10' },
  { slug: 'esso-even-culture', name: 'Esso Even Culture', phone: '+7 415 200-11-11' },
  { slug: 'wild-trails-trekking', name: 'Wild Trails Trekking', phone: '+7 415 200-11-12' },
  { slug: 'avacha-bay-boats', name: 'Avacha Bay Boats', phone: '+7 415 200-11-13' },
  { slug: 'kamchatka-4x4', name: 'Kamchatka 4x4', phone: '+7 415 200-11-14' },
]

export interface SeedTour {
  slug: string
  operator: string
  place: PlaceKey
  category: Category
  difficulty: Difficulty
  minutes: number
  ru: [title: string, summary: string]
  en: [title: string, summary: string]
  zh?: [title: string, summary: string]
  /** Adult price in major units of `currency` (RUB unless given); children pay 70 %. */
  price: number
  currency?: 'RUB' | 'USD'
  /** Months the tour runs, inclusive; from > to wraps the new year (e.g. December–March). */
  season: [from: number, to: number]
  times: string[]
  /** ISO weekdays it runs on (Monday = 1); daily when absent. */
  weekdays?: number[]
  capacity: number
  minAge?: number
  maxBodyWeightKg?: number
}

const H = 60
const DAY = 24 * H

export const SEED_TOURS: SeedTour[] = [
  // Volcanoes
  { slug: 'avachinsky-ascent', operator: 'kamchatka-volcano-guides', place: 'avachinsky', category: 'volcano', difficulty: 'challenging', minutes: 11 * H,
    ru: ['Восхождение на Авачинский вулкан', 'Однодневное восхождение на действующий вулкан с видом на Тихий океан'],
    en: ['Avachinsky volcano ascent', 'A one-day climb of an active volcano with Pacific views'],
    zh: ['阿瓦恰火山登顶', '一日攀登活火山，俯瞰太平洋'],
    price: 9_500, season: [6, 9], times: ['06:00'], capacity: 15, minAge: 12 },
  { slug: 'avachinsky-sunrise', operator: 'avacha-expeditions', place: 'avachinsky', category: 'volcano', difficulty: 'challenging', minutes: 12 * H,
    ru: ['Рассвет на вершине Авачи', 'Ночной выход и встреча рассвета на кратере Авачинского вулкана'],
    en: ['Sunrise on Avachinsky summit', 'A night start to meet the sunrise on the crater rim'],
    price: 12_000, season: [7, 8], times: ['01:30'], weekdays: [6], capacity: 10, minAge: 14 },
  { slug: 'camel-mountain-walk', operator: 'avacha-expeditions', place: 'avachinsky', category: 'volcano', difficulty: 'easy', minutes: 6 * H,
    ru: ['Гора Верблюд у Авачинского вулкана', 'Лёгкая прогулка на гору Верблюд между Авачей и Коряком'],
    en: ['Camel Mountain by Avachinsky', 'An easy walk up Camel Mountain between Avachinsky and Koryaksky'],
    price: 5_500, season: [6, 9], times: ['09:00'], capacity: 18, minAge: 6 },
  { slug: 'koryaksky-ascent', operator: 'kamchatka-volcano-guides', place: 'koryaksky', category: 'volcano', difficulty: 'extreme', minutes: 14 * H,
    ru: ['Восхождение на Корякский вулкан', 'Технически сложное восхождение на высоту 3456 м'],
    en: ['Koryaksky volcano ascent', 'A demanding climb to 3,456 m'],
    price: 18_000, season: [7, 8], times: ['03:00'], weekdays: [2, 5], capacity: 8, minAge: 18 },
  { slug: 'mutnovsky-crater', operator: 'kamchatka-4x4', place: 'mutnovsky', category: 'volcano', difficulty: 'moderate', minutes: 12 * H,
    ru: ['Мутновский вулкан: в кратер', 'Джип до плато и пеший спуск в кратер к фумаролам и леднику'],
    en: ['Into the Mutnovsky crater', 'By jeep to the plateau, then on foot to fumaroles and the glacier'],
    zh: ['穆特诺夫斯基火山口', '乘越野车上高原，徒步进入火山口'],
    price: 14_000, season: [7, 9], times: ['07:00'], capacity: 12, minAge: 10 },
  { slug: 'mutnovsky-dachnye-springs', operator: 'wild-trails-trekking', place: 'mutnovsky', category: 'volcano', difficulty: 'moderate', minutes: 9 * H,
    ru: ['Дачные источники и Мутновская ГеоЭС', 'Парящие источники, грязевые котлы и геотермальная станция'],
    en: ['Dachnye springs and Mutnovsky geothermal field', 'Steaming vents, mud pots and the geothermal plant'],
    price: 11_000, season: [7, 9], times: ['08:00'], weekdays: [1, 3, 5], capacity: 14 },
  { slug: 'gorely-acid-lake', operator: 'kamchatka-volcano-guides', place: 'gorely', category: 'volcano', difficulty: 'moderate', minutes: 10 * H,
    ru: ['Вулкан Горелый и кислотное озеро', 'Подъём на кромку кратеров к бирюзовому озеру'],
    en: ['Gorely volcano and its acid lake', 'Up to the crater rim above a turquoise lake'],
    price: 12_500, season: [7, 9], times: ['07:00'], weekdays: [2, 4, 6], capacity: 12, minAge: 12 },
  { slug: 'vilyuchinsky-pass-hike', operator: 'avacha-expeditions', place: 'vilyuchinsky', category: 'volcano', difficulty: 'moderate', minutes: 8 * H,
    ru: ['Вилючинский перевал и водопады', 'Пеший маршрут к перевалу и водопадам у Вилючинского вулкана'],
    en: ['Vilyuchinsky pass and waterfalls', 'A hike to the pass and waterfalls below Vilyuchinsky volcano'],
    price: 7_500, season: [6, 9], times: ['09:00'], capacity: 16, minAge: 8 },
  { slug: 'vilyuchinsky-ascent', operator: 'kamchatka-volcano-guides', place: 'vilyuchinsky', category: 'volcano', difficulty: 'challenging', minutes: 12 * H,
    ru: ['Восхождение на Вилючинский вулкан', 'Подъём на конус с видом на Авачинскую бухту'],
    en: ['Vilyuchinsky volcano ascent', 'A climb of the cone overlooking Avacha Bay'],
    price: 13_000, season: [7, 8], times: ['05:00'], weekdays: [3, 6], capacity: 10, minAge: 14 },
  { slug: 'tolbachik-lava-fields', operator: 'wild-trails-trekking', place: 'tolbachik', category: 'volcano', difficulty: 'moderate', minutes: 3 * DAY,
    ru: ['Лавовые поля Толбачика', 'Три дня среди свежих лавовых полей и «мёртвого леса»'],
    en: ['Tolbachik lava fields', 'Three days among fresh lava fields and the Dead Forest'],
    price: 68_000, season: [7, 9], times: ['08:00'], weekdays: [1], capacity: 10 },

  // Multi-day treks
  { slug: 'klyuchevskaya-trek', operator: 'wild-trails-trekking', place: 'klyuchevskaya', category: 'multi_day_trek', difficulty: 'extreme', minutes: 7 * DAY,
    ru: ['Поход к Ключевской сопке', 'Неделя у подножия высочайшего вулкана Евразии'],
    en: ['Klyuchevskaya Sopka trek', 'A week at the foot of the highest volcano in Eurasia'],
    zh: ['克柳切夫火山徒步', '在欧亚大陆最高火山脚下的一周'],
    price: 145_000, season: [7, 8], times: ['08:00'], weekdays: [6], capacity: 10, minAge: 16 },
  { slug: 'klyuchevskaya-group-volcanoes', operator: 'wild-trails-trekking', place: 'klyuchevskaya', category: 'multi_day_trek', difficulty: 'challenging', minutes: 10 * DAY,
    ru: ['Ключевская группа вулканов', 'Десять дней от Ключей до Толбачика'],
    en: ['The Klyuchevskaya volcano group', 'Ten days from Klyuchi to Tolbachik'],
    price: 198_000, season: [7, 8], times: ['08:00'], weekdays: [1], capacity: 8, minAge: 16 },
  { slug: 'nalychevo-traverse', operator: 'avacha-expeditions', place: 'nalychevo', category: 'multi_day_trek', difficulty: 'challenging', minutes: 5 * DAY,
    ru: ['Переход в долину Налычево', 'Пять дней пешком через перевал к горячим источникам Налычево'],
    en: ['Nalychevo valley traverse', 'Five days on foot over the pass to the Nalychevo hot springs'],
    price: 85_000, season: [7, 9], times: ['08:00'], weekdays: [1, 4], capacity: 12, minAge: 14 },
  { slug: 'mutnovsky-gorely-trek', operator: 'wild-trails-trekking', place: 'gorely', category: 'multi_day_trek', difficulty: 'challenging', minutes: 4 * DAY,
    ru: ['Поход Горелый — Мутновский', 'Четыре дня с палатками между двумя вулканами'],
    en: ['Gorely to Mutnovsky trek', 'Four days camping between two volcanoes'],
    price: 62_000, season: [7, 9], times: ['08:00'], weekdays: [3], capacity: 12, minAge: 14 },
  { slug: 'esso-mountain-trek', operator: 'esso-even-culture', place: 'esso', category: 'multi_day_trek', difficulty: 'moderate', minutes: 3 * DAY,
    ru: ['Горы вокруг Эссо', 'Три дня по тропам Быстринского парка'],
    en: ['The mountains around Esso', 'Three days on the trails of the Bystrinsky park'],
    price: 39_000, season: [6, 9], times: ['09:00'], weekdays: [5], capacity: 12 },

  // Helicopter
  { slug: 'valley-of-geysers-heli', operator: 'kamchatka-heli-tours', place: 'geysers', category: 'helicopter', difficulty: 'easy', minutes: 9 * H,
    ru: ['Долина гейзеров на вертолёте', 'Полёт над вулканами в Кроноцкий заповедник, кальдера Узон и обед'],
    en: ['Valley of Geysers by helicopter', 'A flight over volcanoes into the Kronotsky reserve, the Uzon caldera and lunch'],
    zh: ['直升机游间歇泉谷', '飞越火山前往克罗诺茨基保护区与乌宗火山口'],
    price: 65_000, season: [6, 10], times: ['09:00'], capacity: 20, minAge: 3, maxBodyWeightKg: 130 },
  { slug: 'valley-of-geysers-winter', operator: 'kamchatka-heli-tours', place: 'geysers', category: 'helicopter', difficulty: 'easy', minutes: 8 * H,
    ru: ['Зимняя Долина гейзеров', 'Гейзеры в снегу: вертолёт, тропа и термальный пар'],
    en: ['Valley of Geysers in winter', 'Geysers in snow: the helicopter, the boardwalk and steam'],
    price: 72_000, season: [1, 3], times: ['10:00'], weekdays: [3, 6], capacity: 20, minAge: 5, maxBodyWeightKg: 130 },
  { slug: 'uzon-caldera-heli', operator: 'kamchatka-heli-tours', place: 'uzon', category: 'helicopter', difficulty: 'easy', minutes: 8 * H,
    ru: ['Кальдера Узон на вертолёте', 'Цветные озёра и грязевые котлы кальдеры Узон'],
    en: ['Uzon caldera by helicopter', 'The coloured lakes and mud pots of the Uzon caldera'],
    price: 58_000, season: [7, 9], times: ['09:30'], weekdays: [2, 4, 6], capacity: 20, minAge: 5, maxBodyWeightKg: 130 },
  { slug: 'kurile-lake-heli', operator: 'kamchatka-heli-tours', place: 'kurileLake', category: 'helicopter', difficulty: 'easy', minutes: 9 * H,
    ru: ['Курильское озеро на вертолёте', 'Медведи, Ильинский вулкан и кальдера Ксудач за один день'],
    en: ['Kurile Lake by helicopter', 'Bears, Ilyinsky volcano and the Ksudach caldera in one day'],
    zh: ['直升机游库里尔湖', '一天内观熊、伊林斯基火山'],
    price: 85_000, season: [7, 9], times: ['08:30'], capacity: 20, minAge: 6, maxBodyWeightKg: 130 },
  { slug: 'volcano-flightseeing', operator: 'kamchatka-heli-tours', place: 'avachinsky', category: 'helicopter', difficulty: 'easy', minutes: 2 * H,
    ru: ['Облёт вулканов Авача и Коряк', 'Два часа над кратерами Авачинского и Корякского вулканов'],
    en: ['Avachinsky and Koryaksky flightseeing', 'Two hours over the craters of Avachinsky and Koryaksky'],
    price: 38_000, season: [5, 10], times: ['11:00', '15:00'], weekdays: [1, 3, 5, 6, 7], capacity: 20, minAge: 3, maxBodyWeightKg: 130 },
  { slug: 'mutnovsky-heli-landing', operator: 'kamchatka-heli-tours', place: 'mutnovsky', category: 'helicopter', difficulty: 'easy', minutes: 6 * H,
    ru: ['Посадка у кратера Мутновского', 'Вертолёт к Мутновскому и Горелому, купание в горячих источниках'],
    en: ['Helicopter landing at Mutnovsky', 'Fly to Mutnovsky and Gorely, then a swim in the hot springs'],
    price: 52_000, season: [7, 9], times: ['10:00'], weekdays: [5, 7], capacity: 20, minAge: 5, maxBodyWeightKg: 130 },

  // Bears
  { slug: 'kurile-lake-bears', operator: 'bear-country-kamchatka', place: 'kurileLake', category: 'bears', difficulty: 'easy', minutes: 9 * H,
    ru: ['Медведи Курильского озера', 'Наблюдение за бурыми медведями на нересте нерки с вышек'],
    en: ['Kurile Lake bear watching', 'Watch brown bears fishing the sockeye run from viewing towers'],
    zh: ['库里尔湖观熊', '在观景台上观看棕熊捕食红鲑'],
    price: 92_000, season: [7, 9], times: ['08:00'], capacity: 16, minAge: 6, maxBodyWeightKg: 130 },
  { slug: 'kurile-lake-bear-camp', operator: 'bear-country-kamchatka', place: 'kurileLake', category: 'bears', difficulty: 'moderate', minutes: 3 * DAY,
    ru: ['Три дня в медвежьем лагере', 'Ночёвки на кордоне Курильского озера и фотоохота на медведей'],
    en: ['Three days at the bear camp', 'Nights at the Kurile Lake ranger station and bear photography'],
    price: 260_000, season: [8, 9], times: ['09:00'], weekdays: [2, 5], capacity: 8, minAge: 12, maxBodyWeightKg: 130 },
  { slug: 'bystraya-bears-rafting', operator: 'bear-country-kamchatka', place: 'bystraya', category: 'bears', difficulty: 'moderate', minutes: 10 * H,
    ru: ['Медведи на реке Быстрой', 'Сплав с наблюдением за медведями на лососёвой реке'],
    en: ['Bears on the Bystraya river', 'A float trip watching bears on a salmon river'],
    price: 24_000, season: [7, 9], times: ['07:00'], weekdays: [1, 3, 5, 7], capacity: 10, minAge: 10 },
  { slug: 'nalychevo-bears', operator: 'bear-country-kamchatka', place: 'nalychevo', category: 'bears', difficulty: 'moderate', minutes: 2 * DAY,
    ru: ['Медведи Налычево', 'Два дня в долине Налычево: медвежьи тропы и горячие источники'],
    en: ['Bears of Nalychevo', 'Two days in the Nalychevo valley: bear trails and hot springs'],
    price: 54_000, season: [6, 9], times: ['08:00'], weekdays: [6], capacity: 10, minAge: 12 },

  // Fishing
  { slug: 'bystraya-fly-fishing', operator: 'kamchatka-fishing-club', place: 'bystraya', category: 'fishing', difficulty: 'moderate', minutes: 10 * H,
    ru: ['Нахлыст на реке Быстрой', 'Ловля микижи и кижуча по принципу «поймал — отпусти»'],
    en: ['Fly fishing the Bystraya', 'Catch-and-release rainbow trout and coho'],
    price: 28_000, season: [6, 10], times: ['06:00'], capacity: 6, minAge: 12 },
  { slug: 'avacha-bay-sea-fishing', operator: 'kamchatka-fishing-club', place: 'avachaBay', category: 'fishing', difficulty: 'easy', minutes: 6 * H,
    ru: ['Морская рыбалка в Авачинском заливе', 'Палтус, треска и камбала с катера'],
    en: ['Sea fishing in Avacha Gulf', 'Halibut, cod and flounder from a boat'],
    price: 13_000, season: [5, 10], times: ['07:00'], capacity: 12, minAge: 7 },
  { slug: 'salmon-run-fishing', operator: 'kamchatka-fishing-club', place: 'plotnikova', category: 'fishing', difficulty: 'easy', minutes: 8 * H,
    ru: ['Рыбалка на лосося', 'Горбуша и кета на нерестовой реке Плотникова'],
    en: ['Salmon run fishing', 'Pink and chum salmon on the Plotnikova'],
    price: 16_000, season: [7, 9], times: ['06:30'], capacity: 8, minAge: 10 },
  { slug: 'zhupanova-fishing-expedition', operator: 'kamchatka-fishing-club', place: 'nalychevo', category: 'fishing', difficulty: 'challenging', minutes: 6 * DAY,
    ru: ['Рыболовная экспедиция на Жупанову', 'Шесть дней сплава и ловли дикой микижи'],
    en: ['Zhupanova fishing expedition', 'Six days of rafting and wild rainbow trout'],
    price: 2_900, currency: 'USD', season: [8, 9], times: ['08:00'], weekdays: [6], capacity: 6, minAge: 16 },

  // Rafting
  { slug: 'plotnikova-rafting', operator: 'kamchatka-river-rafting', place: 'plotnikova', category: 'rafting', difficulty: 'easy', minutes: 8 * H,
    ru: ['Сплав по реке Плотникова', 'Спокойный сплав с ухой на берегу'],
    en: ['Plotnikova river float', 'A gentle float with fish soup on the bank'],
    price: 11_500, season: [6, 9], times: ['08:00'], capacity: 12, minAge: 6 },
  { slug: 'bystraya-rafting', operator: 'kamchatka-river-rafting', place: 'bystraya', category: 'rafting', difficulty: 'moderate', minutes: 9 * H,
    ru: ['Сплав по реке Быстрой', 'Перекаты, медведи на берегу и рыбалка'],
    en: ['Bystraya river rafting', 'Riffles, bears on the bank and fishing'],
    price: 15_000, season: [6, 9], times: ['07:30'], capacity: 12, minAge: 10 },
  { slug: 'zhupanova-rafting', operator: 'kamchatka-river-rafting', place: 'nalychevo', category: 'rafting', difficulty: 'challenging', minutes: 4 * DAY,
    ru: ['Сплав по Жупановой', 'Четыре дня по дикой реке к Тихому океану'],
    en: ['Zhupanova river expedition', 'Four days down a wild river to the Pacific'],
    price: 78_000, season: [7, 8], times: ['08:00'], weekdays: [1], capacity: 10, minAge: 14 },

  // Hot springs
  { slug: 'paratunka-thermal-evening', operator: 'paratunka-thermal', place: 'paratunka', category: 'hot_springs', difficulty: 'easy', minutes: 4 * H,
    ru: ['Вечер в термальных бассейнах Паратунки', 'Трансфер, бассейны с горячей водой и ужин'],
    en: ['Evening at the Paratunka thermal pools', 'Transfer, hot pools and dinner'],
    zh: ['帕拉通卡温泉之夜', '接送、温泉泳池与晚餐'],
    price: 3_500, season: [1, 12], times: ['17:00'], capacity: 25 },
  { slug: 'paratunka-spa-day', operator: 'paratunka-thermal', place: 'paratunka', category: 'hot_springs', difficulty: 'easy', minutes: 7 * H,
    ru: ['Спа-день в Паратунке', 'Термальные источники, баня и массаж'],
    en: ['Paratunka spa day', 'Thermal springs, banya and a massage'],
    price: 7_800, season: [1, 12], times: ['10:00'], weekdays: [6, 7], capacity: 16 },
  { slug: 'malkinskie-springs', operator: 'paratunka-thermal', place: 'bystraya', category: 'hot_springs', difficulty: 'easy', minutes: 8 * H,
    ru: ['Малкинские горячие источники', 'Дикие источники на берегу Быстрой'],
    en: ['Malki hot springs', 'Wild springs on the bank of the Bystraya'],
    price: 6_900, season: [1, 12], times: ['09:00'], weekdays: [2, 6], capacity: 18 },
  { slug: 'nalychevo-hot-springs', operator: 'wild-trails-trekking', place: 'nalychevo', category: 'hot_springs', difficulty: 'moderate', minutes: 2 * DAY,
    ru: ['Горячие источники Налычево', 'Два дня у Таловских и Налычевских источников'],
    en: ['Nalychevo hot springs', 'Two days at the Talovsky and Nalychevo springs'],
    price: 32_000, season: [6, 10], times: ['08:00'], weekdays: [6], capacity: 12 },
  { slug: 'khodutka-springs-heli', operator: 'kamchatka-heli-tours', place: 'vilyuchinsky', category: 'hot_springs', difficulty: 'easy', minutes: 7 * H,
    ru: ['Ходуткинские источники', 'Вертолёт к горячей реке у вулкана Ходутка'],
    en: ['Khodutka hot springs', 'A helicopter to the hot river below Khodutka volcano'],
    price: 49_000, season: [6, 9], times: ['10:00'], weekdays: [4, 7], capacity: 20, maxBodyWeightKg: 130 },

  // Sea kayaking and boats
  { slug: 'avacha-bay-kayak', operator: 'pacific-sea-kayak', place: 'avachaBay', category: 'sea_kayaking', difficulty: 'moderate', minutes: 5 * H,
    ru: ['Каяки в Авачинской бухте', 'Вдоль скал к колонии морских птиц'],
    en: ['Sea kayaking in Avacha Bay', 'Along the cliffs to a seabird colony'],
    price: 8_500, season: [6, 9], times: ['09:00', '14:00'], capacity: 8, minAge: 12 },
  { slug: 'three-brothers-kayak', operator: 'pacific-sea-kayak', place: 'avachaBay', category: 'sea_kayaking', difficulty: 'challenging', minutes: 8 * H,
    ru: ['На каяках к Трём братьям', 'Выход к скалам Три брата у входа в бухту'],
    en: ['Kayaking to the Three Brothers', 'Out to the Three Brothers rocks at the mouth of the bay'],
    price: 13_500, season: [7, 9], times: ['08:00'], weekdays: [6, 7], capacity: 6, minAge: 16 },
  { slug: 'khalaktyrsky-surf-kayak', operator: 'pacific-sea-kayak', place: 'khalaktyrsky', category: 'sea_kayaking', difficulty: 'challenging', minutes: 4 * H,
    ru: ['Сёрф-каяк на Халактырском пляже', 'Катание на океанской волне у чёрного пляжа'],
    en: ['Surf kayaking on Khalaktyrsky beach', 'Riding Pacific waves off the black beach'],
    price: 7_000, season: [7, 9], times: ['11:00'], weekdays: [3, 6], capacity: 8, minAge: 14 },
  { slug: 'avacha-bay-boat-trip', operator: 'avacha-bay-boats', place: 'avachaBay', category: 'boat_trip', difficulty: 'easy', minutes: 6 * H,
    ru: ['Морская прогулка по Авачинской бухте', 'Три брата, остров Старичков, морские котики и рыбалка'],
    en: ['Avacha Bay boat trip', 'The Three Brothers, Starichkov island, fur seals and fishing'],
    zh: ['阿瓦恰湾游船', '三兄弟岩、斯塔里奇科夫岛与海狗'],
    price: 9_000, season: [5, 10], times: ['09:00'], capacity: 30, minAge: 3 },
  { slug: 'whale-watching', operator: 'avacha-bay-boats', place: 'avachaBay', category: 'boat_trip', difficulty: 'easy', minutes: 8 * H,
    ru: ['Наблюдение за китами', 'Выход в Тихий океан к косаткам и горбатым китам'],
    en: ['Whale watching', 'Out into the Pacific for orcas and humpback whales'],
    price: 14_500, season: [6, 9], times: ['08:00'], weekdays: [2, 4, 6, 7], capacity: 30, minAge: 5 },
  { slug: 'russkaya-bay-cruise', operator: 'avacha-bay-boats', place: 'avachaBay', category: 'boat_trip', difficulty: 'easy', minutes: 10 * H,
    ru: ['Бухта Русская', 'Морской переход в бухту Русская и обед на берегу'],
    en: ['Russkaya Bay cruise', 'A sea passage to Russkaya Bay and lunch ashore'],
    price: 16_000, season: [7, 9], times: ['07:00'], weekdays: [6], capacity: 24, minAge: 6 },

  // Jeep
  { slug: 'khalaktyrsky-black-beach', operator: 'kamchatka-4x4', place: 'khalaktyrsky', category: 'jeep', difficulty: 'easy', minutes: 4 * H,
    ru: ['Халактырский пляж: чёрный песок', 'Джип-тур к Тихому океану и пикник'],
    en: ['Khalaktyrsky black sand beach', 'A jeep ride to the Pacific and a picnic'],
    zh: ['哈拉克特尔黑沙滩', '乘越野车前往太平洋并野餐'],
    price: 4_500, season: [5, 10], times: ['10:00', '15:00'], capacity: 12 },
  { slug: 'avachinsky-pass-jeep', operator: 'kamchatka-4x4', place: 'avachinsky', category: 'jeep', difficulty: 'easy', minutes: 7 * H,
    ru: ['На джипе к Авачинскому перевалу', 'Русло сухой реки, перевал и гора Верблюд'],
    en: ['By jeep to the Avachinsky pass', 'A dry riverbed, the pass and Camel Mountain'],
    price: 8_000, season: [6, 9], times: ['09:00'], capacity: 12, minAge: 5 },
  { slug: 'vilyuchinsky-waterfalls-jeep', operator: 'kamchatka-4x4', place: 'vilyuchinsky', category: 'jeep', difficulty: 'easy', minutes: 8 * H,
    ru: ['Вилючинские водопады на джипе', 'Водопады, снежники и вид на вулкан'],
    en: ['Vilyuchinsky waterfalls by jeep', 'Waterfalls, snowfields and the volcano view'],
    price: 8_500, season: [6, 9], times: ['09:00'], weekdays: [2, 4, 6], capacity: 12, minAge: 5 },
  { slug: 'gorely-jeep', operator: 'kamchatka-4x4', place: 'gorely', category: 'jeep', difficulty: 'moderate', minutes: 10 * H,
    ru: ['Джип-тур к вулкану Горелый', 'Лавовые пещеры и кратеры Горелого'],
    en: ['Gorely volcano jeep tour', 'Lava caves and the craters of Gorely'],
    price: 12_000, season: [7, 9], times: ['07:30'], weekdays: [1, 3, 6], capacity: 12, minAge: 8 },

  // Snowmobile
  { slug: 'avachinsky-snowmobile', operator: 'snow-riders-kamchatka', place: 'avachinsky', category: 'snowmobile', difficulty: 'moderate', minutes: 6 * H,
    ru: ['Снегоходы к Авачинскому вулкану', 'Зимний маршрут к подножию Авачи и Коряка'],
    en: ['Snowmobiles to Avachinsky', 'A winter ride to the foot of Avachinsky and Koryaksky'],
    zh: ['雪地摩托游阿瓦恰火山', '冬季骑行至阿瓦恰与科里亚克火山脚下'],
    price: 19_000, season: [12, 4], times: ['10:00'], capacity: 6, minAge: 16 },
  { slug: 'vilyuchinsky-snowmobile', operator: 'snow-riders-kamchatka', place: 'vilyuchinsky', category: 'snowmobile', difficulty: 'moderate', minutes: 7 * H,
    ru: ['Снегоходы к Вилючинскому вулкану', 'Перевал, снежные поля и горячий чай'],
    en: ['Snowmobiles to Vilyuchinsky', 'The pass, snowfields and hot tea'],
    price: 21_000, season: [12, 4], times: ['10:00'], weekdays: [2, 4, 6, 7], capacity: 6, minAge: 16 },
  { slug: 'nalychevo-snowmobile', operator: 'snow-riders-kamchatka', place: 'nalychevo', category: 'snowmobile', difficulty: 'challenging', minutes: 2 * DAY,
    ru: ['Снегоходами в Налычево', 'Два дня: перевал, ночёвка и зимние горячие источники'],
    en: ['Snowmobiles to Nalychevo', 'Two days: the pass, a night and winter hot springs'],
    price: 58_000, season: [1, 4], times: ['09:00'], weekdays: [6], capacity: 6, minAge: 18 },
  { slug: 'khalaktyrsky-winter-snowmobile', operator: 'snow-riders-kamchatka', place: 'khalaktyrsky', category: 'snowmobile', difficulty: 'easy', minutes: 4 * H,
    ru: ['Снегоходы к зимнему океану', 'Заснеженный Халактырский пляж и прибой'],
    en: ['Snowmobiles to the winter ocean', 'Snowy Khalaktyrsky beach and the surf'],
    price: 14_000, season: [12, 3], times: ['11:00'], weekdays: [3, 6, 7], capacity: 6, minAge: 14 },

  // Heli-ski
  { slug: 'vachkazhets-heliski', operator: 'heliski-kamchatka', place: 'vachkazhets', category: 'heli_ski', difficulty: 'extreme', minutes: 8 * H,
    ru: ['Хели-ски на Вачкажце', 'День фрирайда с вертолёта по склонам древнего вулкана'],
    en: ['Heli-skiing on Vachkazhets', 'A day of helicopter freeride on an ancient volcano'],
    price: 1_450, currency: 'USD', season: [2, 5], times: ['08:00'], capacity: 4, minAge: 18, maxBodyWeightKg: 120 },
  { slug: 'vilyuchinsky-heliski', operator: 'heliski-kamchatka', place: 'vilyuchinsky', category: 'heli_ski', difficulty: 'extreme', minutes: 8 * H,
    ru: ['Хели-ски на Вилючинском', 'Спуски с вулкана к океану'],
    en: ['Heli-skiing on Vilyuchinsky', 'Runs from a volcano down towards the ocean'],
    price: 1_600, currency: 'USD', season: [3, 5], times: ['08:00'], weekdays: [1, 3, 5], capacity: 4, minAge: 18, maxBodyWeightKg: 120 },
  { slug: 'heliski-week', operator: 'heliski-kamchatka', place: 'vachkazhets', category: 'heli_ski', difficulty: 'extreme', minutes: 7 * DAY,
    ru: ['Неделя хели-ски на Камчатке', 'Семь дней катания с вертолёта, база в Паратунке'],
    en: ['Kamchatka heli-ski week', 'Seven days of heli-skiing based in Paratunka'],
    price: 9_800, currency: 'USD', season: [3, 4], times: ['08:00'], weekdays: [6], capacity: 4, minAge: 18, maxBodyWeightKg: 120 },
  { slug: 'avachinsky-ski-touring', operator: 'heliski-kamchatka', place: 'avachinsky', category: 'heli_ski', difficulty: 'challenging', minutes: 9 * H,
    ru: ['Ски-тур на Авачинский вулкан', 'Подъём на снегоходе и спуск на лыжах с Авачи'],
    en: ['Avachinsky ski touring', 'Up by snowmobile, down on skis from Avachinsky'],
    price: 28_000, season: [3, 5], times: ['07:00'], weekdays: [6, 7], capacity: 6, minAge: 16 },

  // Dog sledding
  { slug: 'beringia-dog-sledding', operator: 'esso-even-culture', place: 'elizovo', category: 'dog_sledding', difficulty: 'easy', minutes: 3 * H,
    ru: ['Собачьи упряжки в Елизово', 'Катание на упряжке и знакомство с каюрами «Берингии»'],
    en: ['Dog sledding in Elizovo', 'A sled ride and the mushers of the Beringia race'],
    zh: ['埃利佐沃狗拉雪橇', '乘坐雪橇并认识白令吉亚赛事的驯狗师'],
    price: 7_500, season: [12, 3], times: ['11:00', '14:00'], capacity: 6, minAge: 4 },
  { slug: 'esso-dog-sled-expedition', operator: 'esso-even-culture', place: 'esso', category: 'dog_sledding', difficulty: 'challenging', minutes: 3 * DAY,
    ru: ['Экспедиция на собачьих упряжках', 'Три дня по тундре вокруг Эссо с ночёвками в юртах'],
    en: ['Dog sled expedition', 'Three days across the tundra around Esso, nights in yurts'],
    price: 96_000, season: [1, 3], times: ['09:00'], weekdays: [1], capacity: 6, minAge: 16 },
  { slug: 'paratunka-husky-ride', operator: 'snow-riders-kamchatka', place: 'paratunka', category: 'dog_sledding', difficulty: 'easy', minutes: 2 * H,
    ru: ['Хаски в Паратунке', 'Короткая прогулка на упряжке и горячие источники'],
    en: ['Husky ride in Paratunka', 'A short sled ride and the hot springs'],
    price: 5_500, season: [12, 3], times: ['12:00'], weekdays: [5, 6, 7], capacity: 6, minAge: 4 },

  // Ethno
  { slug: 'esso-even-village', operator: 'esso-even-culture', place: 'esso', category: 'ethno', difficulty: 'easy', minutes: 5 * H,
    ru: ['Эвенское стойбище в Эссо', 'Культура эвенов: кухня, ремёсла, обряды и оленеводство'],
    en: ['An Even camp in Esso', 'Even culture: food, crafts, rituals and reindeer herding'],
    zh: ['埃索埃文人营地', '埃文人文化：美食、手工艺与驯鹿'],
    price: 6_500, season: [1, 12], times: ['11:00'], weekdays: [2, 4, 6], capacity: 20 },
  { slug: 'koryak-ethno-show', operator: 'avacha-expeditions', place: 'elizovo', category: 'ethno', difficulty: 'easy', minutes: 3 * H,
    ru: ['Корякское стойбище', 'Танцы, угощение и обряды коренных народов Камчатки'],
    en: ['A Koryak camp', 'Dances, food and rituals of Kamchatka’s indigenous peoples'],
    price: 4_800, season: [1, 12], times: ['13:00'], weekdays: [3, 6, 7], capacity: 30 },
  { slug: 'alhalalalai-festival-tour', operator: 'esso-even-culture', place: 'esso', category: 'ethno', difficulty: 'easy', minutes: 2 * DAY,
    ru: ['Праздник Алхалалалай', 'Осенний праздник ительменов в Эссо и Ковране'],
    en: ['The Alhalalalai festival', 'The Itelmen autumn festival in Esso and Kovran'],
    price: 26_000, season: [9, 9], times: ['09:00'], weekdays: [5], capacity: 20 },
  { slug: 'petropavlovsk-history-walk', operator: 'avacha-expeditions', place: 'avachaBay', category: 'ethno', difficulty: 'easy', minutes: 3 * H,
    ru: ['Петропавловск: история и культура', 'Прогулка от Никольской сопки до краеведческого музея'],
    en: ['Petropavlovsk history walk', 'From Nikolskaya hill to the regional museum'],
    price: 2_500, season: [1, 12], times: ['10:00'], weekdays: [1, 3, 5, 6], capacity: 20 },
]
