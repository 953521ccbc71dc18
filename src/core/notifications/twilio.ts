/**
 * SMS through Twilio's Messages API over fetch: HTTP Basic `AccountSid:AuthToken`, a form body, 201 with the
 * message `sid`. Twilio has no idempotency key on create, so the queue must not resend a message whose first
 * attempt timed out without checking (an `outage` here may have been sent: reconcile by sid when it matters).
 *
 * Guarantees: status callbacks are trusted only with a valid `X-Twilio-Signature` = base64(HMAC-SHA1(authToken,
 * url + sorted params as key+value)), checked in constant time by WebCrypto, over the URL Twilio called (with and
 * without its default port, as Twilio's own library accepts); JSON callbacks are checked through `bodySHA256`.
 */
import { basicAuth, fromBase64, hmac, sha256Hex, toBase64, verifyHmac } from './crypto.ts'
import { defaultFetch, fetchText, parseJson, statusError, type FetchLike } from './http.ts'
import {
  NotificationError,
  unauthorized,
  type DeliveryEvent,
  type DeliveryStatus,
  type DeliveryWebhookRequest,
  type SmsMessage,
  type SmsProvider,
} from './provider.ts'

export interface TwilioProviderOptions {
  /** TWILIO_ACCOUNT_SID (AC…). */
  accountSid: string
  /** TWILIO_AUTH_TOKEN: API password and callback signing key. */
  authToken: string
  /** TWILIO_FROM: an E.164 number, an alphanumeric sender id, or a Messaging Service SID (MG…). */
  from: string
  /** TWILIO_BASE_URL; default https://api.twilio.com. */
  baseUrl?: string
  fetch?: FetchLike
  timeoutMs?: number
  now?: () => Date
}

const CALLBACK_STATUS: Record<string, DeliveryStatus> = {
  sent: 'sent',
  delivered: 'delivered',
  undelivered: 'failed',
  failed: 'failed',
}

/** Twilio error codes that are about the recipient or content, whatever the HTTP status says. */
const REJECTED_CODES = new Set([21211, 21212, 21408, 21610, 21612, 21614, 21617, 21635, 30003, 30004, 30005, 30006, 30007])

const encoder = new TextEncoder()

/** The string Twilio signs: the URL, then each parameter as key+value in key order (repeated values sorted). */
export function twilioSignedString(url: string, params: URLSearchParams | Record<string, string>): string {
  const search = params instanceof URLSearchParams ? params : new URLSearchParams(params)
  const keys = [...new Set(search.keys())].sort()
  let out = url
  for (const key of keys) for (const value of [...new Set(search.getAll(key))].sort()) out += key + value
  return out
}

export async function twilioSignature(authToken: string, url: string, params: URLSearchParams | Record<string, string>): Promise<string> {
  return toBase64(await hmac('SHA-1', encoder.encode(authToken), twilioSignedString(url, params)))
}

/** The URL as given, and with its default port added or removed: Twilio may have signed either form. */
function urlVariants(url: string): string[] {
  const match = /^(https?:\/\/[^/?#:]+)(?::(\d+))?(.*)$/i.exec(url)
  if (!match) return [url]
  const [, origin, port, rest = ''] = match
  const defaultPort = /^https:/i.test(url) ? '443' : '80'
  if (port === undefined) return [url, `${origin}:${defaultPort}${rest}`]
  return port === defaultPort ? [url, `${origin}${rest}`] : [url]
}

export function twilioProvider(options: TwilioProviderOptions): SmsProvider {
  const { accountSid, authToken, from, timeoutMs = 15_000, now = () => new Date() } = options
  const baseUrl = (options.baseUrl ?? 'https://api.twilio.com').replace(/\/$/, '')
  const fetchFn = options.fetch ?? defaultFetch
  const authorization = basicAuth(accountSid, authToken)

  async function send(message: SmsMessage) {
    const form = new URLSearchParams({ To: message.to, Body: message.body })
    form.set(/^MG[0-9a-f]{32}$/i.test(from) ? 'MessagingServiceSid' : 'From', from)
    if (message.statusCallbackUrl) form.set('StatusCallback', message.statusCallbackUrl)
    const answer = await fetchText(fetchFn, 'twilio', `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`, {
      method: 'POST',
      headers: { authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      timeoutMs,
    })
    const body = parseJson(answer.text) as { sid?: string; status?: string; code?: number } | undefined
    if (answer.status === 201 || answer.status === 200) {
      if (!body?.sid) throw new NotificationError('outage', 'twilio', 'answered without a message sid')
      return { providerMessageId: body.sid, status: body.status === 'sent' ? ('sent' as const) : ('queued' as const) }
    }
    const code = typeof body?.code === 'number' ? body.code : undefined
    if (code !== undefined && REJECTED_CODES.has(code)) throw new NotificationError('rejected', 'twilio', `answered ${answer.status} (error ${code})`)
    // Twilio's messages quote the number; only the error code (documented at twilio.com/docs/errors/<code>) is kept.
    throw statusError('twilio', answer.status, answer.headers, code === undefined ? undefined : `error ${code}`)
  }

  async function verifyDeliveryWebhook(request: DeliveryWebhookRequest): Promise<DeliveryEvent[]> {
    const signature = fromBase64(request.headers.get('x-twilio-signature') ?? '')
    if (!signature || signature.length !== 20) throw unauthorized('twilio', 'missing or malformed X-Twilio-Signature')
    const url = new URL(request.url)
    const bodyHash = url.searchParams.get('bodySHA256')
    let params = new URLSearchParams()
    if (bodyHash !== null) {
      if ((await sha256Hex(request.rawBody)) !== bodyHash.toLowerCase()) throw unauthorized('twilio', 'body does not match bodySHA256')
    } else {
      params = new URLSearchParams(request.rawBody)
    }
    const key = encoder.encode(authToken)
    let valid = false
    for (const candidate of urlVariants(request.url)) {
      if (await verifyHmac('SHA-1', key, twilioSignedString(candidate, params), signature)) {
        valid = true
        break
      }
    }
    if (!valid) throw unauthorized('twilio', 'bad signature')
    const fields = bodyHash !== null ? new URLSearchParams(Object.entries((parseJson(request.rawBody) ?? {}) as Record<string, string>)) : params
    const sid = fields.get('MessageSid') ?? fields.get('SmsSid')
    const reported = fields.get('MessageStatus') ?? fields.get('SmsStatus') ?? ''
    const status = CALLBACK_STATUS[reported]
    if (!sid || !status) return []
    const errorCode = fields.get('ErrorCode')
    return [
      {
        provider: 'twilio',
        // Twilio retries a callback with the same idempotency token; without one, sid+status is unique enough.
        eventId: request.headers.get('i-twilio-idempotency-token') ?? `${sid}:${reported}`,
        providerMessageId: sid,
        status,
        occurredAt: now(), // status callbacks carry no timestamp
        ...(errorCode ? { reason: `error ${errorCode}` } : {}),
      },
    ]
  }

  return { channel: 'sms', name: 'twilio', send, verifyDeliveryWebhook }
}
