import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { createRoute, z } from '@hono/zod-openapi'
import { startTestApp, type TestApp } from '../support/app.ts'
import { bearer, manualClock } from '../support/auth.ts'
import { newRouter } from '../../src/routes/env.ts'
import { requireAuth } from '../../src/core/auth/guard.ts'
import { issueAccessToken } from '../../src/core/auth/tokens.ts'
import { jwtSecret } from '../../src/core/config/schema.ts'
import { queryRows } from '../../src/core/db/index.ts'
import { idempotent } from '../../src/core/http/idempotency.ts'
import { pruneIdempotencyKeys } from '../../src/core/http/idempotency-store.ts'
import type { Problem } from '../../src/core/http/problem.ts'

// The handler's side effects, counted per `name` in the body: "ran once" means exactly one increment.
const calls = new Map<string, number>()
const ranFor = (name: string) => calls.get(name) ?? 0
// Names whose next run answers 500 or throws, once each (then they succeed).
const failNext = new Set<string>()
const throwNext = new Set<string>()
// A request whose name is in `gates` waits in the handler until the test opens the gate.
const gates = new Map<string, { entered: () => void; release: Promise<void> }>()

function gate(name: string) {
  let entered!: () => void
  let release!: () => void
  const enteredP = new Promise<void>((r) => (entered = r))
  const releaseP = new Promise<void>((r) => (release = r))
  gates.set(name, { entered, release: releaseP })
  return { entered: enteredP, release }
}

const thingBody = z.object({ name: z.string().min(1), note: z.string().optional() })
const thing = z.object({ id: z.string(), name: z.string(), owner: z.string(), run: z.number() })

const createThing = createRoute({
  method: 'post',
  path: '/v1/idem-test/things/{bucket}',
  middleware: [requireAuth(), idempotent()] as const,
  request: { params: z.object({ bucket: z.string() }), body: { content: { 'application/json': { schema: thingBody } }, required: true } },
  responses: { 201: { description: 'created', content: { 'application/json': { schema: thing } } } },
})

const createAnonymous = createRoute({
  method: 'post',
  path: '/v1/idem-test/anonymous',
  middleware: [idempotent()] as const,
  request: { body: { content: { 'application/json': { schema: thingBody } }, required: true } },
  responses: { 201: { description: 'created', content: { 'application/json': { schema: thing } } } },
})

async function runHandler(name: string, owner: string) {
  const g = gates.get(name)
  if (g) {
    gates.delete(name)
    g.entered()
    await g.release
  }
  if (throwNext.delete(name)) throw new Error('the handler crashed')
  const run = ranFor(name) + 1
  calls.set(name, run)
  if (failNext.delete(name)) return { failed: true as const, run }
  return { failed: false as const, thing: { id: crypto.randomUUID(), name, owner, run } }
}

const testRoutes = newRouter()
  .openapi(createThing, async (c) => {
    const out = await runHandler(c.req.valid('json').name, c.var.user.id)
    if (out.failed) return c.json({ error: 'downstream failed' }, 500) as never
    return c.json(out.thing, 201, { Location: `/v1/idem-test/things/${out.thing.id}` })
  })
  .openapi(createAnonymous, async (c) => {
    const out = await runHandler(c.req.valid('json').name, 'anonymous')
    if (out.failed) return c.json({ error: 'downstream failed' }, 500) as never
    return c.json(out.thing, 201)
  })

const clock = manualClock()
let t: TestApp
const alice = crypto.randomUUID()
const bob = crypto.randomUUID()
let n = 0
const newKey = () => `key-${++n}-${crypto.randomUUID()}`
const newName = () => `thing-${++n}`

beforeAll(async () => {
  t = await startTestApp({ deps: { clock } })
  t.app.route('/', testRoutes)
})
afterAll(() => t.close())

async function as(userId: string) {
  const { token } = await issueAccessToken(
    { id: userId, email: `${userId}@example.com`, role: 'traveller' },
    { secret: jwtSecret(t.deps.config), issuer: t.deps.config.JWT_ISSUER, ttlSeconds: 900, now: clock.now() },
  )
  return bearer(token)
}

async function post(path: string, body: unknown, headers: Record<string, string>) {
  return t.app.request(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) })
}

async function postThing(body: unknown, key: string | undefined, user = alice, bucket = 'a') {
  return post(`/v1/idem-test/things/${bucket}`, body, { ...(await as(user)), ...(key === undefined ? {} : { 'Idempotency-Key': key }) })
}

const keyRows = async () =>
  Number((await queryRows<{ n: number }>(t.deps.db.orm, sql`select count(*)::int as n from idempotency_keys`))[0]!.n)

describe('Idempotency-Key', () => {
  it('a replay with the same key and body answers the stored status, headers and body, and the handler ran once', async () => {
    const key = newKey()
    const name = newName()
    const first = await postThing({ name }, key)
    expect(first.status).toBe(201)
    expect(first.headers.get('Idempotent-Replayed')).toBeNull()
    const firstBody = await first.text()

    const again = await postThing({ name }, key)
    expect(again.status).toBe(201)
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    expect(again.headers.get('Location')).toBe(first.headers.get('Location'))
    expect(again.headers.get('Content-Type')).toBe(first.headers.get('Content-Type'))
    expect(await again.text()).toBe(firstBody)
    expect(again.headers.get('X-Request-Id')).not.toBe(first.headers.get('X-Request-Id'))
    expect(ranFor(name)).toBe(1)
  })

  it('the validated JSON route behind it still receives the body (and rejects an invalid one)', async () => {
    const name = newName()
    const res = await postThing({ name, note: 'with a note' }, newKey())
    expect(res.status).toBe(201)
    expect(await res.json()).toMatchObject({ name, owner: alice })

    const invalid = await postThing({ name: '' }, newKey())
    expect(invalid.status).toBe(400)
    expect(((await invalid.json()) as Problem).errors?.[0]?.path).toBe('json.name')
  })

  it('the same key with a different body is a 422 and the handler does not run', async () => {
    const key = newKey()
    const name = newName()
    expect((await postThing({ name }, key)).status).toBe(201)
    const other = await postThing({ name, note: 'changed' }, key)
    expect(other.status).toBe(422)
    const problem = (await other.json()) as Problem
    expect(problem.code).toBe('unprocessable')
    expect(problem.detail).toMatch(/Idempotency-Key was already used with another request body/)
    expect(ranFor(name)).toBe(1)
  })

  it('the same key and body on another path (another departure) is a 422, not a replay of the first one', async () => {
    const key = newKey()
    const name = newName()
    expect((await postThing({ name }, key, alice, 'one')).status).toBe(201)
    expect((await postThing({ name }, key, alice, 'two')).status).toBe(422)
    expect(ranFor(name)).toBe(1)
  })

  it('a duplicate while the first request is still running is a 409 idempotency_in_flight; afterwards it replays', async () => {
    const key = newKey()
    const name = newName()
    const held = gate(name)
    const first = postThing({ name }, key)
    await held.entered

    const duplicate = await postThing({ name }, key)
    expect(duplicate.status).toBe(409)
    expect(duplicate.headers.get('Retry-After')).toBe('1')
    expect(((await duplicate.json()) as Problem).code).toBe('idempotency_in_flight')

    held.release()
    expect((await first).status).toBe(201)
    const replay = await postThing({ name }, key)
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    expect(ranFor(name)).toBe(1)
  })

  it('five identical requests racing with one key: the handler runs once, the others get 409 or the replay', async () => {
    const key = newKey()
    const name = newName()
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => postThing({ name }, key)))
    const fresh = answers.filter((r) => r.status === 201 && r.headers.get('Idempotent-Replayed') === null)
    expect(fresh).toHaveLength(1)
    for (const r of answers) if (r !== fresh[0]) expect([409, 201]).toContain(r.status)
    expect(ranFor(name)).toBe(1)
  })

  it('a 5xx answer is not stored: the retry runs the handler again and its answer is the one kept', async () => {
    const key = newKey()
    const name = newName()
    failNext.add(name)
    expect((await postThing({ name }, key)).status).toBe(500)
    const retry = await postThing({ name }, key)
    expect(retry.status).toBe(201)
    expect(retry.headers.get('Idempotent-Replayed')).toBeNull()
    expect(((await retry.json()) as { run: number }).run).toBe(2)
    expect((await postThing({ name }, key)).headers.get('Idempotent-Replayed')).toBe('true')
    expect(ranFor(name)).toBe(2)
  })

  it('a handler that throws leaves no claim behind: the retry runs again', async () => {
    const key = newKey()
    const name = newName()
    throwNext.add(name)
    const crashed = await postThing({ name }, key)
    expect(crashed.status).toBe(500)
    expect(((await crashed.json()) as Problem).code).toBe('internal')
    const retry = await postThing({ name }, key)
    expect(retry.status).toBe(201)
    expect(retry.headers.get('Idempotent-Replayed')).toBeNull()
    expect(ranFor(name)).toBe(1)
  })

  it('two users with the same key do not collide: each gets their own answer', async () => {
    const key = newKey()
    const name = newName()
    const a = await postThing({ name }, key, alice)
    const b = await postThing({ name }, key, bob)
    expect([a.status, b.status]).toEqual([201, 201])
    expect(b.headers.get('Idempotent-Replayed')).toBeNull()
    expect(((await a.json()) as { owner: string }).owner).toBe(alice)
    expect(((await b.json()) as { owner: string }).owner).toBe(bob)
    expect(ranFor(name)).toBe(2)
  })

  it('anonymous callers are scoped by the anonymous marker and still get replays', async () => {
    const key = newKey()
    const name = newName()
    const first = await post('/v1/idem-test/anonymous', { name }, { 'Idempotency-Key': key })
    expect(first.status).toBe(201)
    const again = await post('/v1/idem-test/anonymous', { name }, { 'Idempotency-Key': key })
    expect(again.headers.get('Idempotent-Replayed')).toBe('true')
    expect(ranFor(name)).toBe(1)
  })

  it('a missing header is a 400 invalid naming the header; an empty or over-long key too; the handler never runs', async () => {
    const name = newName()
    const missing = await postThing({ name }, undefined)
    expect(missing.status).toBe(400)
    const problem = (await missing.json()) as Problem
    expect(problem.code).toBe('invalid')
    expect(problem.detail).toContain('Idempotency-Key')
    expect((await postThing({ name }, '')).status).toBe(400)
    expect((await postThing({ name }, 'k'.repeat(256))).status).toBe(400)
    expect((await postThing({ name }, 'k'.repeat(255))).status).toBe(201)
    expect(ranFor(name)).toBe(1)
  })

  it('a claim left by a crashed request is taken over after the lock timeout, and the late original cannot overwrite it', async () => {
    const key = newKey()
    const name = newName()
    const held = gate(name)
    const original = postThing({ name }, key)
    await held.entered
    clock.advance(61)

    const takeover = await postThing({ name }, key)
    expect(takeover.status).toBe(201)
    const kept = (await takeover.json()) as { id: string }

    held.release()
    expect((await original).status).toBe(201)
    const replay = await postThing({ name }, key)
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true')
    expect(((await replay.json()) as { id: string }).id).toBe(kept.id)
  })

  it('keys expire after IDEMPOTENCY_TTL_HOURS: pruning deletes them and the key can be used afresh', async () => {
    const key = newKey()
    const name = newName()
    expect((await postThing({ name }, key)).status).toBe(201)
    const before = await keyRows()
    expect(await pruneIdempotencyKeys(t.deps.db.orm, { now: clock.now() })).toBe(0)

    clock.advance(t.deps.config.IDEMPOTENCY_TTL_HOURS * 3600 + 1)
    const pruned = await pruneIdempotencyKeys(t.deps.db.orm, { now: clock.now(), batchSize: 2 })
    expect(pruned).toBe(before)
    expect(await keyRows()).toBe(0)

    const fresh = await postThing({ name, note: 'another body is fine now' }, key)
    expect(fresh.status).toBe(201)
    expect(ranFor(name)).toBe(2)
  })

  it('an expired key that was not pruned yet is taken over rather than replayed', async () => {
    const key = newKey()
    const name = newName()
    expect((await postThing({ name }, key)).status).toBe(201)
    clock.advance(t.deps.config.IDEMPOTENCY_TTL_HOURS * 3600 + 1)
    const again = await postThing({ name }, key)
    expect(again.status).toBe(201)
    expect(again.headers.get('Idempotent-Replayed')).toBeNull()
    expect(ranFor(name)).toBe(2)
  })
})
