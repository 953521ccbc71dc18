/**
 * Push to Android (and iOS through FCM's `apns` block, the Workers path for iOS) with FCM HTTP v1 over fetch.
 * Auth is OAuth 2.0 for a service account: an RS256 JWT signed with WebCrypto is exchanged at the token URI for
 * an access token, cached until five minutes before it expires (one exchange in flight at a time).
 *
 * Guarantees: `UNREGISTERED`/404 and `SENDER_ID_MISMATCH` are `gone` (the token can never receive from us: delete
 * it); `INVALID_ARGUMENT` is rejected; `QUOTA_EXCEEDED` is rate_limited; `UNAVAILABLE`/`INTERNAL`/5xx and a failing
 * token exchange are outages; a 401 on send (token revoked early) refreshes the token and retries once.
 */
import { pemToDer, signJwt } from './crypto.ts'
import { defaultFetch, fetchText, parseJson, retryAfterSeconds, statusError, type FetchLike } from './http.ts'
import { NotificationError, type PushMessage, type PushProvider } from './provider.ts'

/** The fields of a Google service-account JSON key that FCM needs (FCM_SERVICE_ACCOUNT). */
export interface ServiceAccount {
  project_id: string
  client_email: string
  private_key: string
  private_key_id?: string
  token_uri?: string
}

export interface FcmProviderOptions {
  serviceAccount: ServiceAccount
  /** FCM_BASE_URL; default https://fcm.googleapis.com. */
  baseUrl?: string
  /** FCM_TOKEN_URL; default the service account's token_uri, else https://oauth2.googleapis.com/token. */
  tokenUrl?: string
  fetch?: FetchLike
  timeoutMs?: number
  now?: () => Date
}

const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging'

export function fcmProvider(options: FcmProviderOptions): PushProvider {
  const { serviceAccount, timeoutMs = 15_000, now = () => new Date() } = options
  const baseUrl = (options.baseUrl ?? 'https://fcm.googleapis.com').replace(/\/$/, '')
  const tokenUrl = options.tokenUrl ?? serviceAccount.token_uri ?? 'https://oauth2.googleapis.com/token'
  const fetchFn = options.fetch ?? defaultFetch
  let signingKey: Promise<CryptoKey> | undefined
  let cached: { token: string; refreshAt: number } | undefined
  let inFlight: Promise<string> | undefined

  async function exchange(): Promise<string> {
    signingKey ??= crypto.subtle.importKey('pkcs8', pemToDer(serviceAccount.private_key), { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign'])
    const iat = Math.floor(now().getTime() / 1000)
    const header = { alg: 'RS256', typ: 'JWT', ...(serviceAccount.private_key_id ? { kid: serviceAccount.private_key_id } : {}) }
    const assertion = await signJwt(await signingKey, header, { iss: serviceAccount.client_email, scope: SCOPE, aud: tokenUrl, iat, exp: iat + 3600 })
    const answer = await fetchText(fetchFn, 'fcm', tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
      timeoutMs,
    })
    const body = parseJson(answer.text) as { access_token?: string; expires_in?: number; error?: string } | undefined
    if (answer.status !== 200 || !body?.access_token) {
      // invalid_grant (a revoked key, a clock far off) is an outage for push as a whole, never a message problem.
      throw new NotificationError('outage', 'fcm', `token exchange answered ${answer.status}${body?.error ? ` (${body.error})` : ''}`)
    }
    const lifetime = typeof body.expires_in === 'number' ? body.expires_in : 3600
    cached = { token: body.access_token, refreshAt: now().getTime() + Math.max(0, lifetime - 300) * 1000 }
    return body.access_token
  }

  function accessToken(): Promise<string> {
    if (cached && now().getTime() < cached.refreshAt) return Promise.resolve(cached.token)
    inFlight ??= exchange().finally(() => {
      inFlight = undefined
    })
    return inFlight
  }

  function body(message: PushMessage, token: string) {
    const immediate = message.urgency === 'high' || message.urgency === 'normal'
    const expiration = message.ttlSeconds === 0 ? 0 : Math.floor(now().getTime() / 1000) + message.ttlSeconds
    return {
      message: {
        token,
        notification: { title: message.title, body: message.body },
        ...(message.data ? { data: message.data } : {}),
        android: {
          priority: message.urgency === 'high' ? 'HIGH' : 'NORMAL',
          ttl: `${message.ttlSeconds}s`,
          ...(message.collapseKey ? { collapse_key: message.collapseKey } : {}),
        },
        apns: {
          headers: {
            'apns-priority': immediate ? '10' : '5',
            'apns-expiration': String(expiration),
            ...(message.collapseKey ? { 'apns-collapse-id': message.collapseKey.slice(0, 64) } : {}),
          },
          payload: { aps: { sound: 'default' } },
        },
      },
    }
  }

  async function post(message: PushMessage, token: string, retried: boolean): Promise<{ providerMessageId: string; status: 'sent' }> {
    const answer = await fetchText(fetchFn, 'fcm', `${baseUrl}/v1/projects/${encodeURIComponent(serviceAccount.project_id)}/messages:send`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await accessToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify(body(message, token)),
      timeoutMs,
    })
    const parsed = parseJson(answer.text) as { name?: string; error?: { status?: string; details?: Array<{ errorCode?: string }> } } | undefined
    if (answer.status === 200 && parsed?.name) return { providerMessageId: parsed.name, status: 'sent' }
    if (answer.status === 401 && !retried) {
      cached = undefined
      return post(message, token, true)
    }
    const code = parsed?.error?.details?.find((d) => d.errorCode)?.errorCode ?? parsed?.error?.status
    switch (code) {
      case 'UNREGISTERED':
      case 'SENDER_ID_MISMATCH':
        throw new NotificationError('gone', 'fcm', `answered ${answer.status} ${code}`)
      case 'INVALID_ARGUMENT':
        throw new NotificationError('rejected', 'fcm', `answered ${answer.status} ${code}`)
      case 'QUOTA_EXCEEDED':
        throw new NotificationError('rate_limited', 'fcm', `answered ${answer.status} ${code}`, retryAfterSeconds(answer.headers))
      case 'UNAVAILABLE':
      case 'INTERNAL':
      case 'THIRD_PARTY_AUTH_ERROR':
        throw new NotificationError('outage', 'fcm', `answered ${answer.status} ${code}`, retryAfterSeconds(answer.headers))
    }
    throw statusError('fcm', answer.status, answer.headers, code, { goneOn404: true })
  }

  async function send(message: PushMessage) {
    if (message.device.kind !== 'fcm') throw new NotificationError('rejected', 'fcm', `cannot reach a ${message.device.kind} device`)
    return post(message, message.device.token, false)
  }

  return { channel: 'push', name: 'fcm', deviceKinds: ['fcm'], send }
}

/** FCM_SERVICE_ACCOUNT parsed and checked; the message names what is missing, never the key. */
export function parseServiceAccount(json: string): ServiceAccount {
  let value: Partial<ServiceAccount>
  try {
    value = JSON.parse(json) as Partial<ServiceAccount>
  } catch {
    throw new Error('is not JSON')
  }
  for (const field of ['project_id', 'client_email', 'private_key'] as const) {
    if (typeof value[field] !== 'string' || !value[field]) throw new Error(`lacks ${field}`)
  }
  return value as ServiceAccount
}
