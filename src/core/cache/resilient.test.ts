/**
 * ResilientStore's bookkeeping, with a scripted backend whose calls the test answers one by one (the real Upstash
 * path, over Redis, is in tests/integration/cache-*.test.ts). The clock is manual; timeouts are long enough never to
 * fire, since every call here is answered explicitly.
 */
import { describe, expect, it } from 'vitest'
import { CircuitBreaker } from './circuit-breaker.ts'
import { MemoryStore } from './memory.ts'
import { cacheMetrics } from './metrics.ts'
import { ResilientStore, type RemoteStore } from './resilient.ts'
import type { Entry, Lifetime } from './store.ts'

type Call = { op: string; args: unknown[]; answer: (value?: unknown) => void; fail: (error: Error) => void }

/** A backend that records each call and waits for the test to answer it. */
function scriptedRemote() {
  const calls: Call[] = []
  const record = (op: string, ...args: unknown[]) =>
    new Promise<never>((resolve, reject) => calls.push({ op, args, answer: resolve as (v?: unknown) => void, fail: reject }))
  const remote: RemoteStore = {
    read: <T>(key: string) => record('get', key) as Promise<Entry<T> | undefined>,
    write: (key: string, json: string, lifetime: Lifetime) => record('set', key, json, lifetime),
    delete: (keys: string[]) => record('delete', keys),
    ping: () => record('ping'),
  }
  /** The oldest unanswered call, once the store has made it (each turn of the loop runs every queued microtask). */
  async function next(): Promise<Call> {
    while (calls.length === 0) await new Promise((resolve) => setImmediate(resolve))
    return calls.shift()!
  }
  return { remote, calls, next }
}

function setup({ l1TtlMs = 1_000, failureThreshold = 5 } = {}) {
  let t = 1_700_000_000_000
  const now = () => t
  const backend = scriptedRemote()
  const local = new MemoryStore({ now })
  const store = new ResilientStore({
    backend: 'test',
    remote: backend.remote,
    local,
    breaker: new CircuitBreaker({ failureThreshold, now }),
    timeoutMs: 60_000,
    l1TtlMs,
    maxPendingDeletes: 100,
    now,
    metrics: cacheMetrics(undefined, 'test'),
  })
  return { store, local, backend, now, advance: (ms: number) => (t += ms) }
}

const lifetime = (now: number) => ({ freshUntil: now + 60_000, expiresAt: now + 60_000 })

describe('ResilientStore', () => {
  it('a delete issued while an older flush of the same key is in flight keeps the key pending until its own DEL lands', async () => {
    const { store, backend } = setup()
    const first = store.delete(['k'])
    const firstDel = await backend.next()
    await store.delete(['k']) // a newer change; it does not wait on the flush another caller has in flight
    expect(store.pendingDeleteCount).toBe(1)
    firstDel.answer()
    // The flush loops for the newer delete rather than counting the older DEL for it.
    const secondDel = await backend.next()
    expect(secondDel).toMatchObject({ op: 'delete', args: [['k']] })
    expect(store.pendingDeleteCount).toBe(1)
    secondDel.answer()
    await first
    expect(store.pendingDeleteCount).toBe(0)
  })

  it('a read whose GET overlapped a delete returns what it read but keeps no L1 copy of it', async () => {
    const { store, local, backend, now } = setup()
    const reading = store.read('k')
    const get = await backend.next()
    const deleting = store.delete(['k'])
    ;(await backend.next()).answer()
    await deleting
    get.answer({ value: 'before the change', freshUntil: now() + 60_000 })
    expect((await reading).entry?.value).toBe('before the change')
    expect(local.size).toBe(0)
  })

  it('memory written while the backend failed is dropped at the next backend success, even if the circuit never opened', async () => {
    const { store, local, backend, now } = setup({ l1TtlMs: 0 })
    const writing = store.write('k', '"fallback"', lifetime(now()))
    ;(await backend.next()).fail(new Error('ECONNRESET'))
    await writing
    expect(local.read('k').entry?.value).toBe('fallback')
    const health = store.health()
    ;(await backend.next()).answer('PONG')
    expect(await health).toEqual({ status: 'up', backend: 'test' })
    expect(local.size).toBe(0)
  })

  it('a key waiting for its delete is not read from the backend', async () => {
    const { store, backend } = setup({ failureThreshold: 1 })
    const deleting = store.delete(['k'])
    ;(await backend.next()).fail(new Error('timeout'))
    await deleting // the circuit is open now: the next read makes no call
    expect(await store.read('k')).toEqual({ entry: undefined, failed: true })
    expect(backend.calls).toHaveLength(0)
  })
})
