/**
 * One JSON-over-fetch call for the REST adapters (CloudPayments, YooKassa). It only turns transport failures into
 * the error vocabulary — a network error or timeout is `unavailable`, the signal the router fails over on — and
 * leaves status handling to the adapter. Request bodies and headers (credentials) never reach an error message.
 */
import { DomainError } from '../errors.ts'

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export interface JsonResponse {
  status: number
  body: unknown
}

export async function requestJson(
  fetchFn: FetchLike,
  provider: string,
  url: string,
  init: RequestInit & { timeoutMs: number },
): Promise<JsonResponse> {
  const { timeoutMs, ...rest } = init
  let response: Response
  try {
    response = await fetchFn(url, { ...rest, signal: AbortSignal.timeout(timeoutMs) })
  } catch (error) {
    const timedOut = (error as Error)?.name === 'TimeoutError'
    throw new DomainError('unavailable', `${provider} ${timedOut ? 'did not answer in time' : 'could not be reached'}`)
  }
  const text = await response.text().catch(() => '')
  let body: unknown
  try {
    body = text ? JSON.parse(text) : undefined
  } catch {
    body = undefined // an HTML error page from a proxy: the status decides
  }
  return { status: response.status, body }
}

/** Errors that mean "the provider is down or the outcome is unknown", as opposed to a decline or a bad request. */
export function isProviderOutage(error: unknown): boolean {
  if (error instanceof DomainError) return error.code === 'unavailable' || error.code === 'timeout'
  // A raw fetch failure that escaped an adapter ("fetch failed", "Network connection lost"); not any TypeError,
  // which would turn a bug into a silent switch of provider.
  return error instanceof TypeError && /fetch|network/i.test(error.message)
}
