/**
 * Transport helpers shared by the fetch adapters. A network error or timeout becomes NotificationError('outage')
 * (the send may or may not have happened: the queue retries with the same idempotency key); statuses that mean the
 * same thing at every provider are classified here, provider-specific codes by the adapter. Request bodies and
 * headers (credentials) never reach an error message.
 */
import { NotificationError, type NotificationErrorKind, type NotificationProviderName } from './provider.ts'

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export const defaultFetch: FetchLike = (input, init) => fetch(input, init)

export interface FetchedText {
  status: number
  headers: Headers
  text: string
}

export async function fetchText(
  fetchFn: FetchLike,
  provider: NotificationProviderName,
  url: string,
  init: RequestInit & { timeoutMs: number },
): Promise<FetchedText> {
  const { timeoutMs, ...rest } = init
  try {
    const response = await fetchFn(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) })
    return { status: response.status, headers: response.headers, text: await response.text() }
  } catch (error) {
    const timedOut = (error as Error)?.name === 'TimeoutError'
    throw new NotificationError('outage', provider, timedOut ? 'did not answer in time' : 'could not be reached')
  }
}

export function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined
  } catch {
    return undefined // an HTML error page from a proxy: the status decides
  }
}

/** Retry-After as seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(headers: Headers | undefined, now = Date.now()): number | undefined {
  const value = headers?.get('retry-after')
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim())
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000))
}

/**
 * The classification every HTTP provider shares: 429 → rate_limited, 5xx → outage, 401/403 → outage (our
 * credentials are wrong or revoked: no retry on this provider helps, but the next provider may send), 404/410 →
 * gone only where the adapter says the URL is the device, any other 4xx → rejected.
 */
export function kindForStatus(status: number, options: { goneOn404?: boolean } = {}): NotificationErrorKind {
  if (status === 429) return 'rate_limited'
  if (status >= 500 || status === 408) return 'outage'
  if (status === 401 || status === 403) return 'outage'
  if (options.goneOn404 && (status === 404 || status === 410)) return 'gone'
  return 'rejected'
}

export function statusError(
  provider: NotificationProviderName,
  status: number,
  headers: Headers | undefined,
  reason: string | undefined,
  options: { goneOn404?: boolean } = {},
): NotificationError {
  const kind = kindForStatus(status, options)
  const detail = status === 401 || status === 403 ? `answered ${status}: the configured credentials were refused` : `answered ${status}${reason ? ` (${reason})` : ''}`
  return new NotificationError(kind, provider, detail, kind === 'rate_limited' ? retryAfterSeconds(headers) : undefined)
}
