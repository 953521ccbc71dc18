/**
 * A local Google OAuth token endpoint and FCM HTTP v1 for the adapter tests, on one server.
 * - `POST /token`: a jwt-bearer grant whose assertion must be an RS256 JWT VERIFIED with the service account's
 *   public key, with `iss` = client_email, the firebase.messaging scope, `aud` = this token URL and a lifetime of at
 *   most 1 h; answers `{access_token, expires_in}` (`expiresIn` is a test lever).
 * - `POST /v1/projects/<id>/messages:send`: needs a token this server issued (`revoke()` invalidates them all),
 *   refuses non-string data values (400 INVALID_ARGUMENT), answers 404 UNREGISTERED for tokens starting with
 *   `dead-`, otherwise `{name: projects/<id>/messages/<n>}`.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { startFakeEndpoint, type FakeEndpoint } from './fake-endpoint.ts'

export interface FakeFcm extends FakeEndpoint {
  serviceAccountJson: string
  projectId: string
  tokenUrl: string
  expiresIn: number
  /** Assertions that passed verification, decoded. */
  grants: Array<{ header: Record<string, unknown>; claims: Record<string, unknown> }>
  revoke(): void
}

const b64url = (text: string) => Buffer.from(text, 'base64url')
const fcmError = (status: number, code: string, errorCode?: string) => ({
  status,
  body: { error: { code: status, message: code, status: code, details: errorCode ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode }] : [] } },
})

export async function startFakeFcm(): Promise<FakeFcm> {
  const projectId = 'kamhub-test'
  const clientEmail = 'push@kamhub-test.iam.gserviceaccount.com'
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const verifyKey = await crypto.subtle.importKey('spki', publicKey.export({ type: 'spki', format: 'der' }), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify'])
  const issued = new Set<string>()
  const grants: FakeFcm['grants'] = []
  let counter = 0

  async function grant(form: URLSearchParams) {
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { status: 400, body: { error: 'unsupported_grant_type' } }
    const [header = '', claims = '', signature = ''] = (form.get('assertion') ?? '').split('.')
    const valid = await crypto.subtle.verify('RSASSA-PKCS1-v1_5', verifyKey, b64url(signature), new TextEncoder().encode(`${header}.${claims}`))
    if (!valid) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } }
    const h = JSON.parse(b64url(header).toString()) as Record<string, any>
    const c = JSON.parse(b64url(claims).toString()) as Record<string, any>
    const ok = h.alg === 'RS256' && c.iss === clientEmail && c.scope === 'https://www.googleapis.com/auth/firebase.messaging' && c.aud === fake.tokenUrl && c.exp - c.iat <= 3600 && c.exp > Date.now() / 1000
    if (!ok) return { status: 400, body: { error: 'invalid_grant', error_description: 'bad claims' } }
    grants.push({ header: h, claims: c })
    const token = `ya29.${randomBytes(12).toString('hex')}`
    issued.add(token)
    return { status: 200, body: { access_token: token, expires_in: fake.expiresIn, token_type: 'Bearer' } }
  }

  const endpoint = await startFakeEndpoint(async (request) => {
    if (request.path === '/token') return grant(new URLSearchParams(request.rawBody))
    if (request.path !== `/v1/projects/${projectId}/messages:send`) return fcmError(404, 'NOT_FOUND')
    if (!issued.has((request.headers.authorization ?? '').replace(/^Bearer /, ''))) return fcmError(401, 'UNAUTHENTICATED')
    const { message } = JSON.parse(request.rawBody) as { message: { token: string; data?: Record<string, unknown> } }
    if (Object.values(message.data ?? {}).some((v) => typeof v !== 'string')) return fcmError(400, 'INVALID_ARGUMENT', 'INVALID_ARGUMENT')
    if (message.token.startsWith('dead-')) return fcmError(404, 'NOT_FOUND', 'UNREGISTERED')
    return { status: 200, body: { name: `projects/${projectId}/messages/${++counter}` } }
  })
  const fake: FakeFcm = Object.assign(endpoint, {
    projectId,
    tokenUrl: `${endpoint.url}/token`,
    expiresIn: 3599,
    grants,
    // As in a downloaded key file: the PEM's newlines are `\n` escapes inside the JSON string.
    serviceAccountJson: JSON.stringify({
      type: 'service_account',
      project_id: projectId,
      private_key_id: 'key-1',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: clientEmail,
      token_uri: `${endpoint.url}/token`,
    }),
    revoke: () => issued.clear(),
  })
  return fake
}
