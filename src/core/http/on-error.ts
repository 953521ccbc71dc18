/**
 * The one boundary where errors become HTTP answers. Domain errors keep their code; Hono's own exceptions
 * (malformed JSON, timeouts) are translated into the same vocabulary; database constraint violations map by
 * SQLSTATE; anything else is a 500 whose details stay in the log. Only 5xx answers are logged as errors.
 */
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { DomainError, fromDatabaseError, type ErrorCode } from '../errors.ts'
import type { AppEnv } from './request-scope.ts'
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem.ts'

export function toDomainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error
  if (error instanceof HTTPException) return fromHttpException(error)
  return fromDatabaseError(error) ?? new DomainError('internal', 'An unexpected error occurred')
}

function fromHttpException(error: HTTPException): DomainError {
  const message = error.message || ''
  if (error.status === 400 && /json/i.test(message)) return new DomainError('malformed_json', 'The request body is not valid JSON')
  const byStatus: Partial<Record<number, ErrorCode>> = {
    400: 'invalid',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    413: 'payload_too_large',
    415: 'unsupported_media_type',
    429: 'rate_limited',
    503: 'unavailable',
    504: 'timeout',
  }
  return new DomainError(byStatus[error.status] ?? 'internal', message || 'Request failed')
}

export function renderProblem(c: Context<AppEnv>, error: DomainError): Response {
  const { body, headers } = problemParts(error, c.req.path, c.env.requestId)
  // Through the context: headers a middleware set before the failure (CORS) stay on the answer.
  return c.body(body, error.status as 400, headers)
}

/** The same answer without a Hono context: for the envelope, when the app itself failed or ran out of time. */
export function problemResponse(error: DomainError, instance: string, requestId: string): Response {
  const { body, headers } = problemParts(error, instance, requestId)
  return new Response(body, { status: error.status, headers })
}

function problemParts(error: DomainError, instance: string, requestId: string) {
  const body = problemBody({ status: error.status, code: error.code, detail: error.detail, instance, requestId, errors: error.extra.errors })
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_CONTENT_TYPE, ...error.extra.headers }
  if (error.extra.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.extra.retryAfterSeconds)
  return { body: JSON.stringify(body), headers }
}

/** Hono's error handler: every thrown error becomes a problem+json answer; 5xx are logged with the request id. */
export function onError(error: Error, c: Context<AppEnv>): Response {
  const domain = toDomainError(error)
  if (domain.status >= 500) c.env.logger.error({ err: error, code: domain.code }, 'request failed')
  return renderProblem(c, domain)
}
