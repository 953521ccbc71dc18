/**
 * 415 for a request body that is not JSON on the JSON API. Requests without a body pass (validation then says
 * which fields are missing); provider webhooks are mounted outside this guard because some post forms.
 */
import type { Context, MiddlewareHandler, Next } from 'hono'
import { DomainError } from '../errors.ts'

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i

export function requireJsonBody(): MiddlewareHandler {
  // Not async: reads (most requests) pass straight through without a promise and frame of this middleware's own.
  return function requireJsonBodyMiddleware(c, next) {
    const method = c.req.method
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'DELETE') return next()
    return checkBody(c, next)
  }
}

async function checkBody(c: Context, next: Next): Promise<void> {
  if (!hasBody(c.req.raw)) return next()
  const type = c.req.header('Content-Type') ?? ''
  if (!JSON_TYPE.test(type)) {
    throw new DomainError('unsupported_media_type', `Content-Type must be application/json, got ${type ? `"${type.slice(0, 100)}"` : 'none'}`)
  }
  await next()
}

function hasBody(req: Request): boolean {
  const length = req.headers.get('Content-Length')
  if (length !== null) return Number(length) > 0
  return req.headers.has('Transfer-Encoding') || req.body !== null
}
