/**
 * The test bridge itself: it must speak the Upstash REST protocol as the SDK expects it, or the adapter tests would
 * prove nothing. Raw fetch here (the wire format), the real SDK in cache-upstash.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { deleteKeysWithPrefix, startUpstashBridge, type UpstashBridge } from '../support/upstash-bridge.ts'

const prefix = `kamhub-test:${randomBytes(6).toString('hex')}:bridge:`
let bridge: UpstashBridge

async function post(path: string, body: unknown, { token = bridge.token, base64 = false } = {}) {
  const res = await fetch(bridge.url + path, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...(base64 ? { 'Upstash-Encoding': 'base64' } : {}) },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as unknown }
}

const b64 = (s: string) => Buffer.from(s).toString('base64')

beforeAll(async () => {
  bridge = await startUpstashBridge()
})
afterAll(async () => {
  await deleteKeysWithPrefix(bridge.redis, prefix)
  await bridge.close()
})

describe('Upstash REST bridge to redis-server', () => {
  it('POST / runs one command: {result} with 200, {error} with a non-2xx status', async () => {
    expect(await post('/', ['SET', prefix + 'a', 'Авача 火山', 'PX', 60_000])).toEqual({ status: 200, body: { result: 'OK' } })
    expect(await post('/', ['GET', prefix + 'a'])).toEqual({ status: 200, body: { result: 'Авача 火山' } })
    expect(await post('/', ['GET', prefix + 'missing'])).toEqual({ status: 200, body: { result: null } })
    const wrong = await post('/', ['INCR', prefix + 'a'])
    expect(wrong.status).toBe(400)
    expect(wrong.body).toEqual({ error: expect.stringContaining('not an integer') })
  })

  it('refuses a request without the bearer token', async () => {
    expect((await post('/', ['PING'], { token: 'wrong' })).status).toBe(401)
  })

  it('Upstash-Encoding: base64 encodes every string in the result, recursively; integers and nil stay as they are', async () => {
    await post('/', ['RPUSH', prefix + 'list', 'один', 'two'])
    expect((await post('/', ['GET', prefix + 'a'], { base64: true })).body).toEqual({ result: b64('Авача 火山') })
    expect((await post('/', ['LRANGE', prefix + 'list', 0, -1], { base64: true })).body).toEqual({ result: [b64('один'), b64('two')] })
    expect((await post('/', ['LLEN', prefix + 'list'], { base64: true })).body).toEqual({ result: 2 })
    expect((await post('/', ['GET', prefix + 'missing'], { base64: true })).body).toEqual({ result: null })
  })

  it('keeps Redis reply shapes: HGETALL is a flat array, not an object', async () => {
    await post('/', ['HSET', prefix + 'h', 'f1', 'v1', 'f2', 'v2'])
    const { body } = await post('/', ['HGETALL', prefix + 'h'])
    expect(body).toEqual({ result: ['f1', 'v1', 'f2', 'v2'] })
  })

  it('POST /pipeline answers each command on its own: one failing does not fail the others', async () => {
    const { status, body } = await post('/pipeline', [
      ['SET', prefix + 'p', '1'],
      ['INCR', prefix + 'a'],
      ['INCR', prefix + 'p'],
    ])
    expect(status).toBe(200)
    expect(body).toEqual([{ result: 'OK' }, { error: expect.stringContaining('not an integer') }, { result: 2 }])
  })

  it('POST /multi-exec runs the commands as one transaction and answers each', async () => {
    const { status, body } = await post('/multi-exec', [
      ['SET', prefix + 'm', '10'],
      ['INCRBY', prefix + 'm', 5],
      ['GET', prefix + 'm'],
    ])
    expect(status).toBe(200)
    expect(body).toEqual([{ result: 'OK' }, { result: 15 }, { result: '15' }])
  })

  it('POST /multi-exec with a command Redis rejects while queueing runs none of them', async () => {
    const { status, body } = await post('/multi-exec', [
      ['SET', prefix + 'n', '1'],
      ['NOSUCHCOMMAND', prefix + 'n'],
    ])
    expect(status).toBe(400)
    expect(body).toEqual({ error: expect.stringContaining('unknown command') })
    expect(await bridge.redis.exists(prefix + 'n')).toBe(0)
  })

  it('rejects a body that is not a command', async () => {
    expect((await post('/', { not: 'a command' })).status).toBe(400)
    expect((await post('/pipeline', [])).status).toBe(400)
  })
})
