/**
 * The access line: one per request, by far the most frequent log record. pino's generic path walks it through
 * the redaction formatter, its serializers and a JSON builder; here the line is written in the same shape from
 * fields whose form is known — only the path can carry caller text, so only the path is redacted. Where the
 * destination takes bytes (the servers' batch, logger.node.ts) the line is written into it as UTF-8 directly, never
 * built as a string. Anywhere else (the Workers browser build, a multistream, a test's capture) the record goes
 * through the logger like any other.
 */
import pino from 'pino'
import type { Logger } from './logger.ts'
import { redactString } from './redact.ts'
import { accessLineBound, FieldBytes, LineHead, writeAccessLine, type AccessLevel, type LineParts } from './access-line.ts'

export { jsonString, type AccessLevel } from './access-line.ts'

export interface AccessRecord {
  requestId: string
  method: string
  path: string
  route: string
  status: number
  durationMs: number
}

export type AccessLog = (level: AccessLevel, record: AccessRecord) => void

/** A destination that takes a line as bytes written straight into its batch. */
export interface ByteLineSink {
  /** The batch lines are written into: the same array for the destination's life. */
  readonly batch: Uint8Array
  /** Where a line of at most `maxBytes` starts (a full batch is written out first); -1 when no batch holds that many. */
  reserveLine(maxBytes: number): number
  /** The line that started at the reserved offset ends at `end` (exclusive, its newline included). */
  commitLine(end: number): void
}

export function accessLog(logger: Logger): AccessLog {
  const generic: AccessLog = (level, record) => {
    if (logger.isLevelEnabled(level)) logger[level](record, 'request')
  }
  const symbols = (pino as { symbols?: typeof pino.symbols }).symbols
  if (!symbols) return generic
  const internals = logger as unknown as Record<symbol, unknown>
  const sink = internals[symbols.streamSym] as (Partial<ByteLineSink> & Record<symbol, unknown>) | undefined
  const time = internals[symbols.timeSym]
  const bindings = internals[symbols.chindingsSym]
  const takesBytes = sink && sink.batch instanceof Uint8Array && typeof sink.reserveLine === 'function' && typeof sink.commitLine === 'function'
  if (!takesBytes || sink[symbols.needsMetadataGsym] || typeof time !== 'function' || typeof bindings !== 'string' || internals[symbols.messageKeySym] !== 'msg') return generic
  const { batch } = sink as ByteLineSink
  const reserveLine = sink.reserveLine!.bind(sink)
  const commitLine = sink.commitLine!.bind(sink)
  const now = time as () => string
  const head = new LineHead(bindings)
  const methods = new FieldBytes('method', 64)
  const routes = new FieldBytes('route')
  const parts: LineParts = { prefix: new Uint8Array(0), method: new Uint8Array(0), path: new Uint8Array(0), route: new Uint8Array(0) }
  return (level, r) => {
    if (!logger.isLevelEnabled(level)) return
    parts.prefix = head.prefix(level, now())
    parts.method = methods.of(r.method)
    parts.path = pathField(r.path)
    parts.route = routes.of(r.route)
    const at = reserveLine(accessLineBound(parts, r))
    // Only a path of thousands of characters is longer than a batch: such a line goes the generic way.
    if (at < 0) return generic(level, r)
    commitLine(writeAccessLine(batch, at, parts, r))
  }
}

/**
 * Paths repeat (a popular tour, the first page of a search), and scanning one for secret-shaped text costs a few
 * regular expressions. A path the redactor left unchanged is remembered as clean with its encoded field — only such
 * paths, so the memo never holds a secret — in a bounded map, and only paths of ordinary length, so a flood of
 * long made-up URLs holds a few MB at most.
 */
const cleanPaths = new FieldBytes('path')
const REMEMBERED_PATH_MAX = 256

function pathField(path: string): Uint8Array {
  const known = cleanPaths.remembered(path)
  if (known) return known
  const redacted = redactString(path)
  return cleanPaths.of(redacted, redacted === path && path.length <= REMEMBERED_PATH_MAX)
}
