/**
 * A local Upstash Redis REST server for tests: speaks the protocol `@upstash/redis` uses and runs every command on
 * the machine's real redis-server (127.0.0.1:6379), so the adapter is tested against Redis itself, not a fake.
 *
 * Protocol (the parts the SDK uses): `POST /` one command as a JSON array → `{result}` (200) or `{error}` (400);
 * `POST /pipeline` and `POST /multi-exec` an array of commands → an array of `{result}|{error}` (multi-exec runs
 * them in MULTI/EXEC, atomically); `Authorization: Bearer <token>` required (401 otherwise); with
 * `Upstash-Encoding: base64` every string in `result`, recursively, is base64 of its bytes.
 *
 * Replies keep Redis' raw shapes: ioredis' reply transformers (HGETALL → object, ZRANGE WITHSCORES → pairs) are
 * bypassed by a Command subclass, and bulk strings arrive as Buffers so binary values survive base64 exactly.
 * `pause()` makes the bridge refuse connections and `stall()` makes it accept requests and never answer, both
 * without touching Redis: "Upstash is down" and "Upstash is slow". `resume()` undoes either.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { Redis, Command } from 'ioredis'

export interface UpstashBridge {
  /** Base URL for `new Redis({ url, token })`. Stable across pause/resume. */
  url: string
  token: string
  /** The bridge's own connection to redis-server, for assertions (PTTL, EXISTS) and cleanup. */
  redis: Redis
  /** Stops listening and drops open connections: clients get ECONNREFUSED, as if Upstash were unreachable. */
  pause(): Promise<void>
  /** Accepts requests but answers none until `resume()` (which then drops them): a hung upstream. */
  stall(): void
  /** Back to normal after `pause()` or `stall()`; listens again on the same port. */
  resume(): Promise<void>
  close(): Promise<void>
}

export interface UpstashBridgeOptions {
  redisUrl?: string
  token?: string
}

/** Skips ioredis' per-command reply transformers: the bridge must hand back what Redis said, unreshaped. */
class RawCommand extends Command {
  override transformReply(result: Buffer | Buffer[]): Buffer | Buffer[] {
    return result
  }
}

type Reply = { result: unknown } | { error: string }

export async function startUpstashBridge({ redisUrl = 'redis://127.0.0.1:6379', token = randomBytes(16).toString('hex') }: UpstashBridgeOptions = {}): Promise<UpstashBridge> {
  const redis = new Redis(redisUrl, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
  try {
    await redis.connect()
    await redis.ping()
  } catch (error) {
    redis.disconnect()
    // Loud on purpose: these tests exist to run against a real Redis, and skipping would hide that they did not.
    throw new Error(`redis-server is not reachable at ${redisUrl} (.ci/run starts one; locally: redis-server --port 6379): ${(error as Error).message}`)
  }

  const sockets = new Set<Socket>()
  let stalled = false
  const held = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    if (stalled) return void held.add(res)
    handle(req, res).catch((error: unknown) => send(res, 500, { error: String((error as Error)?.message ?? error) }))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'POST') return send(res, 405, { error: 'Method not allowed' })
    if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: 'Unauthorized' })
    const base64 = String(req.headers['upstash-encoding'] ?? '').toLowerCase() === 'base64'
    let body: unknown
    try {
      body = JSON.parse(await readBody(req))
    } catch {
      return send(res, 400, { error: 'ERR failed to parse the request body as JSON' })
    }
    const path = new URL(req.url ?? '/', 'http://bridge').pathname.replace(/\/+$/, '') || '/'
    if (path === '/') {
      if (!isCommand(body)) return send(res, 400, { error: 'ERR the body must be one command: a non-empty JSON array' })
      const reply = await settle(run(body))
      return send(res, 'error' in reply ? 400 : 200, encodeReply(reply, base64))
    }
    if (path === '/pipeline' || path === '/multi-exec') {
      if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) {
        return send(res, 400, { error: 'ERR the body must be a non-empty JSON array of commands' })
      }
      const replies = path === '/pipeline' ? await Promise.all(body.map((c) => settle(run(c)))) : await transaction(body)
      if (!Array.isArray(replies)) return send(res, 400, replies)
      return send(res, 200, replies.map((r) => encodeReply(r, base64)))
    }
    return send(res, 404, { error: `Unknown path ${path}` })
  }

  function run(command: Array<string | number | boolean>): Promise<unknown> {
    const [name, ...args] = command.map(String)
    // replyEncoding null: strings stay Buffers (exact bytes) until encodeReply decides utf8 or base64.
    const cmd = new RawCommand(name!.toLowerCase(), args, { replyEncoding: null })
    void redis.sendCommand(cmd)
    return cmd.promise
  }

  /**
   * MULTI, the commands and EXEC are written back to back with no await between them, so no other request's
   * command can land inside the transaction on the shared connection.
   */
  async function transaction(commands: Array<Array<string | number | boolean>>): Promise<Reply[] | { error: string }> {
    const pending = [run(['MULTI']), ...commands.map(run), run(['EXEC'])].map(settle)
    const replies = await Promise.all(pending)
    const exec = replies.at(-1)!
    if ('error' in exec) {
      // EXECABORT: a command was rejected while queueing; report that command's error, as Redis' log would.
      const queued = replies.slice(1, -1).find((r) => 'error' in r)
      return { error: queued && 'error' in queued ? queued.error : exec.error }
    }
    const results = exec.result as unknown[]
    return results.map((r) => (r instanceof Error ? { error: r.message } : { result: r }))
  }

  await listen(server, 0)
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    redis,
    async pause() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const socket of sockets) socket.destroy()
      await closed
    },
    stall() {
      stalled = true
    },
    async resume() {
      stalled = false
      for (const res of held) res.destroy()
      held.clear()
      if (!server.listening) await listen(server, port)
    },
    async close() {
      for (const res of held) res.destroy()
      if (server.listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()))
        for (const socket of sockets) socket.destroy()
        await closed
      }
      redis.disconnect()
    },
  }
}

/** Deletes every key under `prefix` (SCAN + UNLINK), never anything else: the machine's Redis is shared. */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  if (!prefix || /[*?[\]\\]/.test(prefix)) throw new Error(`Refusing to delete by an empty or glob-like prefix: "${prefix}"`)
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
    cursor = next
    if (keys.length) deleted += await redis.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}

function isCommand(value: unknown): value is Array<string | number | boolean> {
  return Array.isArray(value) && value.length > 0 && typeof value[0] === 'string' && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))
}

async function settle(reply: Promise<unknown>): Promise<Reply> {
  try {
    return { result: await reply }
  } catch (error) {
    return { error: (error as Error).message }
  }
}

function encodeReply(reply: Reply, base64: boolean): Reply {
  return 'error' in reply ? reply : { result: encodeValue(reply.result, base64) }
}

/** Buffers (bulk and simple strings) become base64 or UTF-8 text; arrays recurse; integers and nil pass through. */
function encodeValue(value: unknown, base64: boolean): unknown {
  if (Buffer.isBuffer(value)) return base64 ? value.toString('base64') : value.toString('utf8')
  if (typeof value === 'string') return base64 ? Buffer.from(value).toString('base64') : value
  if (Array.isArray(value)) return value.map((v) => encodeValue(v, base64))
  if (value instanceof Error) return value.message
  return value ?? null
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
}
