/**
 * Sending one message through a channel's ordered providers, and a token bucket to pace each provider.
 *
 * Failover happens only on `outage` and `rate_limited`: another provider may well send it. A `rejected` message or
 * a `gone` device is the same everywhere, so it stops at once (trying elsewhere would only spend money or resend a
 * message the first provider refused). An outage may be ambiguous — the first provider may have sent and failed to
 * say so — so a failed-over message can arrive twice; that is the accepted price of delivering at all.
 */
import { DomainError } from '../errors.ts'
import {
  NotificationError,
  type EmailMessage,
  type EmailProvider,
  type NotificationProviderName,
  type PushMessage,
  type PushProvider,
  type SendResult,
  type SmsMessage,
  type SmsProvider,
} from './provider.ts'

export interface FailoverResult {
  provider: NotificationProviderName
  result: SendResult
  /** Providers tried first and found down or throttled, in order. */
  skipped: NotificationProviderName[]
}

export interface FailoverOptions {
  /** Called for each provider skipped (log it, count it). */
  onFailover?: (provider: NotificationProviderName, error: NotificationError) => void
  /** Consulted before each provider: false skips it as rate limited without calling it (see tokenBucket). */
  admit?: (provider: NotificationProviderName) => boolean
}

export function sendWithFailover(providers: readonly EmailProvider[], message: EmailMessage, options?: FailoverOptions): Promise<FailoverResult>
export function sendWithFailover(providers: readonly SmsProvider[], message: SmsMessage, options?: FailoverOptions): Promise<FailoverResult>
export function sendWithFailover(providers: readonly PushProvider[], message: PushMessage, options?: FailoverOptions): Promise<FailoverResult>
export async function sendWithFailover(
  providers: readonly (EmailProvider | SmsProvider | PushProvider)[],
  message: EmailMessage | SmsMessage | PushMessage,
  options: FailoverOptions = {},
): Promise<FailoverResult> {
  // Push providers each reach their own kind of device; email and SMS providers are interchangeable.
  const candidates = providers.filter((p) => p.channel !== 'push' || p.deviceKinds.includes((message as PushMessage).device.kind))
  if (candidates.length === 0) throw new DomainError('unavailable', 'No notification provider is configured for this channel or device')
  const skipped: NotificationProviderName[] = []
  const failures: NotificationError[] = []
  for (const provider of candidates) {
    if (options.admit && !options.admit(provider.name)) {
      const error = new NotificationError('rate_limited', provider.name, 'over its configured send rate')
      skipped.push(provider.name)
      failures.push(error)
      options.onFailover?.(provider.name, error)
      continue
    }
    try {
      const result = await (provider.send as (m: typeof message) => Promise<SendResult>)(message)
      return { provider: provider.name, result, skipped }
    } catch (error) {
      if (!(error instanceof NotificationError) || !error.retryable) throw error
      skipped.push(provider.name)
      failures.push(error)
      options.onFailover?.(provider.name, error)
    }
  }
  // Every provider was down or throttled. Rate limits only: retry when the soonest one allows; otherwise an outage.
  const last = failures.at(-1)!
  if (failures.every((f) => f.kind === 'rate_limited')) {
    const waits = failures.map((f) => f.retryAfterSeconds).filter((s): s is number => s !== undefined)
    throw new NotificationError('rate_limited', last.provider, `all providers throttled (${skipped.join(', ')})`, waits.length ? Math.min(...waits) : undefined)
  }
  throw new NotificationError('outage', last.provider, `no provider could send (${skipped.join(', ')})`)
}

export interface TokenBucket {
  /** Takes `count` tokens if available. */
  take(count?: number): { ok: true } | { ok: false; retryAfterMs: number }
}

/**
 * A token bucket: `capacity` sends at once, refilled at `perSecond`. In-process only — per worker, not global;
 * a provider's account-wide limit still answers 429, which the adapters classify as rate_limited.
 */
export function tokenBucket(options: { capacity: number; perSecond: number; now?: () => number }): TokenBucket {
  const { capacity, perSecond, now = () => Date.now() } = options
  if (!(capacity > 0) || !(perSecond > 0)) throw new Error('tokenBucket needs a positive capacity and rate')
  let tokens = capacity
  let last = now()
  return {
    take(count = 1) {
      const at = now()
      tokens = Math.min(capacity, tokens + ((at - last) / 1000) * perSecond)
      last = at
      if (tokens >= count) {
        tokens -= count
        return { ok: true }
      }
      return { ok: false, retryAfterMs: Math.ceil(((count - tokens) / perSecond) * 1000) }
    },
  }
}

/** One bucket per provider name, for FailoverOptions.admit: `{ admit: rateLimits({ twilio: {capacity: 10, perSecond: 1} }) }`. */
export function rateLimits(
  limits: Partial<Record<NotificationProviderName, { capacity: number; perSecond: number }>>,
  now?: () => number,
): (provider: NotificationProviderName) => boolean {
  const buckets = new Map<NotificationProviderName, TokenBucket>()
  for (const [name, limit] of Object.entries(limits)) if (limit) buckets.set(name as NotificationProviderName, tokenBucket({ ...limit, ...(now ? { now } : {}) }))
  return (provider) => buckets.get(provider)?.take().ok ?? true
}
