/**
 * A local Web Push service (RFC 8030) for the adapter tests. `subscribe()` plays a browser: it makes a P-256 key
 * pair and an auth secret and returns the subscription the app would store. `POST /push/<id>` then checks what a
 * real push service checks — the VAPID header (`vapid t=<JWT>, k=<key>`: an ES256 JWT verified with `k`, `aud` the
 * service's origin, `exp` within 24 h, a mailto:/https: `sub`) — and, playing the browser again, DECRYPTS the
 * aes128gcm body with http_ece, so a test proves the round trip. Unknown or unsubscribed ids answer 410 Gone.
 */
import { createECDH, randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { startFakeEndpoint, type FakeEndpoint } from './fake-endpoint.ts'

const ece = createRequire(import.meta.url)('http_ece') as {
  decrypt(buffer: Buffer, params: { version: string; privateKey: unknown; authSecret: string }): Buffer
}

export interface ReceivedPush {
  subscriptionId: string
  headers: Record<string, string>
  plaintext: string
  jwtClaims: Record<string, unknown>
}

export interface FakePushService extends FakeEndpoint {
  subscribe(): { id: string; endpoint: string; keys: { p256dh: string; auth: string } }
  unsubscribe(id: string): void
  received: ReceivedPush[]
}

const b64url = (text: string) => Buffer.from(text, 'base64url')

export async function startFakePushService(options: { now?: () => number } = {}): Promise<FakePushService> {
  const now = options.now ?? (() => Date.now())
  const subscriptions = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: string }>()
  const received: ReceivedPush[] = []
  let origin = ''

  async function checkVapid(authorization: string | undefined): Promise<Record<string, unknown> | string> {
    const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '')
    if (!match) return 'no vapid authorization'
    const [header, claims, signature] = match[1]!.split('.')
    const key = await crypto.subtle.importKey('raw', b64url(match[2]!), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
    const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, b64url(signature ?? ''), new TextEncoder().encode(`${header}.${claims}`))
    if (!ok) return 'bad jwt signature'
    if (JSON.parse(b64url(header!).toString()).alg !== 'ES256') return 'not ES256'
    const payload = JSON.parse(b64url(claims!).toString()) as { aud?: string; exp?: number; sub?: string }
    const seconds = now() / 1000
    if (payload.aud !== origin) return `aud ${payload.aud} is not ${origin}`
    if (!payload.exp || payload.exp < seconds || payload.exp > seconds + 86_400) return 'exp out of range'
    if (!/^(mailto:|https:)/.test(payload.sub ?? '')) return 'bad sub'
    return payload
  }

  const endpoint = await startFakeEndpoint(async (request) => {
    const id = request.path.replace(/^\/push\//, '')
    const subscription = subscriptions.get(id)
    if (!subscription) return { status: 410, body: { reason: 'unsubscribed' } }
    const claims = await checkVapid(request.headers.authorization)
    if (typeof claims === 'string') return { status: 403, body: { reason: claims } }
    if (request.headers['content-encoding'] !== 'aes128gcm' || !request.headers.ttl) return { status: 400, body: { reason: 'headers' } }
    const plaintext = ece.decrypt(request.rawBytes, { version: 'aes128gcm', privateKey: subscription.ecdh, authSecret: subscription.auth }).toString('utf8')
    received.push({ subscriptionId: id, headers: request.headers, plaintext, jwtClaims: claims })
    return { status: 201, headers: { location: `${origin}/message/${randomBytes(8).toString('hex')}` } }
  })
  origin = endpoint.url

  return Object.assign(endpoint, {
    received,
    subscribe() {
      const ecdh = createECDH('prime256v1')
      ecdh.generateKeys()
      const id = randomBytes(8).toString('hex')
      const auth = randomBytes(16).toString('base64url')
      subscriptions.set(id, { ecdh, auth })
      return { id, endpoint: `${origin}/push/${id}`, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth } }
    },
    unsubscribe(id: string) {
      subscriptions.delete(id)
    },
  })
}
