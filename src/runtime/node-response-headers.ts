/**
 * Node's fast path for the headers every answer carries. @hono/node-server hands the app its `ServerResponse` as
 * `outgoing` in its bindings and ends every answer with one `writeHead(status, headers)`. Rather than setting the fixed
 * headers on the Fetch API `Headers` (~8 µs on Node 20: undici validates every name and value, and the adapter
 * converts the set back) or calling `setHeader` once per header (which also switches Node's writeHead to its slow
 * path, re-setting each of the answer's own headers one by one), the sink leaves the fixed set on the response and
 * a writeHead that folds it into the header object Node serialises anyway. The answer's own value still wins.
 */
import { isDocument, type FixedHeaders, type HeaderSink } from '../core/http/envelope.ts'

type HeaderValue = string | number | readonly string[]
type HeaderObject = Record<string, HeaderValue>

interface NodeOutgoing {
  headersSent: boolean
  writeHead(status: number, ...rest: unknown[]): unknown
  setHeader(name: string, value: string): unknown
  getHeader(name: string): unknown
  [FIXED]?: FixedHeaders
  [REQUEST_ID]?: string
  [ORIGINAL]?: NodeOutgoing['writeHead']
}

const FIXED = Symbol('kamhub.fixedHeaders')
const REQUEST_ID = Symbol('kamhub.requestId')
const ORIGINAL = Symbol('kamhub.writeHead')

export const nodeResponseHeaders: HeaderSink = (runtime, fixed, requestId) => {
  const outgoing = (runtime as { outgoing?: NodeOutgoing } | undefined)?.outgoing
  if (!outgoing || typeof outgoing.writeHead !== 'function' || outgoing.headersSent) return false
  outgoing[FIXED] = fixed
  outgoing[REQUEST_ID] = requestId
  if (outgoing.writeHead !== writeHeadWithFixed) {
    outgoing[ORIGINAL] = outgoing.writeHead
    outgoing.writeHead = writeHeadWithFixed
  }
  return true
}

function writeHeadWithFixed(this: NodeOutgoing, status: number, ...rest: unknown[]): unknown {
  const original = this[ORIGINAL]!
  const fixed = this[FIXED]!
  const requestId = this[REQUEST_ID]!
  // writeHead(status, headers) or writeHead(status, reason, headers)
  const last = rest.length ? rest[rest.length - 1] : undefined
  if (last !== undefined && typeof last !== 'object') return original.call(this, status, ...rest, withFixed(undefined, fixed, requestId, this))
  if (Array.isArray(last)) {
    // Raw header lists are rare (no @hono/node-server path sends one): set what the list does not carry itself.
    const present = new Map<string, unknown>()
    for (let i = 0; i < last.length; i += 2) present.set(String(last[i]).toLowerCase(), last[i + 1])
    const document = isDocument(present.get('content-type') ?? this.getHeader('content-type'))
    for (const [name, value] of [...fixed.pairs, ...(document ? fixed.documentPairs : []), [fixed.requestIdName, requestId] as const]) {
      if (!present.has(name.toLowerCase())) this.setHeader(name, value)
    }
    return original.call(this, status, ...rest)
  }
  const merged = withFixed(last as HeaderObject | undefined, fixed, requestId, this)
  return rest.length <= 1 ? original.call(this, status, merged) : original.call(this, status, rest[0], merged)
}

/**
 * The fixed headers (and the document ones for an HTML answer), then the answer's own; a fixed name the answer also
 * sets (in any case) is left to the answer.
 */
function withFixed(own: HeaderObject | undefined, fixed: FixedHeaders, requestId: string, response: NodeOutgoing): HeaderObject {
  let overridden = 0
  let contentType: unknown
  if (own) {
    for (const name in own) {
      const bit = fixed.bitOfSpelling(name)
      overridden |= bit
      if (bit === fixed.contentTypeBit) contentType = own[name]
    }
  }
  // A Content-Type set with setHeader before a writeHead that does not repeat it.
  if (!(overridden & fixed.contentTypeBit) && fixed.documentPairs.length) contentType = response.getHeader('content-type')
  const merged: HeaderObject = {}
  const { pairs, documentPairs } = fixed
  for (let i = 0; i < pairs.length; i++) if (!(overridden & (1 << i))) merged[pairs[i]![0]] = pairs[i]![1]
  if (documentPairs.length && isDocument(contentType)) {
    for (let i = 0, bit = 1 << pairs.length; i < documentPairs.length; i++, bit <<= 1) {
      if (!(overridden & bit)) merged[documentPairs[i]![0]] = documentPairs[i]![1]
    }
  }
  if (!(overridden & fixed.requestIdBit)) merged[fixed.requestIdName] = requestId
  if (own) for (const name in own) merged[name] = own[name]!
  return merged
}
