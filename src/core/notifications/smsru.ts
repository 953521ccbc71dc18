/**
 * SMS through SMS.ru (https://sms.ru/api/send) over fetch: POST form `api_id`, `to` (digits, no `+`), `msg`,
 * `json=1`. The answer is `{status, status_code, sms:{<phone>:{status, status_code, sms_id}}, balance}`; status
 * codes other than 100 are classified below (codes from sms.ru's published list: 2xx/3xx are errors).
 *
 * Delivery callbacks are posted to the handler URL set in the SMS.ru cabinet as a form of `data[]` entries
 * `"sms_status\n<sms_id>\n<status>\n<unix time>"` plus `hash`; the handler must answer the text `100`
 * (SMSRU_CALLBACK_ANSWER) or SMS.ru repeats the callback. Authentication: the `hash` field, which a third-party
 * implementation checks as sha256_hex(api_id + entries joined) — NOT confirmed against SMS.ru's own docs — or,
 * more robustly, a secret we put in the handler URL (`?token=<callbackSecret>`). A callback passes when either
 * matches; with neither it is refused. SMS.ru has no idempotency key.
 */
import { sha256Hex } from './crypto.ts'
import { defaultFetch, fetchText, parseJson, statusError, type FetchLike } from './http.ts'
import {
  NotificationError,
  unauthorized,
  type DeliveryEvent,
  type DeliveryStatus,
  type DeliveryWebhookRequest,
  type NotificationErrorKind,
  type SmsMessage,
  type SmsProvider,
} from './provider.ts'

export interface SmsRuProviderOptions {
  /** SMSRU_API_ID. */
  apiId: string
  /** SMSRU_FROM: an approved sender name; default the account's. */
  from?: string
  /** SMSRU_CALLBACK_SECRET: expected as `token` in the callback URL. */
  callbackSecret?: string
  /** SMSRU_BASE_URL; default https://sms.ru. */
  baseUrl?: string
  fetch?: FetchLike
  timeoutMs?: number
}

/** What the callback route must answer (text/plain, 200). */
export const SMSRU_CALLBACK_ANSWER = '100'

/** Codes about our account or SMS.ru itself: another provider may send. */
const OUTAGE = new Set([200, 201, 204, 210, 211, 220, 300, 301, 302, 500])
/** Daily and repeat limits. */
const RATE = new Set([206, 230, 231, 232, 233])

export function smsRuKind(code: number): NotificationErrorKind {
  if (OUTAGE.has(code)) return 'outage'
  if (RATE.has(code)) return 'rate_limited'
  return 'rejected' // 202 bad number, 203 empty text, 205 too long, 207 unreachable number, 209 stop list, …
}

const CALLBACK_STATUS: Record<number, DeliveryStatus> = {
  102: 'sent',
  103: 'delivered',
  104: 'failed', // expired
  105: 'failed', // deleted by the operator
  106: 'failed', // phone failure
  107: 'failed', // unknown reason
  108: 'failed', // rejected
  150: 'failed', // no route
}

export function smsRuProvider(options: SmsRuProviderOptions): SmsProvider {
  const { apiId, from, callbackSecret, timeoutMs = 15_000 } = options
  const baseUrl = (options.baseUrl ?? 'https://sms.ru').replace(/\/$/, '')
  const fetchFn = options.fetch ?? defaultFetch

  async function send(message: SmsMessage) {
    const phone = message.to.replace(/^\+/, '')
    const form = new URLSearchParams({ api_id: apiId, to: phone, msg: message.body, json: '1' })
    if (from) form.set('from', from)
    const answer = await fetchText(fetchFn, 'smsru', `${baseUrl}/sms/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: form.toString(),
      timeoutMs,
    })
    if (answer.status !== 200) throw statusError('smsru', answer.status, answer.headers, undefined)
    const body = parseJson(answer.text) as
      | { status?: string; status_code?: number; sms?: Record<string, { status?: string; status_code?: number; sms_id?: string }> }
      | undefined
    if (!body || typeof body.status_code !== 'number') throw new NotificationError('outage', 'smsru', 'answered without a status code')
    if (body.status !== 'OK') throw new NotificationError(smsRuKind(body.status_code), 'smsru', `answered status ${body.status_code}`)
    const result = body.sms?.[phone]
    if (!result || typeof result.status_code !== 'number') throw new NotificationError('outage', 'smsru', 'answered without the number')
    if (result.status !== 'OK' || !result.sms_id) {
      throw new NotificationError(smsRuKind(result.status_code), 'smsru', `refused the number with status ${result.status_code}`)
    }
    return { providerMessageId: result.sms_id, status: 'queued' as const }
  }

  async function verifyDeliveryWebhook(request: DeliveryWebhookRequest): Promise<DeliveryEvent[]> {
    const form = new URLSearchParams(request.rawBody)
    const entries = [...form.entries()]
      .filter(([key]) => key.startsWith('data['))
      .sort(([a], [b]) => (Number(a.slice(5, -1)) || 0) - (Number(b.slice(5, -1)) || 0))
      .map(([, value]) => value)
    const token = new URL(request.url).searchParams.get('token')
    const hash = form.get('hash')
    const byToken = Boolean(callbackSecret && token && (await sameText(token, callbackSecret)))
    const byHash = Boolean(hash && (await sameText(hash.toLowerCase(), await sha256Hex(apiId + entries.join('')))))
    if (!byToken && !byHash) throw unauthorized('smsru', 'neither the URL token nor the hash matches')
    return entries.flatMap((entry): DeliveryEvent[] => {
      const [kind, smsId, code, at] = entry.split('\n').map((s) => s.trim())
      const status = CALLBACK_STATUS[Number(code)]
      if (kind !== 'sms_status' || !smsId || !status) return []
      return [
        {
          provider: 'smsru',
          eventId: `${smsId}:${code}`,
          providerMessageId: smsId,
          status,
          occurredAt: new Date(Number(at) * 1000),
          ...(status === 'failed' ? { reason: `status ${code}` } : {}),
        },
      ]
    })
  }

  return { channel: 'sms', name: 'smsru', send, verifyDeliveryWebhook }
}

/** Constant-time equality of two strings (by comparing their SHA-256 digests). */
async function sameText(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([sha256Hex(a), sha256Hex(b)])
  let diff = 0
  for (let i = 0; i < x.length; i++) diff |= x.charCodeAt(i) ^ y.charCodeAt(i)
  return diff === 0
}
