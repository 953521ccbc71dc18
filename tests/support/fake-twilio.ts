/**
 * A local Twilio Messages API for the adapter tests: `POST /2010-04-01/Accounts/{sid}/Messages.json` with HTTP
 * Basic `AccountSid:AuthToken` and a form body, answering 201 `{sid, status:'queued'}`, or Twilio's 400 error
 * `{code:21211,…}` for a `To` that is not E.164. `signCallback()` signs a status callback as Twilio does.
 */
import { createHmac, randomBytes } from 'node:crypto'
import { startFakeEndpoint, type FakeEndpoint } from './fake-endpoint.ts'

export interface FakeTwilio extends FakeEndpoint {
  accountSid: string
  authToken: string
  signCallback(url: string, params: Record<string, string>): string
}

export async function startFakeTwilio(): Promise<FakeTwilio> {
  const accountSid = 'AC' + 'a'.repeat(32)
  const authToken = 'twilio-test-auth-token'
  const endpoint = await startFakeEndpoint((request) => {
    if (request.headers.authorization !== 'Basic ' + Buffer.from(`${accountSid}:${authToken}`).toString('base64')) {
      return { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } }
    }
    if (request.method !== 'POST' || request.path !== `/2010-04-01/Accounts/${accountSid}/Messages.json`) return { status: 404, body: { code: 20404, status: 404 } }
    const form = new URLSearchParams(request.rawBody)
    if (!/^\+[1-9]\d{6,14}$/.test(form.get('To') ?? '')) {
      return { status: 400, body: { code: 21211, message: `The 'To' number ${form.get('To')} is not a valid phone number.`, status: 400 } }
    }
    return { status: 201, body: { sid: 'SM' + randomBytes(16).toString('hex'), status: 'queued', to: form.get('To'), body: form.get('Body') } }
  })
  return Object.assign(endpoint, {
    accountSid,
    authToken,
    signCallback(url: string, params: Record<string, string>) {
      const data = Object.keys(params).sort().reduce((acc, key) => acc + key + params[key], url)
      return createHmac('sha1', authToken).update(data).digest('base64')
    },
  })
}
