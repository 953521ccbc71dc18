/**
 * The one error vocabulary. Pillars and core services throw `DomainError(code, detail)`; the HTTP boundary maps
 * each code to a status and renders RFC 9457 problem+json. Nothing else decides an HTTP status.
 */

export const ERROR_STATUS = {
  invalid: 400,
  malformed_json: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  idempotency_in_flight: 409,
  sold_out: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  payment_failed: 402,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
  timeout: 504,
} as const

export type ErrorCode = keyof typeof ERROR_STATUS

export interface FieldError {
  path: string
  message: string
  code?: string
}

export class DomainError extends Error {
  override name = 'DomainError'
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; retryAfterSeconds?: number; headers?: Record<string, string> } = {},
  ) {
    super(detail)
  }
  get status(): number {
    return ERROR_STATUS[this.code]
  }
}

/** Maps a PostgreSQL SQLSTATE to the vocabulary; unknown ones stay internal errors. */
export function fromDatabaseError(error: unknown): DomainError | undefined {
  const code = (error as { code?: unknown })?.code ?? (error as { cause?: { code?: unknown } })?.cause?.code
  switch (code) {
    case '23505':
      return new DomainError('conflict', 'A resource with the same unique value already exists')
    case '23503':
      return new DomainError('unprocessable', 'A referenced resource does not exist')
    case '23514':
    case '22P02':
    case '22003':
      return new DomainError('invalid', 'A value is out of its allowed range')
    case '40001':
    case '40P01':
      return new DomainError('conflict', 'A concurrent change conflicted with this request; retry it')
    case '57014':
      return new DomainError('timeout', 'The database statement took too long')
    default:
      return undefined
  }
}
