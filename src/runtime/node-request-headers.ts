/**
 * Node's raw request header list for the envelope (core/http/request-headers.ts): @hono/node-server hands the app
 * its `IncomingMessage` as `incoming` in the bindings, and the parser's `rawHeaders` are read there directly.
 */
import type { RawHeaderSource } from '../core/http/request-headers.ts'

export const nodeRawHeaders: RawHeaderSource = (runtime) => (runtime as { incoming?: { rawHeaders?: string[] } } | undefined)?.incoming?.rawHeaders
