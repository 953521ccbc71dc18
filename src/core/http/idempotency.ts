/**
 * `Idempotency-Key` for creating POSTs (as Stripe, and the IETF httpapi Idempotency-Key draft): a client that
 * retries after a timeout gets the first request's answer instead of a second booking.
 *
 * Guarantees, per (principal, method, route, key) for IDEMPOTENCY_TTL_HOURS after first use:
 * - the handler runs at most once per successful answer: a replay with the same body answers the stored status,
 *   headers and body with `Idempotent-Replayed: true`, without running the handler;
 * - the same key with another body (or path) is a 422 `unprocessable`; while the first request runs, a second is a
 *   409 `idempotency_in_flight` with Retry-After;
 * - 5xx answers, thrown errors, 429s and database serialization failures are not stored: the claim is released
 *   and the client's retry runs the handler again;
 * - a claim left behind by a crashed process is taken over by the same request after `lockTimeoutMs`.
 * Missing header → 400 `invalid` (unless `required: false`); empty or over 255 characters → 400.
 *
 * Mount it after the auth guard, so the principal is known: `middleware: [requireAuth(), idempotent()]`. The body
 * is read with `c.req.text()`, which Hono caches, so the route's zod validator still reads it afterwards.
 * Stored bodies are text: the API answers JSON.
 */
import type { Context, MiddlewareHandler } from 'hono'
import { routePath } from 'hono/route'
import type { AppEnv } from './request-scope.ts'
import type { AuthUser } from '../auth/principal.ts'
import { DomainError } from '../errors.ts'
import { claimKey, completeKey, releaseKey, type StoredAnswer } from './idempotency-store.ts'

export const IDEMPOTENCY_HEADER = 'Idempotency-Key'
export const REPLAYED_HEADER = 'Idempotent-Replayed'
export const ANONYMOUS_PRINCIPAL = 'anonymous'

/** Response headers that belong to the answer itself (request ids, rate limits and the like are per request). */
export const DEFAULT_REPLAY_HEADERS = [
  'content-type',
  'content-language',
  'location',
  'content-location',
  'etag',
  'last-modified',
  'link',
  'preference-applied',
] as const

export interface IdempotencyOptions {
  /** Answer 400 when the header is missing (default); false lets requests without it through unprotected. */
  required?: boolean
  /** How long an unfinished claim blocks the key before the same request may take it over (default 60 s). */
  lockTimeoutMs?: number
  /** Overrides IDEMPOTENCY_TTL_HOURS for this route. */
  ttlHours?: number
  /** Lower-case names of the response headers stored and replayed. */
  replayHeaders?: readonly string[]
}

const MAX_KEY_LENGTH = 255
// Visible ASCII and spaces: keys are UUIDs or similar tokens; control characters never belong in one.
const KEY_CHARS = /^[\x20-\x7e]+$/
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304])
// SQLSTATEs that mean "try again": a 409 caused by one of them must not become the key's permanent answer.
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01'])

export function idempotent({
  required = true,
  lockTimeoutMs = 60_000,
  ttlHours,
  replayHeaders = DEFAULT_REPLAY_HEADERS,
}: IdempotencyOptions = {}): MiddlewareHandler<AppEnv> {
  return async function idempotencyMiddleware(c, next) {
    const key = parseKey(c.req.header(IDEMPOTENCY_HEADER))
    if (key === undefined) {
      if (!required) return next()
      throw invalidKey(`The ${IDEMPOTENCY_HEADER} header is required on this request (a unique value, e.g. a UUID, per operation)`)
    }
    const { db, clock, config } = c.env.deps
    const user = c.get('user') as AuthUser | undefined
    const scope = `${user ? `user:${user.id}` : ANONYMOUS_PRINCIPAL} ${c.req.method} ${routePath(c)}`
    const fingerprint = await requestFingerprint(c)
    const ttlMs = (ttlHours ?? config.IDEMPOTENCY_TTL_HOURS) * 3_600_000
    const claim = await claimKey(db.orm, { scope, key, fingerprint, now: clock.now(), ttlMs, lockTimeoutMs })
    switch (claim.kind) {
      case 'replay':
        return replay(c, claim.answer)
      case 'mismatch':
        throw new DomainError('unprocessable', `This ${IDEMPOTENCY_HEADER} was already used with another request body or path; use a new key for a new request`)
      case 'in_flight':
        throw new DomainError('idempotency_in_flight', `A request with this ${IDEMPOTENCY_HEADER} is still being processed; retry shortly`, { retryAfterSeconds: 1 })
    }
    const owner = { scope, key, lockToken: claim.lockToken }
    try {
      await next()
    } catch (error) {
      await releaseKey(db.orm, owner)
      throw error
    }
    if (!worthStoring(c)) {
      await releaseKey(db.orm, owner)
      return
    }
    const answer = await captureAnswer(c.res, replayHeaders)
    await completeKey(db.orm, { ...owner, answer, now: clock.now() })
  }
}

/** The header's value, undefined when absent; a 400 when present but unusable. Draft-style quoted strings are unquoted. */
function parseKey(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined
  const value = /^"(.*)"$/.test(raw) ? raw.slice(1, -1) : raw
  if (!value.trim()) throw invalidKey(`The ${IDEMPOTENCY_HEADER} header must not be empty`)
  if (value.length > MAX_KEY_LENGTH) throw invalidKey(`The ${IDEMPOTENCY_HEADER} header must be at most ${MAX_KEY_LENGTH} characters`)
  if (!KEY_CHARS.test(value)) throw invalidKey(`The ${IDEMPOTENCY_HEADER} header must be printable ASCII`)
  return value
}

/** SHA-256 over method, path with query, and body: the same key on another departure's path is another request. */
async function requestFingerprint(c: Context): Promise<string> {
  const url = new URL(c.req.url)
  const body = await c.req.text()
  const material = new TextEncoder().encode(`${c.req.method} ${url.pathname}${url.search}\n${body}`)
  const digest = await crypto.subtle.digest('SHA-256', material)
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

function worthStoring(c: Context): boolean {
  const status = c.res.status
  if (status >= 500 || status === 429) return false
  const code = (c.error as { code?: unknown } | undefined)?.code ?? (c.error as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return !(typeof code === 'string' && TRANSIENT_SQLSTATES.has(code))
}

async function captureAnswer(res: Response, replayHeaders: readonly string[]): Promise<StoredAnswer> {
  const headers: Record<string, string> = {}
  for (const name of replayHeaders) {
    const value = res.headers.get(name)
    if (value !== null) headers[name] = value
  }
  return { status: res.status, headers, body: await res.clone().text() }
}

function replay(c: Context, { status, headers, body }: StoredAnswer): Response {
  const replayHeaders = { ...headers, [REPLAYED_HEADER]: 'true' }
  if (NULL_BODY_STATUSES.has(status)) return c.body(null, status as 204, replayHeaders)
  return c.body(body, status as 200, replayHeaders)
}

/** A 400 whose field path names the header, like the validator's answers for other request parts. */
function invalidKey(message: string): DomainError {
  return new DomainError('invalid', message, { errors: [{ path: `header.${IDEMPOTENCY_HEADER.toLowerCase()}`, message }] })
}
