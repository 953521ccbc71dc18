/**
 * The search query over tours and departures, built from SQL fragments (values are always parameters).
 *
 * Text matches when either
 *   - full-text search with stemming finds it: `websearch_to_tsquery` in the 'russian' config (which also stems
 *     latin words, with the English stemmer) OR the 'english' config, against the weighted `search_vector`; or
 *   - every query word (normalised and transliterated like the index, see text.ts) is similar to one of the tour's
 *     words: pg_trgm expands the word over `search_lexicon` (the distinct words of all tours, a small table), and the
 *     tour's `search_words` must overlap the expansion. Both sides are GIN lookups, combined by a BitmapOr.
 * Relevance is ts_rank on the weighted vector (titles A > summaries B > descriptions C) plus a bonus per query word
 * the tour has exactly (0.5) or only similarly (0.25). Not ts_rank_cd: its cover-density pass cost twice as much per
 * candidate, a broad query ranks thousands of candidates, and for the one- to three-word queries people type here
 * the proximity it rewards changed no test's order (bench:search: "avacha" p95 down by about a fifth).
 *
 * Execution shape, chosen for broad queries ("avacha" near the city matches thousands of tours): candidates are
 * filtered and scored from the tours row alone and sorted; availability ("a departure in the window with N seats")
 * is then checked in sort order only until the page is full, by index-only probes, and the departure shown is
 * fetched for the page's rows only. The soonest-departure sort needs each candidate's next departure to sort, so it
 * probes every candidate (still index-only). Pagination is keyset on (sort_key, id), every sort expressed as an
 * ascending float8.
 */
import { sql, type SQL } from 'drizzle-orm'
import { queryRows, type Executor } from '../../core/db/index.ts'
import { pgTextArray } from '../../events/subscription.ts'
import { geoSql, type GeoEngine } from './geo.ts'
import type { SearchParams, Sort } from './search-query.ts'
import { normaliseSearchText } from './text.ts'

export interface SearchRow {
  id: string
  sort_key: number | string
  rank: number | null
  distance_m: number | null
  next_id: string | null
  next_starts_at: Date | string | null
  next_seats_left: number | null
  operator_id: string
  operator_name: string
  operator_slug: string
  category: string
  difficulty: string
  duration_minutes: number
  languages: string[] | string
  content: unknown
  meeting_lat: number
  meeting_lng: number
  photo: string | null
  currency: string
  price_from: number | string
  rating: number | string | null
  review_count: number
  timezone: string
}

export interface Keyset {
  key: string
  id: string
}

/** Query words shorter than this are left to full-text search (stop words, prepositions). */
const MIN_FUZZY_WORD = 3
/** Fuzzy matching looks at the first few words: a long query is a sentence, and FTS handles it. */
const MAX_FUZZY_WORDS = 6

type Omitted = 'category' | 'price'

/** One page of matching tours (limit + 1 rows ask "is there more?"), in sort order. */
export async function searchTourRows(ex: Executor, engine: GeoEngine, p: SearchParams, after?: Keyset, limit = p.limit + 1): Promise<SearchRow[]> {
  return withSearchSettings(ex, (tx) => queryRows<SearchRow>(tx, searchToursSql(engine, p, after, limit)))
}

/**
 * Runs search statements with two planner settings, transaction-local (measured on 100k tours / 1M departures):
 * - custom plans: the PostgreSQL adapter prepares every statement, and after five executions PostgreSQL may switch
 *   to a generic plan that cannot see how selective this query's words, place and dates are — it walked the geo
 *   index and recomputed the tsquery per row, 3–5× slower;
 * - no parallel workers: PostGIS declares its geography functions at cost 10000, so a few thousand candidates look
 *   expensive enough to parallelise; worker start-up and the serial projection above Gather made it 3× slower.
 */
export async function withSearchSettings<T>(ex: Executor, run: (tx: Executor) => Promise<T>): Promise<T> {
  return ex.transaction(async (tx) => {
    await tx.execute(sql`select set_config('plan_cache_mode', 'force_custom_plan', true), set_config('max_parallel_workers_per_gather', '0', true)`)
    return run(tx)
  })
}

/** The search statement itself (benchmarks EXPLAIN it). */
export function searchToursSql(engine: GeoEngine, p: SearchParams, after?: Keyset, limit = p.limit + 1): SQL {
  const parts = queryParts(engine, p)
  const next = nextDeparture(p)
  const key = sortKey(p.sort, parts, next)
  // Exact conditions (PostGIS' st_dwithin) filter the rows the scan found, behind OFFSET 0 so their declared cost
  // does not steer the scan's choice of indexes (see GeoSql.exact); the key is computed after them.
  const source = parts.exact.length ? sql`(select t.* from tours t where ${sql.join(parts.where, sql` and `)} offset 0) t` : sql`tours t`
  const where = parts.exact.length ? [...parts.exact] : [...parts.where]
  if (after) where.push(sql`(${key} > ${after.key}::float8 or (${key} = ${after.key}::float8 and t.id > ${after.id}::uuid))`)
  if (p.sort === 'soonest' && p.requireAvailability) where.push(sql`${next.startsAt} is not null`)
  // Candidates carry only their sort key: PostgreSQL evaluates every select-list expression per row without sharing
  // common subexpressions, so a rank column beside a rank-based key scored each of ~2k candidates twice, and the
  // distance column cost a great-circle computation per candidate. Rank and distance are shown for the page only.
  const candidates = sql`select t.id, ${key} as sort_key from ${source} where ${sql.join(where, sql` and `)}`
  // Availability after sorting, so it is probed for as few candidates as the page needs; MATERIALIZED keeps
  // PostgreSQL from pushing the probe below the sort. Soonest has already probed while computing its key.
  // A materialized CTE is read back in the order it was written (its sort), so the LIMIT stops the probes as soon as
  // the page is full; re-sorting here would probe every candidate first.
  const page =
    p.requireAvailability && p.sort !== 'soonest'
      ? sql`candidates as materialized (${candidates} order by sort_key, t.id),
          page as (select c.* from candidates c where exists (select 1 from departures d where d.tour_id = c.id and ${openDeparture(p)}) limit ${limit})`
      : sql`page as (${candidates} order by sort_key, t.id limit ${limit})`
  return sql`with ${parts.ctes ? sql`${parts.ctes}, ` : sql``}${page}
    select page.*, ${parts.rank ?? sql`null::float8`} as rank, ${parts.distanceM ?? sql`null::float8`} as distance_m, nd.id as next_id, nd.starts_at as next_starts_at, nd.seats_left as next_seats_left,
      t.operator_id, o.name as operator_name, o.slug as operator_slug, t.category, t.difficulty, t.duration_minutes,
      t.languages, t.content, t.meeting_lat, t.meeting_lng, t.photos ->> 0 as photo, t.currency, t.price_from, t.rating,
      t.review_count, t.timezone
    from page join tours t on t.id = page.id join operators o on o.id = t.operator_id
    left join lateral (select d.id, d.starts_at, d.seats_left from departures d where d.tour_id = page.id and ${openDeparture(p)}
                       order by d.starts_at limit 1) nd on true
    order by page.sort_key, page.id`
}

export interface CategoryCount {
  category: string
  count: number
}

export interface PriceBucketRow {
  currency: string
  /** Lower bound in minor units on a 1-2-5 ladder (100, 200, 500, 1000, …); 0 for free tours. */
  lower: number
  count: number
}

/**
 * Facet counts for filter UIs, each computed without its own filter (the "disjunctive" convention: picking
 * "volcano" must not make the other categories read zero). Prices bucket per currency on a 1-2-5 ladder.
 */
export async function searchFacets(ex: Executor, engine: GeoEngine, p: SearchParams): Promise<{ categories: CategoryCount[]; prices: PriceBucketRow[] }> {
  const withAvailability = (where: SQL[]) =>
    p.requireAvailability ? [...where, sql`exists (select 1 from departures d where d.tour_id = t.id and ${openDeparture(p)})`] : where
  const categoryParts = queryParts(engine, p, { omit: 'category' })
  const priceParts = queryParts(engine, p, { omit: 'price' })
  const byCategory = withAvailability([...categoryParts.where, ...categoryParts.exact])
  const byPrice = withAvailability([...priceParts.where, ...priceParts.exact])
  const ctes = (parts: QueryParts) => (parts.ctes ? sql`with ${parts.ctes} ` : sql``)
  const [categories, prices] = await withSearchSettings(ex, async (tx) => [
    await queryRows<{ category: string; n: number | string }>(
      tx,
      sql`${ctes(categoryParts)}select t.category, count(*) as n from tours t where ${sql.join(byCategory, sql` and `)} group by t.category order by n desc, t.category`,
    ),
    await queryRows<{ currency: string; lower: number | string; n: number | string }>(
      tx,
      sql`${ctes(priceParts)}select currency, lower, count(*) as n from (
            select t.currency, case when t.price_from < 1 then 0 else
              (case when t.price_from / power(10::numeric, floor(log(t.price_from::numeric))) >= 5 then 5
                    when t.price_from / power(10::numeric, floor(log(t.price_from::numeric))) >= 2 then 2 else 1 end
               * power(10::numeric, floor(log(t.price_from::numeric))))::bigint end as lower
            from tours t where ${sql.join(byPrice, sql` and `)}
          ) b group by currency, lower order by currency, lower`,
    ),
  ] as const)
  return {
    categories: categories.map((r) => ({ category: r.category, count: Number(r.n) })),
    prices: prices.map((r) => ({ currency: r.currency, lower: Number(r.lower), count: Number(r.n) })),
  }
}

interface QueryParts {
  /** Common table expressions the conditions refer to (the fuzzy word expansions), or undefined. */
  ctes?: SQL
  where: SQL[]
  /** Conditions to apply after the scan (GeoSql.exact). */
  exact: SQL[]
  rank?: SQL
  distanceM?: SQL
}

/** The filters and scores that need only the tours row (alias `t`). */
function queryParts(engine: GeoEngine, p: SearchParams, { omit }: { omit?: Omitted } = {}): QueryParts {
  // The literal 'published' (not a parameter) lets the planner use the partial search indexes.
  const where: SQL[] = [sql`t.status = 'published'`]
  let rank: SQL | undefined
  let ctes: SQL | undefined
  if (p.text) {
    const text = textMatch(p.text)
    where.push(text.where)
    rank = text.rank
    ctes = text.cte
  }
  if (p.categories && omit !== 'category') where.push(sql`t.category = any(${pgTextArray(p.categories)}::text[])`)
  if (p.difficulties) where.push(sql`t.difficulty = any(${pgTextArray(p.difficulties)}::text[])`)
  if (p.language) where.push(sql`t.languages @> array[${p.language}::text]`)
  if (p.operatorId) where.push(sql`t.operator_id = ${p.operatorId}::uuid`)
  if (p.currency) where.push(sql`t.currency = ${p.currency}`)
  if (omit !== 'price') {
    if (p.priceMin !== undefined) where.push(sql`t.price_from >= ${p.priceMin}::bigint`)
    if (p.priceMax !== undefined) where.push(sql`t.price_from <= ${p.priceMax}::bigint`)
  }
  if (p.durationMin !== undefined) where.push(sql`t.duration_minutes >= ${p.durationMin}::int`)
  if (p.durationMax !== undefined) where.push(sql`t.duration_minutes <= ${p.durationMax}::int`)
  const geo = geoSql(engine, { near: p.near, bbox: p.bbox }, { alongsideText: Boolean(p.text) })
  where.push(...geo.where)
  return { ctes, where, exact: geo.exact, rank, distanceM: geo.distanceM }
}

function textMatch(text: string): { cte?: SQL; where: SQL; rank: SQL } {
  const tsquery = sql`(websearch_to_tsquery('russian', ${text}) || websearch_to_tsquery('english', ${text}))`
  const words = [...new Set(normaliseSearchText(text).split(' ').filter((w) => w.length >= MIN_FUZZY_WORD))].slice(0, MAX_FUZZY_WORDS)
  if (!words.length) return { where: sql`t.search_vector @@ ${tsquery}`, rank: sql`ts_rank(t.search_vector, ${tsquery})::float8` }
  // The expansions are computed once, in the `fuzzy` CTE; each reference is an uncorrelated subquery (an InitPlan),
  // so the tours side is a GIN probe per word.
  const expansions = words.map((w, i) => sql`array(select l.word from search_lexicon l where ${w} <% l.word) as ${sql.raw(`w${i}`)}`)
  const expansion = (i: number) => sql`(select ${sql.raw(`w${i}`)} from fuzzy)`
  const fuzzy = words.map((_w, i) => sql`t.search_words && ${expansion(i)}`)
  const bonus = words.map((w, i) => sql`(case when t.search_words @> array[${w}::text] then 0.5 when t.search_words && ${expansion(i)} then 0.25 else 0 end)`)
  return {
    cte: sql`fuzzy as materialized (select ${sql.join(expansions, sql`, `)})`,
    where: sql`(t.search_vector @@ ${tsquery} or (${sql.join(fuzzy, sql` and `)}))`,
    rank: sql`(ts_rank(t.search_vector, ${tsquery})::float8 + ${sql.join(bonus, sql` + `)})`,
  }
}

/** An open departure of tour `d.tour_id` in the window with enough seats (served by departures_open_tour_idx). */
function openDeparture(p: SearchParams): SQL {
  return sql`d.status = 'scheduled' and d.starts_at >= ${p.from.toISOString()}::timestamptz
    and d.starts_at < ${p.to.toISOString()}::timestamptz and d.seats_left >= ${p.party}::int`
}

function nextDeparture(p: SearchParams): { startsAt: SQL } {
  return { startsAt: sql`(select min(d.starts_at) from departures d where d.tour_id = t.id and ${openDeparture(p)})` }
}

/** Every sort as one ascending float8 (descending sorts negated), so one keyset condition serves them all. */
function sortKey(sort: Sort, parts: QueryParts, next: { startsAt: SQL }): SQL {
  switch (sort) {
    case 'relevance':
      return parts.rank ? sql`(-${parts.rank})` : sql`0::float8`
    case 'price_asc':
      return sql`t.price_from::float8`
    case 'price_desc':
      return sql`(-t.price_from::float8)`
    case 'distance':
      return parts.distanceM ? sql`${parts.distanceM}` : sql`0::float8`
    case 'soonest':
      return sql`coalesce(extract(epoch from ${next.startsAt})::float8, 'Infinity'::float8)`
    case 'rating':
      return sql`(-coalesce(t.rating, 0)::float8)`
  }
}
