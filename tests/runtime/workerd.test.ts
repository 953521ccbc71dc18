/**
 * workerd smoke test: `wrangler dev` (local mode, no login) serves src/runtime/worker.ts with the Hyperdrive binding
 * pointed at a fresh PostgreSQL database that `npm run migrate`'s CLI prepared first, as a Workers deploy does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { expectAccountRoundTrip, expectEnvelopeHeaders, expectReady, migratedDatabase, startWorkerd, type FreshDatabase, type Workerd } from './support.ts'

let db: FreshDatabase
let worker: Workerd
let base: string

beforeAll(async () => {
  db = await migratedDatabase('workerd')
  worker = await startWorkerd({ label: 'workerd', databaseUrl: db.url })
  base = worker.base
})

afterAll(async () => {
  await worker?.stop()
  await db?.drop()
})

describe('Worker on workerd through Hyperdrive', () => {
  it('is ready: a postgres.js client opened for the request reaches the database', async () => {
    await expectReady(base)
  })

  it('registers an account and reads it back with its access token', async () => {
    await expectAccountRoundTrip(base)
  })

  it('every answer carries the security headers and the caller’s request id', async () => {
    await expectEnvelopeHeaders(base)
  })

  it('serves the docs assets bundled as text modules', async () => {
    const res = await fetch(`${base}/docs/assets/swagger-ui.css`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/css')
    expect((await res.text()).length).toBeGreaterThan(1000)
  })

  it('runs the cron handler', async () => {
    const res = await fetch(`${base}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent('*/1 * * * *')}`)
    expect(res.status).toBe(200)
  })
})
