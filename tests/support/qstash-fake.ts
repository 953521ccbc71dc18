/**
 * A local QStash for tests: node:http on 127.0.0.1 (port 0) that speaks the publish API the SDK uses —
 * `POST /v2/publish/<destination>` and `POST /v2/batch` — checks the bearer token, records every message, honours
 * `Upstash-Deduplication-Id` (an id seen before is accepted, answered `deduplicated`, and not enqueued), and delivers
 * each message to its destination as QStash does: the body as published, `Upstash-Signature` (an HS256 JWT minted
 * with jose in the Receiver's format: iss "Upstash", sub = destination, body = base64url SHA-256 of the body, iat,
 * nbf, exp 5 min, jti), `Upstash-Message-Id`, `Upstash-Retried`, forwarded headers. A non-2xx answer is retried up
 * to `Upstash-Retries` times; the delay QStash would wait (Retry-After, else its backoff) is recorded, not slept:
 * the fake compresses time so tests stay fast. Flow control is honoured: at most `parallelism` deliveries of one
 * key run at once.
 *
 * Test levers: `down()` refuses publishes (503), `acceptThenFail()` enqueues but answers 500 (the ambiguous
 * failure), `hold()` keeps messages until `release()`, `loseNext()` accepts and never delivers. `idle()` resolves
 * when nothing is in flight — await it instead of sleeping.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createHash, randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { SignJWT } from 'jose'

export interface FakeMessage {
  messageId: string
  destination: string
  body: string
  headers: Record<string, string>
  deduplicationId?: string
  retries: number
  flowControl?: { key: string; value: string }
  /** Each delivery attempt: its Upstash-Retried, the answer's status, and the delay QStash would wait next. */
  attempts: Array<{ retried: number; status: number; retryAfter?: string | null }>
  state: 'queued' | 'held' | 'active' | 'delivered' | 'failed' | 'lost'
}

export interface QStashFake {
  url: string
  token: string
  currentSigningKey: string
  nextSigningKey: string
  messages: FakeMessage[]
  /** Publish calls (a batch is one), with what was answered. */
  calls: Array<{ path: string; status: number; messages: number }>
  /** Which key signs deliveries (rotation tests). */
  signWith(key: 'current' | 'next' | string): void
  down(): void
  acceptThenFail(): void
  up(): void
  hold(): void
  /** Delivers what `hold()` kept and stops holding. */
  release(): void
  loseNext(count?: number): void
  idle(): Promise<void>
  close(): Promise<void>
}

export interface QStashFakeOptions {
  /** How deliveries reach their destination (default: fetch). Tests of an in-process app pass `app.request`. */
  deliver?: (url: string, init: RequestInit) => Promise<Response>
  token?: string
  currentSigningKey?: string
  nextSigningKey?: string
  /** Retries of a message that sends no Upstash-Retries (QStash's default depends on the plan). */
  defaultRetries?: number
}

export async function startQStashFake(options: QStashFakeOptions = {}): Promise<QStashFake> {
  const token = options.token ?? `qstash-test-token-${randomUUID()}`
  const currentSigningKey = options.currentSigningKey ?? `sig_current_${randomUUID()}`
  const nextSigningKey = options.nextSigningKey ?? `sig_next_${randomUUID()}`
  const deliver = options.deliver ?? ((url, init) => fetch(url, init))
  const messages: FakeMessage[] = []
  const calls: QStashFake['calls'] = []
  const dedupe = new Map<string, string>()
  let mode: 'up' | 'down' | 'accept-then-fail' = 'up'
  let holding = false
  let toLose = 0
  let signingKey = currentSigningKey
  let inFlight = 0
  let idleWaiters: Array<() => void> = []
  const running = new Map<string, number>()
  const waiting = new Map<string, FakeMessage[]>()

  function settle() {
    if (inFlight === 0) {
      const w = idleWaiters
      idleWaiters = []
      for (const resolve of w) resolve()
    }
  }

  function enqueue(m: FakeMessage) {
    if (toLose > 0) {
      toLose--
      m.state = 'lost'
      return
    }
    if (holding) {
      m.state = 'held'
      return
    }
    m.state = 'queued'
    inFlight++
    schedule(m)
  }

  function parallelismOf(m: FakeMessage): number {
    const match = /parallelism=(\d+)/.exec(m.flowControl?.value ?? '')
    return match ? Number(match[1]) : Number.POSITIVE_INFINITY
  }

  /** Starts a message now, or queues it behind its flow-control key. */
  function schedule(m: FakeMessage) {
    const key = m.flowControl?.key
    if (key && (running.get(key) ?? 0) >= parallelismOf(m)) {
      waiting.set(key, [...(waiting.get(key) ?? []), m])
      return
    }
    if (key) running.set(key, (running.get(key) ?? 0) + 1)
    void run(m).finally(() => {
      if (key) {
        running.set(key, (running.get(key) ?? 1) - 1)
        const next = waiting.get(key)?.shift()
        if (next) schedule(next)
      }
      inFlight--
      settle()
    })
  }

  async function run(m: FakeMessage) {
    m.state = 'active'
    for (let retried = 0; ; retried++) {
      let status: number
      let retryAfter: string | null = null
      try {
        const res = await deliver(m.destination, { method: 'POST', headers: await deliveryHeaders(m, retried), body: m.body })
        status = res.status
        retryAfter = res.headers.get('retry-after')
        await res.arrayBuffer().catch(() => undefined)
      } catch {
        status = 0 // no answer: QStash counts it as a failed attempt
      }
      m.attempts.push({ retried, status, retryAfter })
      if (status >= 200 && status < 300) {
        m.state = 'delivered'
        return
      }
      if (retried >= m.retries) {
        m.state = 'failed' // QStash would move it to the DLQ
        return
      }
    }
  }

  async function deliveryHeaders(m: FakeMessage, retried: number): Promise<Record<string, string>> {
    const forwarded = Object.fromEntries(
      Object.entries(m.headers)
        .filter(([k]) => k.toLowerCase().startsWith('upstash-forward-'))
        .map(([k, v]) => [k.slice('upstash-forward-'.length), v]),
    )
    return {
      ...forwarded,
      'content-type': m.headers['content-type'] ?? 'application/json',
      'user-agent': 'Upstash-QStash',
      'upstash-message-id': m.messageId,
      'upstash-retried': String(retried),
      'upstash-signature': await signQStashJwt({ key: signingKey, url: m.destination, body: m.body }),
    }
  }

  /** One message of a publish or a batch; answers what QStash answers for it. */
  function accept(destination: string, headers: Record<string, string>, body: string) {
    const deduplicationId = headers['upstash-deduplication-id']
    if (deduplicationId && dedupe.has(deduplicationId)) {
      return { messageId: dedupe.get(deduplicationId)!, url: destination, deduplicated: true }
    }
    const flowKey = headers['upstash-flow-control-key']
    const m: FakeMessage = {
      messageId: `msg_${randomUUID()}`,
      destination,
      body,
      headers,
      deduplicationId,
      retries: headers['upstash-retries'] !== undefined ? Number(headers['upstash-retries']) : options.defaultRetries ?? 3,
      ...(flowKey ? { flowControl: { key: flowKey, value: headers['upstash-flow-control-value'] ?? '' } } : {}),
      attempts: [],
      state: 'queued',
    }
    if (deduplicationId) dedupe.set(deduplicationId, m.messageId)
    messages.push(m)
    enqueue(m)
    return { messageId: m.messageId, url: destination }
  }

  const server = createServer((req, res) => {
    void handle(req, res).catch((error) => answer(res, 500, { error: String(error) }))
  })

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req)
    const path = req.url ?? ''
    if (req.headers.authorization !== `Bearer ${token}`) return answer(res, 401, { error: 'Unauthorized' })
    if (req.method !== 'POST') return answer(res, 405, { error: 'method not allowed' })
    const record = (status: number, count: number) => calls.push({ path: path.startsWith('/v2/batch') ? '/v2/batch' : '/v2/publish', status, messages: count })
    if (mode === 'down') {
      record(503, 0)
      return answer(res, 503, { error: 'service unavailable' })
    }
    let answers: unknown
    let count: number
    if (path === '/v2/batch') {
      const batch = JSON.parse(body) as Array<{ destination: string; headers?: Record<string, string>; body?: string }>
      answers = batch.map((item) => accept(item.destination, lowerCase(item.headers ?? {}), item.body ?? ''))
      count = batch.length
    } else if (path.startsWith('/v2/publish/')) {
      answers = accept(decodeURIComponentSafe(path.slice('/v2/publish/'.length)), lowerCase(req.headers as Record<string, string>), body)
      count = 1
    } else {
      return answer(res, 404, { error: `no route ${path}` })
    }
    if (mode === 'accept-then-fail') {
      record(500, count)
      return answer(res, 500, { error: 'internal error after enqueueing' })
    }
    record(200, count)
    answer(res, 200, answers)
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    currentSigningKey,
    nextSigningKey,
    messages,
    calls,
    signWith(key) {
      signingKey = key === 'current' ? currentSigningKey : key === 'next' ? nextSigningKey : key
    },
    down: () => void (mode = 'down'),
    acceptThenFail: () => void (mode = 'accept-then-fail'),
    up: () => void (mode = 'up'),
    hold: () => void (holding = true),
    release() {
      holding = false
      for (const m of messages.filter((x) => x.state === 'held')) {
        inFlight++
        schedule(m)
      }
    },
    loseNext(count = 1) {
      toLose += count
    },
    idle() {
      if (inFlight === 0) return Promise.resolve()
      return new Promise((resolve) => idleWaiters.push(resolve))
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/**
 * A JWT exactly as QStash signs a delivery. Tests pass other keys, URLs or times to forge, misdirect or age one, or
 * send another body than the one signed (tampering).
 */
export async function signQStashJwt({
  key,
  url,
  body,
  now = Math.floor(Date.now() / 1000),
  lifetimeSeconds = 300,
}: {
  key: string
  url: string
  body: string
  now?: number
  lifetimeSeconds?: number
}): Promise<string> {
  // Padded base64url, as QStash sends it; the Receiver compares without the padding.
  const hash = createHash('sha256').update(body).digest('base64url') + '='
  return new SignJWT({ body: hash })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('Upstash')
    .setSubject(url)
    .setIssuedAt(now)
    .setNotBefore(now)
    .setExpirationTime(now + lifetimeSeconds)
    .setJti(`jwt_${randomUUID().replace(/-/g, '')}`)
    .sign(new TextEncoder().encode(key))
}

function answer(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(body))
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function lowerCase(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers)
      .filter((e): e is [string, string | string[]] => e[1] !== undefined)
      .map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]),
  )
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s)
  } catch {
    return s
  }
}
