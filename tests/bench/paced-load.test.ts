/**
 * The benchmark's paced client (bench/paced-load.ts) gets its figures from its own framing of HTTP answers: each
 * answer must be counted once, whole, however the server frames it, or its percentiles describe nothing.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pacedLoad } from '../../bench/paced-load.ts'
import { startPacedClient } from '../../bench/lib.ts'

let server: Server
let port: number
const seen = new Map<string, number>()

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.set(req.url!, (seen.get(req.url!) ?? 0) + 1)
    if (req.url === '/length') res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '5' }).end('Hello')
    else if (req.url === '/chunked') {
      // Two chunks written apart, so the client sees the answer in pieces and must wait for the last chunk.
      res.writeHead(200, { 'Content-Type': 'application/json' })
      res.write('{"part":1,' + ' '.repeat(20_000))
      setImmediate(() => res.end('"part2":2}'))
    } else if (req.url === '/empty') res.writeHead(204).end()
    else res.writeHead(503, { 'Content-Type': 'text/plain' }).end('no')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('pacedLoad', () => {
  it('sends rate × seconds requests and counts each answer framed by Content-Length once', async () => {
    const result = await pacedLoad({ port, path: '/length', rate: 400, seconds: 0.25, connections: 5 })
    expect(result).toMatchObject({ ok: 100, failures: 0 })
    // The schedule's 100 and the opening's one per connection.
    expect(seen.get('/length')).toBe(100 + 5)
    // Each answer's latency was recorded: a number of milliseconds, not the array's initial zeros.
    expect(Array.from(result.latencies.subarray(0, 100)).every((ms) => Number.isFinite(ms) && ms > 0)).toBe(true)
  })

  it('opens every connection with one answer before the schedule, timed on its own and not among the latencies', async () => {
    // The socket of each request, in arrival order. The schedule at this rate sends one request at a time and reuses
    // the connection that answered last, so only the opening puts the first four requests on four connections.
    const sockets: unknown[] = []
    const onRequest = (req: { url?: string; socket: unknown }) => req.url === '/length' && sockets.push(req.socket)
    server.on('request', onRequest)
    const before = seen.get('/length')!
    try {
      const result = await pacedLoad({ port, path: '/length', rate: 100, seconds: 0.1, connections: 4 })
      expect(new Set(sockets.slice(0, 4)).size).toBe(4)
      expect(result).toMatchObject({ ok: 10, failures: 0 })
      expect(result.latencies).toHaveLength(10)
      expect(seen.get('/length')! - before).toBe(10 + 4)
      expect(result.openingMs).toBeGreaterThan(0)
    } finally {
      server.off('request', onRequest)
    }
  })

  it('queues requests that find every connection busy and sends each one once a connection is free', async () => {
    // One connection at 2000 req/s: several requests fall due per timer tick, so most wait in the backlog.
    const before = seen.get('/length')!
    const result = await pacedLoad({ port, path: '/length', rate: 2000, seconds: 0.1, connections: 1 })
    expect(result).toMatchObject({ ok: 200, failures: 0 })
    expect(seen.get('/length')! - before).toBe(200 + 1)
  })

  it("charges the server for requests queued behind busy connections, and not for the client's own stall", async () => {
    // The client's clock jumps 300 ms ahead once the server has taken ten of the schedule's requests: the stand-in for
    // a client whose event loop stood still that long. The ~150 requests due in the jump all come due at its next
    // turn and queue for the two connections (ten more fall due after); the server answers them as fast as it can.
    // Counted from their due times (the old rule), the oldest would show the whole 300 ms; counted from the turn that
    // found them due, only the queue's drain.
    const before = seen.get('/length')!
    let jumped = false
    const now = () => {
      if (!jumped && seen.get('/length')! - before >= 2 + 10) jumped = true
      return performance.now() + (jumped ? 300 : 0)
    }
    const started = performance.now()
    const result = await pacedLoad({ port, path: '/length', rate: 500, seconds: 0.34, connections: 2, now })
    const ran = performance.now() - started
    expect(result).toMatchObject({ ok: 170, failures: 0 })
    const sorted = Array.from(result.latencies.subarray(0, result.ok)).sort((a, b) => a - b)
    // The requests the client had taken up when its clock jumped (in flight, one per connection, or waiting for one
    // if this process was slow before) are charged the jump: their answers came "during the stall". Every other is
    // not: it counts between two readings of the clock on the same side of the jump, so at most the run's own wall
    // time, however long this process (client and server both) waited for a core. So none falls between the two;
    // counted from their due times, the queued ones would spread from the drain's length to the whole 300 ms, and
    // the run takes ~40 ms unloaded.
    expect(sorted.at(-1)!).toBeGreaterThanOrEqual(300)
    expect(sorted.filter((ms) => ms > ran && ms < 300)).toEqual([])
    // Yet the queue was real: with two connections for a burst of ~150, requests waited behind one another.
    expect(sorted.at(-3)!).toBeGreaterThan(sorted[0]! * 5)
  })

  it('waits for the last chunk of a chunked answer that arrives in pieces', async () => {
    const result = await pacedLoad({ port, path: '/chunked', rate: 200, seconds: 0.25, connections: 3 })
    expect(result).toMatchObject({ ok: 50, failures: 0 })
    expect(seen.get('/chunked')).toBe(50 + 3)
  })

  it('counts answers other than 200 as failures, not latencies', async () => {
    // The schedule's 20 and the two connections' opening answers.
    const result = await pacedLoad({ port, path: '/down', rate: 200, seconds: 0.1, connections: 2 })
    expect(result).toMatchObject({ ok: 0, failures: 20 + 2 })
    const empty = await pacedLoad({ port, path: '/empty', rate: 200, seconds: 0.1, connections: 2 })
    expect(empty).toMatchObject({ ok: 0, failures: 20 + 2 })
  })
})

describe('startPacedClient', () => {
  it('runs pacedLoad in a process of its own and hands back its figures, one run after another', async () => {
    const client = await startPacedClient()
    try {
      const before = seen.get('/length') ?? 0
      const first = await client.run({ port, path: '/length', rate: 400, seconds: 0.25, connections: 5 })
      const second = await client.run({ port, path: '/down', rate: 200, seconds: 0.1, connections: 2 })
      expect(first).toMatchObject({ ok: 100, failures: 0 })
      expect(first.latencies).toBeInstanceOf(Float64Array)
      expect(first.latencies).toHaveLength(100)
      expect(Array.from(first.latencies).every((ms) => Number.isFinite(ms) && ms > 0)).toBe(true)
      expect(second).toMatchObject({ ok: 0, failures: 20 + 2 })
      expect(first.openingMs).toBeGreaterThan(0)
      expect(seen.get('/length')! - before).toBe(100 + 5)
    } finally {
      await client.stop()
    }
  })

  it('fails a run in progress when the client process dies', async () => {
    const client = await startPacedClient()
    const run = client.run({ port, path: '/length', rate: 100, seconds: 5, connections: 1 })
    await client.stop()
    await expect(run).rejects.toThrow('the paced client exited')
  })
})
