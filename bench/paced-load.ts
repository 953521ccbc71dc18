/**
 * Latency at a given load: requests at a fixed rate, spread evenly in time over N keep-alive connections (the method
 * of wrk2). Every request's latency counts from when the client's schedule reached it — the timer turn that found it
 * due — whether it went out at once on a free connection or waited in the client's queue because every connection
 * was busy. So a server that stalls is charged for the requests that queued behind the stall (no "coordinated
 * omission": the client goes on turning every millisecond and each turn's requests start counting then), while the
 * client's own lateness is not: its timer wakes up to a millisecond late, and now and then its whole event loop
 * stands still (a scavenge, a vCPU taken by another task: 6–24 ms in the rounds of stop 32's first run). Before,
 * queued requests counted from their due time, so every request that fell due during such a stall of the client was
 * charged the stall — the client's lateness landing on the server's p99. What the client's stall still charges is
 * the answers that arrived during it and waited to be read (the few in flight; the client has no kernel receive
 * timestamps), and its longest loop gap is reported beside every round (paced-client.ts).
 *
 * Why not autocannon's `overallRate`: it paces each connection with a timer of its own, all started together, so the
 * connections fire in step — a burst of N requests every N / rate seconds — and its percentiles measure how long the
 * server takes to drain a burst of 50 (npm run bench at 4000 req/s: p50 2.4 ms for a bare hello that takes 40 µs).
 * And at saturation (autocannon's default) latency is the queue the closed loop builds, 50 connections / throughput
 * by Little's law, whatever the server does per request.
 *
 * The connections open, and each answers one request, before the schedule starts: the load a p99 is quoted at is a
 * steady one over N kept-alive connections, and the bench opens all N in the same millisecond its schedule would
 * begin, which no deployment's clients do. How long that opening took (connect and one answer on every connection,
 * all at once) is reported on its own (`openingMs`), for bare and full alike, so a slow one stays visible. Measured
 * before the change (a scratch A/B, 11,000 req/s, 2 × 20 rounds of the full app): rounds with p99 over 5 ms 8 of 20
 * when the schedule started on fresh connections, 4 of 20 when each had answered once.
 *
 * The client is deliberately small: one HTTP/1.1 request per connection at a time, answers framed by Content-Length
 * (or chunked, to the last chunk), nothing parsed beyond the status code.
 */
import { connect, type Socket } from 'node:net'

export interface PacedLoadOptions {
  port: number
  path: string
  /** Requests per second, spread evenly. */
  rate: number
  seconds: number
  connections: number
  headers?: Record<string, string>
  /** The clock, in ms (performance.now by default): a test moves it to stand for a stall of the client. */
  now?: () => number
}

export interface PacedLoadResult {
  /** Requests that answered 200. */
  ok: number
  /** Non-200 answers, broken connections, and requests still unanswered 10 s after the last was due. */
  failures: number
  /** Latency of each 200 answer in ms, from when the request was due; `ok` entries are filled. */
  latencies: Float64Array
  /** The rate the schedule actually ran at (the timer may lag at the end of a run). */
  achievedRate: number
  /** From the first connect to the last of the N opening answers (one per connection, untimed in `latencies`), in ms. */
  openingMs: number
  /** The schedule's wall-clock span, epoch ms (from its start to its last answer), for the server's own figures. */
  span: { from: number; to: number }
  /** The longest gap in the client's own event loop during the run, in ms (set by paced-client.ts). */
  clientLoopMaxMs?: number
}

const DRAIN_MS = 10_000
const HEADER_END = Buffer.from('\r\n\r\n')
const LAST_CHUNK = Buffer.from('0\r\n\r\n')

interface Connection {
  socket: Socket
  /** When the request in flight started to count: written at once, or due while every connection was busy. */
  since: number
  pending: Buffer[]
  pendingBytes: number
  /** Where the body starts once the header block is in, and how long it is (-1: chunked). */
  bodyStart: number
  bodyLength: number
  status: number
  /** Its opening answer is in (or it broke before it). */
  openingDone: boolean
}

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoadResult> {
  const { port, path, rate, seconds, connections } = options
  const clock = options.now ?? (() => performance.now())
  const total = Math.round(rate * seconds)
  const extra = Object.entries(options.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${extra}\r\n`)
  const latencies = new Float64Array(total)
  let ok = 0
  let failures = 0
  let answered = 0
  const idle: Connection[] = []
  // When the schedule reached each request waiting for a free connection, oldest first; read by index, since a server that falls far
  // behind makes this long and Array#shift would then cost the client more than the server it measures.
  const backlog: number[] = []
  let backlogHead = 0
  let allAnswered!: () => void
  const done = new Promise<void>((resolve) => (allAnswered = resolve))
  // The opening: one answer awaited per connection before the schedule starts (a non-200 or a broken connection there
  // fails the run's first requests instead: it is counted in `failures`).
  let opening = connections
  let opened!: () => void
  const allOpened = new Promise<void>((resolve) => (opened = resolve))
  const openingAnswered = (conn: Connection, good: boolean) => {
    if (conn.openingDone) return
    conn.openingDone = true
    if (!good) failures++
    if (--opening === 0) opened()
  }

  const settle = (conn: Connection, status: number) => {
    if (opening > 0) return openingAnswered(conn, status === 200)
    if (status === 200) latencies[ok++] = clock() - conn.since
    else failures++
    if (++answered === total) allAnswered()
    if (backlogHead === backlog.length) idle.push(conn)
    else send(conn, backlog[backlogHead++]!)
  }
  const send = (conn: Connection, since: number) => {
    conn.since = since
    conn.pending = []
    conn.pendingBytes = 0
    conn.bodyStart = -1
    conn.socket.write(request)
  }
  const onData = (conn: Connection, chunk: Buffer) => {
    conn.pending.push(chunk)
    conn.pendingBytes += chunk.length
    const all = conn.pending.length === 1 ? chunk : Buffer.concat(conn.pending, conn.pendingBytes)
    if (conn.pending.length > 1) conn.pending = [all]
    if (conn.bodyStart === -1) {
      const end = all.indexOf(HEADER_END)
      if (end === -1) return
      const head = all.toString('latin1', 0, end)
      conn.status = Number(head.slice(9, 12))
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)
      conn.bodyStart = end + 4
      conn.bodyLength = length ? Number(length[1]) : /\r\ntransfer-encoding:\s*chunked/i.test(head) ? -1 : 0
    }
    const complete =
      conn.bodyLength === -1 ? all.length - conn.bodyStart >= 5 && all.subarray(all.length - 5).equals(LAST_CHUNK) : all.length - conn.bodyStart >= conn.bodyLength
    if (complete) settle(conn, conn.status)
  }

  const openingStartedAt = clock()
  const sockets = await Promise.all(
    Array.from(
      { length: connections },
      () =>
        new Promise<Connection>((resolve, reject) => {
          const socket = connect({ port, host: '127.0.0.1', noDelay: true })
          const conn: Connection = { socket, since: 0, pending: [], pendingBytes: 0, bodyStart: -1, bodyLength: 0, status: 0, openingDone: false }
          socket.once('connect', () => resolve(conn))
          socket.once('error', reject)
          socket.on('data', (chunk: Buffer) => onData(conn, chunk))
        }),
    ),
  )
  for (const conn of sockets) {
    conn.socket.removeAllListeners('error')
    // A broken connection fails what it carried and leaves the pool; the rest of the schedule runs on the others.
    conn.socket.once('close', () => {
      if (opening > 0) return openingAnswered(conn, false)
      const at = idle.indexOf(conn)
      if (at === -1) {
        failures++
        if (++answered === total) allAnswered()
      } else idle.splice(at, 1)
    })
    conn.socket.on('error', () => {})
    send(conn, 0)
  }
  // A server that does not answer the opening at all fails the run loudly rather than hanging the benchmark.
  let openingTimer: ReturnType<typeof setTimeout> | undefined
  const openingTimedOut = await Promise.race([allOpened.then(() => false), new Promise<boolean>((resolve) => (openingTimer = setTimeout(() => resolve(true), DRAIN_MS)))])
  clearTimeout(openingTimer)
  if (openingTimedOut) {
    for (const conn of sockets) conn.socket.destroy()
    throw new Error(`${opening} of ${connections} connections had no answer to their opening request within ${DRAIN_MS} ms`)
  }
  const openingMs = clock() - openingStartedAt
  for (const conn of sockets) if (!conn.socket.destroyed) idle.push(conn)

  const interval = 1000 / rate
  const startedAt = clock()
  let issued = 0
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = clock()
      const due = Math.min(total, Math.floor((now - startedAt) / interval) + 1)
      for (; issued < due; issued++) {
        const conn = idle.pop()
        if (conn) send(conn, now)
        else backlog.push(now)
      }
      if (issued < total) setTimeout(tick, Math.max(0, startedAt + issued * interval - clock()))
      else resolve()
    }
    tick()
  })
  const achievedRate = total / ((clock() - startedAt) / 1000)
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_MS)))])
  clearTimeout(timer)
  const span = { from: performance.timeOrigin + startedAt, to: performance.timeOrigin + clock() }
  failures += total - answered
  for (const conn of sockets) conn.socket.destroy()
  return { ok, failures, latencies, achievedRate, openingMs, span }
}
