/**
 * `npm run bench:booking`: seat holds on real PostgreSQL, through the service functions (what POST /v1/bookings
 * runs after validation and auth).
 *
 *   1. throughput: 16 concurrent clients hold 1 seat each on random departures among 1,000 (capacity 50, so
 *      almost every hold succeeds): holds/s, p50/p99 latency;
 *   2. a hot departure: 500 attempts at once for 20 seats: time until every attempt has its answer, p99, how many
 *      were held and refused, and oversold seats (held seats beyond capacity, or seats_left disagreeing with the
 *      held bookings) — which must be 0.
 * A fresh database (kamhub_bench_booking_<pid>_<rand>) is created from the migrations and dropped at the end.
 * Figures are printed; only overselling fails the command.
 *
 * Env: BENCH_QUICK=1 (fewer holds), BENCH_HOLDS (4000), BENCH_CLIENTS (16), BENCH_HOT_ATTEMPTS (500),
 * BENCH_HOT_SEATS (20), BENCH_DATABASE_URL / TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).
 */
import postgres from 'postgres'
import { randomBytes, randomUUID } from 'node:crypto'
import { cpus, loadavg } from 'node:os'
import { sql } from 'drizzle-orm'
import { productionSecrets, quantile } from './lib.ts'
import { parseConfig } from '../src/core/config/schema.ts'
import { postgresDatabase } from '../src/core/db/postgres.ts'
import { queryRows, type Database } from '../src/core/db/index.ts'
import { migrate } from '../src/core/db/migrate.ts'
import { loadMigrations } from '../src/core/db/migrations.node.ts'
import { DomainError } from '../src/core/errors.ts'
import { detachedEventBus } from '../src/events/bus.ts'
import { systemClock } from '../src/deps.ts'
import { holdSeats, type BookingDeps } from '../src/pillars/booking/service.ts'
import type { AuthUser } from '../src/core/auth/principal.ts'

const QUICK = process.env.BENCH_QUICK === '1'
const HOLDS = Number(process.env.BENCH_HOLDS ?? (QUICK ? 800 : 4000))
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16)
const DEPARTURES = 1000
const HOT_ATTEMPTS = Number(process.env.BENCH_HOT_ATTEMPTS ?? 500)
const HOT_SEATS = Number(process.env.BENCH_HOT_SEATS ?? 20)
const ADMIN_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'

const log = (line: string) => process.stderr.write(line + '\n')
const contact = { name: 'Bench Traveller', email: 'bench@example.com' }

async function seed(db: Database): Promise<{ traveller: AuthUser; departureIds: string[]; hotDepartureId: string }> {
  const travellerId = randomUUID()
  const operatorUserId = randomUUID()
  const operatorId = randomUUID()
  const tourId = randomUUID()
  await db.orm.execute(sql`insert into users (id, email, password_hash, role, display_name) values
    (${travellerId}, 'bench-traveller@example.com', 'x', 'traveller', 'Bench'), (${operatorUserId}, 'bench-operator@example.com', 'x', 'operator', 'Bench Op')`)
  await db.orm.execute(sql`insert into operators (id, user_id, name, slug) values (${operatorId}, ${operatorUserId}, 'Bench Tours', 'bench-tours')`)
  await db.orm.execute(sql`insert into tours (id, operator_id, status, category, difficulty, duration_minutes, languages, content, meeting_lat, meeting_lng,
      currency, prices, price_from, published_at)
    values (${tourId}, ${operatorId}, 'published', 'volcano', 'moderate', 600, '{ru}', '{"ru":{"title":"Бенчмарк","summary":"","description":"","meetingPoint":""}}',
      53.25, 158.83, 'RUB', '{"adult":1500000,"child":1000000}', 1500000, now())`)
  const rows = await queryRows<{ id: string }>(
    db.orm,
    sql`insert into departures (id, tour_id, starts_at, capacity, seats_left)
        select gen_random_uuid(), ${tourId}, now() + make_interval(days => 10, hours => g), 50, 50 from generate_series(1, ${DEPARTURES}) g
        returning id`,
  )
  const [hot] = await queryRows<{ id: string }>(
    db.orm,
    sql`insert into departures (id, tour_id, starts_at, capacity, seats_left) values (gen_random_uuid(), ${tourId}, now() + interval '3 days', ${HOT_SEATS}, ${HOT_SEATS}) returning id`,
  )
  return { traveller: { id: travellerId, email: 'bench-traveller@example.com', role: 'traveller' }, departureIds: rows.map((r) => r.id), hotDepartureId: hot!.id }
}

type Outcome = 'held' | 'sold_out' | 'error'

async function attempt(deps: BookingDeps, traveller: AuthUser, departureId: string): Promise<{ outcome: Outcome; ms: number }> {
  const started = performance.now()
  try {
    await holdSeats(deps, traveller, { departureId, party: { adult: 1 }, contact })
    return { outcome: 'held', ms: performance.now() - started }
  } catch (error) {
    if (error instanceof DomainError && error.code === 'sold_out') return { outcome: 'sold_out', ms: performance.now() - started }
    log(`unexpected: ${error instanceof Error ? error.message : String(error)}`)
    return { outcome: 'error', ms: performance.now() - started }
  }
}

function percentiles(ms: number[]) {
  const samples = Float64Array.from(ms)
  return { p50: quantile(samples, samples.length, 0.5), p99: quantile(samples, samples.length, 0.99) }
}

async function main() {
  const name = `kamhub_bench_booking_${process.pid}_${randomBytes(3).toString('hex')}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const u = new URL(ADMIN_URL)
  u.pathname = `/${name}`
  let db: Database | undefined
  let oversold = 0
  try {
    db = postgresDatabase({ url: u.toString(), max: CLIENTS })
    await migrate(db, await loadMigrations())
    const { traveller, departureIds, hotDepartureId } = await seed(db)
    const config = parseConfig({ NODE_ENV: 'production', ...productionSecrets(), DATABASE_URL: u.toString(), LOG_LEVEL: 'silent' })
    const deps: BookingDeps = { db, config, clock: systemClock, events: detachedEventBus }

    log(`warming up…`)
    for (let i = 0; i < 50; i++) await attempt(deps, traveller, departureIds[i % departureIds.length]!)

    log(`${HOLDS} holds across ${DEPARTURES} departures, ${CLIENTS} clients…`)
    const results: Array<{ outcome: Outcome; ms: number }> = []
    let next = 0
    const started = performance.now()
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < HOLDS) {
          next++
          results.push(await attempt(deps, traveller, departureIds[Math.floor(Math.random() * departureIds.length)]!))
        }
      }),
    )
    const seconds = (performance.now() - started) / 1000
    const spread = percentiles(results.map((r) => r.ms))
    const count = (rs: typeof results, o: Outcome) => rs.filter((r) => r.outcome === o).length

    log(`hot departure: ${HOT_ATTEMPTS} attempts for ${HOT_SEATS} seats at once…`)
    const hotStarted = performance.now()
    const hot = await Promise.all(Array.from({ length: HOT_ATTEMPTS }, () => attempt(deps, traveller, hotDepartureId)))
    const settleMs = performance.now() - hotStarted
    const hotSpread = percentiles(hot.map((r) => r.ms))
    const [state] = await queryRows<{ seats_left: number; held: number }>(
      db.orm,
      sql`select d.seats_left, (select coalesce(sum(seats), 0)::int from bookings b where b.departure_id = d.id and b.status = 'held') as held
          from departures d where d.id = ${hotDepartureId}`,
    )
    const heldSeats = Number(state!.held)
    oversold = Math.max(0, heldSeats - HOT_SEATS) + Math.abs(HOT_SEATS - Number(state!.seats_left) - heldSeats)

    const table = [
      ['scenario', 'attempts', 'held', 'sold_out', 'errors', 'holds/s', 'p50 ms', 'p99 ms', 'settle ms', 'oversold'],
      [`${DEPARTURES} departures × ${CLIENTS} clients`, results.length, count(results, 'held'), count(results, 'sold_out'), count(results, 'error'), (count(results, 'held') / seconds).toFixed(0), spread.p50.toFixed(2), spread.p99.toFixed(2), (seconds * 1000).toFixed(0), '-'],
      [`hot: ${HOT_SEATS} seats`, hot.length, count(hot, 'held'), count(hot, 'sold_out'), count(hot, 'error'), '-', hotSpread.p50.toFixed(2), hotSpread.p99.toFixed(2), settleMs.toFixed(0), oversold],
    ]
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => String(row[i]).length)))
    for (const row of table) console.log(row.map((cell, i) => String(cell).padStart(widths[i]!)).join('  '))
    const [server] = await queryRows<{ version: string }>(db.orm, sql`select current_setting('server_version') as version`)
    console.log(`PostgreSQL ${server!.version}, pool ${CLIENTS}, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}; hold = 1 conditional UPDATE + INSERT + outbox row in one transaction`)
    if (oversold !== 0 || count(hot, 'held') !== HOT_SEATS) {
      console.error(`FAIL: oversold ${oversold}, held ${count(hot, 'held')} of ${HOT_SEATS}`)
      process.exitCode = 1
    }
  } finally {
    await db?.close()
    await admin.unsafe(`drop database if exists ${name} with (force)`)
    await admin.end()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
