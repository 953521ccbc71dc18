/**
 * Push to iOS through APNs directly (Node and Deno only: APNs speaks HTTP/2 only, which Node's fetch and Workers
 * cannot; on Workers send iOS pushes through FCM's `apns` block). One long-lived `node:http2` session per provider,
 * reopened when it closes; token auth with an ES256 JWT (`kid` = key id, `iss` = team id) signed by WebCrypto.
 *
 * Guarantees: one JWT is reused for 50 minutes (APNs refuses tokens older than an hour and throttles regeneration
 * more often than every 20 minutes), regenerated early only when APNs says it expired; 410 `Unregistered` is
 * `gone` (delete the token); 429 is rate_limited; 5xx and connection failures are outages.
 */
import http2 from 'node:http2'
import { pemToDer, signJwt } from './crypto.ts'
import { NotificationError, type PushMessage, type PushProvider } from './provider.ts'

export interface ApnsProviderOptions {
  /** APNS_KEY_ID: the 10-character id of the .p8 key. */
  keyId: string
  /** APNS_TEAM_ID. */
  teamId: string
  /** APNS_PRIVATE_KEY: the .p8 file's PEM (PKCS#8 P-256); `\n` escapes are accepted. */
  privateKey: string
  /** APNS_TOPIC: the bundle id, used when a device carries no topic. */
  defaultTopic?: string
  /** APNS_BASE_URL; default https://api.push.apple.com (sandbox: https://api.sandbox.push.apple.com). */
  baseUrl?: string
  timeoutMs?: number
  now?: () => Date
}

const TOKEN_REUSE_MS = 50 * 60_000

interface ApnsAnswer {
  status: number
  headers: http2.IncomingHttpHeaders
  body: string
}

export function apnsProvider(options: ApnsProviderOptions): PushProvider & { close(): Promise<void> } {
  const { keyId, teamId, defaultTopic, timeoutMs = 15_000, now = () => new Date() } = options
  const baseUrl = (options.baseUrl ?? 'https://api.push.apple.com').replace(/\/$/, '')
  let signingKey: Promise<CryptoKey> | undefined
  let jwt: { value: string; issuedAt: number } | undefined
  let session: http2.ClientHttp2Session | undefined

  async function providerToken(forceNew = false): Promise<string> {
    if (!forceNew && jwt && now().getTime() - jwt.issuedAt < TOKEN_REUSE_MS) return jwt.value
    signingKey ??= crypto.subtle.importKey('pkcs8', pemToDer(options.privateKey), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign'])
    const issuedAt = now().getTime()
    jwt = { value: await signJwt(await signingKey, { alg: 'ES256', kid: keyId }, { iss: teamId, iat: Math.floor(issuedAt / 1000) }), issuedAt }
    return jwt.value
  }

  function connection(): http2.ClientHttp2Session {
    if (session && !session.closed && !session.destroyed) return session
    const opened = http2.connect(baseUrl)
    opened.on('error', () => {}) // surfaced on the stream; a dead session is replaced on the next send
    opened.on('close', () => {
      if (session === opened) session = undefined
    })
    opened.on('goaway', () => {
      if (session === opened) session = undefined
    })
    opened.unref() // an idle session does not keep the process alive
    session = opened
    return opened
  }

  function request(path: string, headers: Record<string, string>, body: string): Promise<ApnsAnswer> {
    return new Promise((resolve, reject) => {
      let stream: http2.ClientHttp2Stream
      try {
        stream = connection().request({ ':method': 'POST', ':path': path, ...headers })
      } catch (error) {
        return reject(error)
      }
      let status = 0
      let responseHeaders: http2.IncomingHttpHeaders = {}
      const chunks: Buffer[] = []
      stream.setTimeout(timeoutMs, () => stream.close(http2.constants.NGHTTP2_CANCEL, () => reject(new Error('timeout'))))
      stream.on('response', (h) => {
        status = Number(h[':status'])
        responseHeaders = h
      })
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks).toString('utf8') }))
      stream.on('error', reject)
      stream.end(body)
    })
  }

  async function deliver(message: PushMessage, token: string, topic: string, refreshed: boolean): Promise<{ providerMessageId: string; status: 'sent' }> {
    const immediate = message.urgency === 'high' || message.urgency === 'normal'
    const headers: Record<string, string> = {
      authorization: `bearer ${await providerToken(refreshed)}`,
      'apns-topic': topic,
      'apns-push-type': 'alert',
      'apns-priority': immediate ? '10' : '5',
      'apns-expiration': String(message.ttlSeconds === 0 ? 0 : Math.floor(now().getTime() / 1000) + message.ttlSeconds),
      'content-type': 'application/json',
      ...(message.collapseKey ? { 'apns-collapse-id': message.collapseKey.slice(0, 64) } : {}),
    }
    const payload = JSON.stringify({ ...(message.data ?? {}), aps: { alert: { title: message.title, body: message.body }, sound: 'default' } })
    let answer: ApnsAnswer
    try {
      answer = await request(`/3/device/${encodeURIComponent(token)}`, headers, payload)
    } catch (error) {
      session?.destroy()
      session = undefined
      throw new NotificationError('outage', 'apns', (error as Error).message === 'timeout' ? 'did not answer in time' : 'could not be reached')
    }
    if (answer.status === 200) {
      const id = answer.headers['apns-id']
      return { providerMessageId: typeof id === 'string' ? id : `apns:${crypto.randomUUID()}`, status: 'sent' }
    }
    const reason = (() => {
      try {
        return String((JSON.parse(answer.body) as { reason?: string }).reason ?? '')
      } catch {
        return ''
      }
    })()
    if (answer.status === 403 && (reason === 'ExpiredProviderToken' || reason === 'InvalidProviderToken') && !refreshed) {
      return deliver(message, token, topic, true)
    }
    const detail = `answered ${answer.status}${reason ? ` ${reason}` : ''}`
    if (answer.status === 410 || reason === 'Unregistered') throw new NotificationError('gone', 'apns', detail)
    if (answer.status === 429) throw new NotificationError('rate_limited', 'apns', detail)
    if (answer.status >= 500 || answer.status === 403) throw new NotificationError('outage', 'apns', detail)
    // 400 BadDeviceToken is rejected, not gone: it is also what a sandbox token says to production (a config error
    // that must not delete every iOS device).
    throw new NotificationError('rejected', 'apns', detail)
  }

  async function send(message: PushMessage) {
    const device = message.device
    if (device.kind !== 'apns') throw new NotificationError('rejected', 'apns', `cannot reach a ${device.kind} device`)
    const topic = device.topic || defaultTopic
    if (!topic) throw new NotificationError('rejected', 'apns', 'no topic (bundle id) for the device')
    return deliver(message, device.token, topic, false)
  }

  async function close() {
    const open = session
    session = undefined
    if (open && !open.closed) await new Promise<void>((resolve) => open.close(() => resolve()))
  }

  return { channel: 'push', name: 'apns', deviceKinds: ['apns'], send, close }
}
