/**
 * `X-Request-Id` in and out. A caller's id is kept when it is a sane token (so a mobile app or a proxy can follow
 * one request through the logs); anything else is replaced by a fresh UUID.
 */
import type { MiddlewareHandler } from 'hono'

const HEADER = 'X-Request-Id'
const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/

export function requestId(): MiddlewareHandler {
  return async function requestIdMiddleware(c, next) {
    const incoming = c.req.header(HEADER)
    const id = incoming && SAFE_ID.test(incoming) ? incoming : crypto.randomUUID()
    c.set('requestId', id)
    c.header(HEADER, id)
    await next()
  }
}
