/**
 * workerd smoke test: `wrangler dev` (local mode, no login) serves src/runtime/worker.ts with the Hyperdrive binding
 * pointed at a fresh PostgreSQL database that `npm run migrate`'s CLI prepared first, as a Workers deploy does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { join } from 'node:path'
import { BIN, baseEnv, expectAccountRoundTrip, expectReady, freePort, freshDatabase, run, startChild, tempDir, waitForHttp, type Child, type FreshDatabase } from './support.ts'

let db: FreshDatabase
let dir: Awaited<ReturnType<typeof tempDir>>
let worker: Child
let base: string

beforeAll(async () => {
  db = await freshDatabase('workerd')
  dir = await tempDir('workerd')
  const migrated = await run(join(BIN, 'tsx'), ['src/cli/migrate.ts'], baseEnv({ DATABASE_URL: db.url }))
  expect(migrated.code, migrated.output).toBe(0)

  const [port, inspectorPort] = [await freePort(), await freePort()]
  base = `http://127.0.0.1:${port}`
  worker = startChild(
    join(BIN, 'wrangler'),
    ['dev', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort), '--persist-to', join(dir.path, 'state'), '--show-interactive-dev-session=false'],
    baseEnv({
      CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE: hyperdriveUrl(db.url),
      // Offline and self-contained: no telemetry, no request.cf lookup, every wrangler file under .tmp/.
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_HIDE_BANNER: 'true',
      XDG_CONFIG_HOME: join(dir.path, 'config'),
      WRANGLER_LOG_PATH: join(dir.path, 'logs'),
      MINIFLARE_CACHE_DIR: join(dir.path, 'cache'),
      TMPDIR: dir.path,
      NO_COLOR: '1',
    }),
  )
  await waitForHttp(worker, `${base}/health/live`)
})

afterAll(async () => {
  await worker?.stop()
  await db?.drop()
  await dir?.rm()
})

/** Hyperdrive's local mode refuses a connection string without a password; with trust auth any one works. */
function hyperdriveUrl(url: string): string {
  const u = new URL(url)
  if (!u.password) u.password = 'trust'
  return u.toString()
}

describe('Worker on workerd through Hyperdrive', () => {
  it('is ready: a postgres.js client opened for the request reaches the database', async () => {
    await expectReady(base)
  })

  it('registers an account and reads it back with its access token', async () => {
    await expectAccountRoundTrip(base)
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
