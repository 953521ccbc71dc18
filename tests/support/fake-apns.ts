/**
 * A local APNs for the adapter tests: an HTTP/2 server in cleartext (h2c) on 127.0.0.1, as APNs is HTTP/2 only.
 * `POST /3/device/<token>` must carry `authorization: bearer <JWT>`: an ES256 JWT VERIFIED with the .p8 key's public
 * half, `kid` = key id, `iss` = team id; plus apns-topic and apns-push-type. Tokens starting with `dead-` answer 410
 * Unregistered, `bad-` 400 BadDeviceToken. `expireTokens()` makes every JWT seen so far answer 403
 * ExpiredProviderToken; `failNext(status, reason)` injects one answer.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto'
import http2 from 'node:http2'
import type { AddressInfo } from 'node:net'

export interface ApnsRequest {
  headers: http2.IncomingHttpHeaders
  token: string
  body: Record<string, any>
  jwt: string
}

export interface FakeApns {
  url: string
  keyId: string
  teamId: string
  /** The .p8 file content. */
  privateKeyPem: string
  requests: ApnsRequest[]
  /** HTTP/2 sessions (connections) opened so far. */
  sessions(): number
  expireTokens(): void
  failNext(status: number, reason: string): void
  close(): Promise<void>
}

const b64url = (text: string) => Buffer.from(text, 'base64url')

export async function startFakeApns(): Promise<FakeApns> {
  const keyId = 'ABC123DEFG'
  const teamId = 'TEAM123456'
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const verifyKey = await crypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])
  const requests: ApnsRequest[] = []
  const expired = new Set<string>()
  let injected: { status: number; reason: string } | undefined

  async function checkJwt(authorization: string | undefined): Promise<string | undefined> {
    const jwt = /^bearer (.+)$/.exec(authorization ?? '')?.[1]
    if (!jwt) return 'MissingProviderToken'
    const [header = '', claims = '', signature = ''] = jwt.split('.')
    const ok = await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, verifyKey, b64url(signature), new TextEncoder().encode(`${header}.${claims}`))
    const h = JSON.parse(b64url(header).toString()) as Record<string, unknown>
    const c = JSON.parse(b64url(claims).toString()) as Record<string, unknown>
    if (!ok || h.alg !== 'ES256' || h.kid !== keyId || c.iss !== teamId || typeof c.iat !== 'number') return 'InvalidProviderToken'
    if (expired.has(jwt)) return 'ExpiredProviderToken'
    return undefined
  }

  const server = http2.createServer()
  let sessions = 0
  server.on('session', () => sessions++)
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = []
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', async () => {
      const answer = (status: number, reason?: string) => {
        stream.respond({ ':status': status, 'apns-id': randomUUID(), 'content-type': 'application/json' })
        stream.end(reason ? JSON.stringify({ reason }) : '')
      }
      const token = String(headers[':path']).replace(/^\/3\/device\//, '')
      const jwt = String(headers.authorization ?? '').replace(/^bearer /, '')
      requests.push({ headers, token, body: JSON.parse(Buffer.concat(chunks).toString() || '{}'), jwt })
      if (injected) {
        const { status, reason } = injected
        injected = undefined
        return answer(status, reason)
      }
      const problem = await checkJwt(headers.authorization as string | undefined)
      if (problem) return answer(403, problem)
      if (!headers['apns-topic']) return answer(400, 'MissingTopic')
      if (!headers['apns-push-type']) return answer(400, 'InvalidPushType')
      if (token.startsWith('dead-')) return answer(410, 'Unregistered')
      if (token.startsWith('bad-')) return answer(400, 'BadDeviceToken')
      answer(200)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    keyId,
    teamId,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    requests,
    sessions: () => sessions,
    expireTokens: () => requests.forEach((r) => expired.add(r.jwt)),
    failNext(status: number, reason: string) {
      injected = { status, reason }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
