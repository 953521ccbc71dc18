/**
 * A local SendGrid v3 Mail Send for the adapter tests: `POST /v3/mail/send` with `Authorization: Bearer <key>`,
 * answering 202 with an empty body and `X-Message-Id` like SendGrid, or 400 `{errors:[{field,message}]}` when a
 * recipient has no `@`. Plus `signEvents()`, which signs an Event Webhook batch the way SendGrid does (ECDSA P-256,
 * SHA-256 over timestamp + body, base64 DER) with a key whose SPKI is `publicKey`.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto'
import { startFakeEndpoint, type FakeEndpoint } from './fake-endpoint.ts'

export interface FakeSendGrid extends FakeEndpoint {
  apiKey: string
  /** Base64 DER SPKI, as SendGrid shows it in the Event Webhook settings. */
  publicKey: string
  signEvents(rawBody: string, timestamp: number): Headers
}

export async function startFakeSendGrid(): Promise<FakeSendGrid> {
  const apiKey = 'SG.fake-key.secret'
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const endpoint = await startFakeEndpoint((request) => {
    if (request.headers.authorization !== `Bearer ${apiKey}`) return { status: 401, body: { errors: [{ field: null, message: 'authorization required' }] } }
    if (request.method !== 'POST' || request.path !== '/v3/mail/send') return { status: 404, body: { errors: [{ field: null, message: 'not found' }] } }
    const body = JSON.parse(request.rawBody) as { personalizations: Array<{ to: Array<{ email: string }> }> }
    if (!body.personalizations.every((p) => p.to.every((t) => t.email.includes('@')))) {
      return { status: 400, body: { errors: [{ field: 'personalizations.0.to.0.email', message: 'Does not contain a valid address.' }] } }
    }
    return { status: 202, headers: { 'x-message-id': randomBytes(16).toString('base64url') } }
  })
  return Object.assign(endpoint, {
    apiKey,
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
    signEvents(rawBody: string, timestamp: number) {
      const signature = sign('sha256', Buffer.from(String(timestamp) + rawBody), privateKey).toString('base64') // DER
      return new Headers({
        'content-type': 'application/json',
        'X-Twilio-Email-Event-Webhook-Signature': signature,
        'X-Twilio-Email-Event-Webhook-Timestamp': String(timestamp),
      })
    },
  })
}
