/**
 * A server that starts after its holds ran out (it was down: a deploy, a crash) gives their seats back at once, through
 * the real Node start-up (buildServerDeps), not at the first minute tick a minute later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../../../src/app.ts'
import { buildServerDeps, type ServerDeps } from '../../../src/runtime/server-deps.node.ts'
import * as booking from '../../../src/pillars/booking/service.ts'
import type { TestApp } from '../../support/app.ts'
import { addDeparture, contact, makeTour, operatorWithProfile, accountWithRole, principalOf, seatsLeft } from './support.ts'

let dataDir: string
let server: ServerDeps
let t: TestApp

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'kamhub-start-maintenance-'))
  server = await buildServerDeps({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: join(dataDir, 'data'), AUTH_RATE_LIMIT: '10000' })
  t = { app: createApp(server.deps), deps: server.deps, db: server.deps.db, close: () => server.close() }
})
afterAll(async () => {
  await server?.close()
  await rm(dataDir, { recursive: true, force: true })
})

describe('maintenance at start-up', () => {
  it('a hold that expired while the server was down is expired by start(), its seats back on sale', async () => {
    // Made before start(): the catalogue is not empty, so the first-run demo seed stays out of the way.
    const operator = await operatorWithProfile(t, 'Avacha Guides')
    const traveller = await accountWithRole(t, 'traveller', 'anna')
    const tour = await makeTour(t, operator)
    const departure = await addDeparture(t, operator, tour.id, { capacity: 4 })
    const held = await booking.holdSeats(t.deps, principalOf(traveller), { departureId: departure.id, party: { adult: 2 }, contact })
    expect(await seatsLeft(t, departure.id)).toBe(2)
    // The downtime: the hold ran out an hour ago.
    await server.deps.db.orm.execute(sql`update bookings set expires_at = now() - interval '1 hour' where id = ${held.id}`)

    await server.start()
    await server.settled()

    expect((await booking.getBooking(t.deps, principalOf(traveller), held.id)).status).toBe('expired')
    expect(await seatsLeft(t, departure.id)).toBe(4)
  })
})
