/**
 * Synthetic catalogues for benchmarks: N tours and M departures per tour, generated inside the database with
 * generate_series (a 100k-tour, 1M-departure catalogue is a few statements, not a million round trips).
 *
 * The shape follows a real marketplace's long tail: a fifth of the tours are at the famous places (seed-data.ts,
 * within ~20 km), the rest at 2,000 lesser localities spread over the peninsula ("Кедровый ключ", "Горячий
 * перевал", … — names repeat, as toponyms do). Titles are "activity: place, flavour" in Russian and English; the
 * search text is the same TypeScript normalisation the application uses, applied per title part. Departures are
 * spread over the coming year; a few are cancelled or sold out. Everything is deterministic except the ids.
 */
import { sql } from 'drizzle-orm'
import type { Database } from '../../core/db/index.ts'
import { queryRows } from '../../core/db/index.ts'
import { PLACES } from './seed-data.ts'
import type { Category } from './schema.ts'
import { normaliseSearchText } from './text.ts'

export interface GenerateOptions {
  tours: number
  departuresPerTour: number
  /** Operators the tours are spread over. */
  operators?: number
  now?: Date
  /** Distinguishes several generated catalogues in one database (slugs and emails). */
  label?: string
}

export interface GeneratedCatalogue {
  operators: number
  tours: number
  departures: number
}

const ACTIVITIES: Array<{ category: Category; ru: string; en: string }> = [
  { category: 'volcano', ru: 'Восхождение на вулкан', en: 'volcano ascent' },
  { category: 'bears', ru: 'Наблюдение за медведями', en: 'bear watching' },
  { category: 'helicopter', ru: 'Вертолётная экскурсия', en: 'helicopter tour' },
  { category: 'fishing', ru: 'Рыбалка', en: 'fishing trip' },
  { category: 'rafting', ru: 'Сплав по реке', en: 'river rafting' },
  { category: 'hot_springs', ru: 'Горячие источники', en: 'hot springs' },
  { category: 'sea_kayaking', ru: 'Морские каяки', en: 'sea kayaking' },
  { category: 'boat_trip', ru: 'Морская прогулка', en: 'boat trip' },
  { category: 'snowmobile', ru: 'Снегоходный тур', en: 'snowmobile safari' },
  { category: 'heli_ski', ru: 'Хели-ски', en: 'heli-skiing' },
  { category: 'dog_sledding', ru: 'Собачьи упряжки', en: 'dog sledding' },
  { category: 'ethno', ru: 'Этнографический тур', en: 'culture tour' },
  { category: 'multi_day_trek', ru: 'Многодневный поход', en: 'multi-day trek' },
  { category: 'jeep', ru: 'Джип-тур', en: 'jeep tour' },
]

const FLAVOURS: Array<[ru: string, en: string]> = [
  ['', ''],
  ['для всей семьи', 'for families'],
  ['фототур', 'photo tour'],
  ['на рассвете', 'at sunrise'],
  ['в малой группе', 'small group'],
]

interface Place {
  ru: string
  en: string
  lat: number
  lng: number
  meetRu: string
  meetEn: string
  aboutRu: string
  aboutEn: string
  norm: string
}

const ROOTS = ['Кедровый', 'Каменный', 'Горячий', 'Белый', 'Чёрный', 'Лососевый', 'Ольховый', 'Бурный', 'Синий', 'Дальний',
  'Тихий', 'Широкий', 'Лесной', 'Скалистый', 'Светлый', 'Ледяной', 'Песчаный', 'Берёзовый', 'Крутой', 'Туманный']
const KINDS = ['ключ', 'перевал', 'хребет', 'мыс', 'ручей', 'распадок', 'водопад', 'кордон']

/** The famous places, then 2,000 localities spread over the peninsula (a deterministic pseudo-random walk). */
export function generatorPlaces(localities = 2000): Place[] {
  const famous = Object.values(PLACES).map((p) => ({
    ru: p.ru, en: p.en, lat: p.lat, lng: p.lng, meetRu: p.meetingRu, meetEn: p.meetingEn, aboutRu: p.aboutRu, aboutEn: p.aboutEn,
    norm: normaliseSearchText(`${p.ru} ${p.en} ${p.meetingRu} ${p.meetingEn}`),
  }))
  let seed = 20_260_601
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648)
  const out: Place[] = [...famous]
  for (let i = 0; i < localities; i++) {
    const ru = `${ROOTS[Math.floor(random() * ROOTS.length)]} ${KINDS[Math.floor(random() * KINDS.length)]}`
    const en = capitalise(normaliseSearchText(ru))
    // Kamchatka's land, roughly: 51–60° N, the coast widening eastwards up to 56° N.
    const lat = 51 + random() * 9
    const west = 156.5 - (lat - 51) * 0.15
    const east = 158.8 + Math.min(lat - 51, 5) * 0.85
    const lng = west + random() * (east - west)
    out.push({
      ru, en, lat, lng, meetRu: `Стоянка «${ru}»`, meetEn: `${en} camp`,
      aboutRu: `${ru} — малоизвестное место дикой Камчатки.`, aboutEn: `${en}, a little-known corner of wild Kamchatka.`,
      norm: normaliseSearchText(`${ru} ${en} стоянка camp`),
    })
  }
  return out
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

export async function generateCatalogue(
  db: Database,
  { tours, departuresPerTour, operators = Math.max(1, Math.ceil(tours / 100)), now = new Date(), label = 'gen' }: GenerateOptions,
): Promise<GeneratedCatalogue> {
  if (!/^[a-z0-9]{1,20}$/.test(label)) throw new Error('label: lower-case letters and digits')
  const places = generatorPlaces()
  const famous = Object.keys(PLACES).length
  const activities = ACTIVITIES.map((a) => ({ ...a, norm: normaliseSearchText(`${a.ru} ${a.en}`) }))
  const flavours = FLAVOURS.map(([ru, en]) => ({ ru, en, norm: normaliseSearchText(`${ru} ${en}`) }))
  const emailSuffix = `-${label}@generated.kamhub.dev`
  const slugPrefix = `${label}-op-`
  await db.orm.execute(sql`
    insert into users (email, password_hash, role, display_name)
    select 'op-' || g || ${emailSuffix}, 'generated$no-login', 'operator', 'Generated operator ' || g
    from generate_series(1, ${operators}::int) g
    on conflict do nothing`)
  await db.orm.execute(sql`
    insert into operators (id, user_id, name, slug)
    select gen_random_uuid(), u.id, u.display_name, ${slugPrefix} || substring(u.email from '^op-([0-9]+)-')
    from users u where u.email like ${'op-%' + emailSuffix}
    on conflict do nothing`)
  // g picks a place (every fifth tour a famous one), an activity and a flavour with unrelated multiplicative
  // hashes, and jitters the meeting point: ±0.15° × ±0.25° (≈ ±17 km) at famous places, ±0.05° elsewhere.
  const json = (v: unknown) => sql`${JSON.stringify(v)}::jsonb`
  await db.orm.execute(sql`
    with places as (select (ordinality - 1)::int as i, value as v from jsonb_array_elements(${json(places)}) with ordinality),
    acts as (select (ordinality - 1)::int as i, value as v from jsonb_array_elements(${json(activities)}) with ordinality),
    flavours as (select (ordinality - 1)::int as i, value as v from jsonb_array_elements(${json(flavours)}) with ordinality),
    ops as (select array_agg(id order by slug) as ids from operators where slug like ${slugPrefix + '%'}),
    src as (
      select g,
        case when g % 5 = 0 then ((g::bigint / 5) % ${famous})::int else ${famous} + ((g::bigint * 7919) % ${places.length - famous})::int end as pi,
        ((g::bigint * 31) % ${activities.length})::int as ai, ((g::bigint * 17 + g / 7) % ${flavours.length})::int as fi,
        ((g::bigint * 104729) % 1000)::float8 / 1000 - 0.5 as jlat, ((g::bigint * 15485863) % 1000)::float8 / 1000 - 0.5 as jlng,
        (30 + (g::bigint * 7907) % 1470) * 10000 as rub
      from generate_series(1, ${tours}::int) g
    )
    insert into tours (id, operator_id, status, category, difficulty, duration_minutes, languages, content, meeting_lat, meeting_lng,
      photos, currency, prices, price_from, min_participants, timezone, search_text, published_at)
    select gen_random_uuid(), ops.ids[1 + (src.g % cardinality(ops.ids))],
      case when src.g % 50 = 1 then 'draft' when src.g % 50 = 2 then 'archived' else 'published' end,
      a.v ->> 'category', (array['easy', 'moderate', 'challenging', 'extreme'])[1 + src.g % 4], 60 * (2 + src.g % 12),
      case when src.g % 7 = 0 then array['ru', 'en', 'zh'] else array['ru', 'en'] end,
      jsonb_build_object(
        'ru', jsonb_build_object('title', (a.v ->> 'ru') || ': ' || (p.v ->> 'ru') || coalesce(', ' || nullif(f.v ->> 'ru', ''), ''),
          'summary', p.v ->> 'aboutRu', 'description', '', 'meetingPoint', p.v ->> 'meetRu'),
        'en', jsonb_build_object('title', (p.v ->> 'en') || ' ' || (a.v ->> 'en') || coalesce(', ' || nullif(f.v ->> 'en', ''), ''),
          'summary', p.v ->> 'aboutEn', 'meetingPoint', p.v ->> 'meetEn')),
      (p.v ->> 'lat')::float8 + src.jlat * (case when src.pi < ${famous} then 0.3 else 0.1 end),
      (p.v ->> 'lng')::float8 + src.jlng * (case when src.pi < ${famous} then 0.5 else 0.1 end),
      jsonb_build_array('https://images.kamhub.dev/generated/' || src.pi || '-' || src.ai || '.jpg'),
      case when src.g % 20 = 0 then 'USD' else 'RUB' end,
      case when src.g % 20 = 0 then jsonb_build_object('adult', src.rub / 80, 'child', src.rub / 80 * 7 / 10)
           else jsonb_build_object('adult', src.rub, 'child', src.rub * 7 / 10) end,
      case when src.g % 20 = 0 then src.rub / 80 else src.rub end,
      1 + src.g % 3, 'Asia/Kamchatka',
      btrim(concat_ws(' ', a.v ->> 'norm', p.v ->> 'norm', nullif(f.v ->> 'norm', ''))),
      ${now.toISOString()}::timestamptz
    from src join places p on p.i = src.pi join acts a on a.i = src.ai join flavours f on f.i = src.fi cross join ops`)
  // Departures: the k-th of each tour falls in the k-th slice of the year, on a day picked by the tour id, at
  // 08:00 Kamchatka (20:00 UTC the day before); capacity 4–20, some sold out, one in fifty cancelled.
  const spacing = Math.max(1, Math.floor(365 / Math.max(1, departuresPerTour)))
  await db.orm.execute(sql`
    insert into departures (id, tour_id, starts_at, capacity, seats_left, status)
    select gen_random_uuid(), t.id,
      date_trunc('day', ${now.toISOString()}::timestamptz) + interval '1 day' + interval '20 hours'
        + ((k * ${spacing}::int + t.h % ${spacing}::int) * interval '1 day'),
      t.cap, greatest(0, t.cap - abs(hashtext(t.id::text || k::text)) % (t.cap + 3)),
      case when abs(hashtext(t.id::text || 'c' || k::text)) % 50 = 0 then 'cancelled' else 'scheduled' end
    from (
      select tr.id, abs(hashtext(tr.id::text)) as h, 4 + abs(hashtext(tr.id::text)) % 17 as cap
      from tours tr join operators o on o.id = tr.operator_id where o.slug like ${slugPrefix + '%'}
    ) t cross join generate_series(0, ${departuresPerTour - 1}::int) k`)
  const [counts] = await queryRows<{ operators: number; tours: number; departures: number }>(
    db.orm,
    sql`select (select count(*) from operators o where o.slug like ${slugPrefix + '%'})::int as operators,
          (select count(*) from tours t join operators o on o.id = t.operator_id where o.slug like ${slugPrefix + '%'})::int as tours,
          (select count(*) from departures d join tours t on t.id = d.tour_id join operators o on o.id = t.operator_id where o.slug like ${slugPrefix + '%'})::int as departures`,
  )
  // Fresh statistics and a visibility map: the planner sees the real sizes, index-only scans stay index-only.
  for (const table of ['tours', 'departures', 'operators', 'search_lexicon']) await db.orm.execute(sql.raw(`vacuum analyze ${table}`))
  return { operators: Number(counts!.operators), tours: Number(counts!.tours), departures: Number(counts!.departures) }
}
