/**
 * The access line: one per request, by far the most frequent log record. pino's generic path walks it through
 * the redaction formatter, its serializers and a JSON builder; here the line is written in the same shape from
 * fields whose form is known — only the path can carry caller text, so only the path is redacted and escaped.
 * Where the logger is not Node pino writing to a plain stream (the Workers browser build, a multistream), the
 * record goes through the logger like any other.
 */
import pino from 'pino'
import type { Logger } from './logger.ts'
import { redactString } from './redact.ts'

export interface AccessRecord {
  requestId: string
  method: string
  path: string
  route: string
  status: number
  durationMs: number
}

export type AccessLevel = 'debug' | 'info' | 'error'
export type AccessLog = (level: AccessLevel, record: AccessRecord) => void

interface PinoInternals {
  write?: (line: string) => unknown
}

export function accessLog(logger: Logger): AccessLog {
  const generic: AccessLog = (level, record) => {
    if (logger.isLevelEnabled(level)) logger[level](record, 'request')
  }
  const symbols = (pino as { symbols?: typeof pino.symbols }).symbols
  if (!symbols) return generic
  const internals = logger as unknown as Record<symbol, unknown>
  const stream = internals[symbols.streamSym] as (PinoInternals & Record<symbol, unknown>) | undefined
  const time = internals[symbols.timeSym]
  const bindings = internals[symbols.chindingsSym]
  const plain = stream && typeof stream.write === 'function' && !stream[symbols.needsMetadataGsym]
  if (!plain || typeof time !== 'function' || typeof bindings !== 'string' || internals[symbols.messageKeySym] !== 'msg') return generic
  const write = stream.write!.bind(stream)
  const now = time as () => string
  return (level, r) => {
    if (!logger.isLevelEnabled(level)) return
    write(
      // The request id (a UUID, or a caller's id of safe characters: envelope.ts) and the method (an HTTP token) never
      // need escaping; the route and the path are scanned.
      `{"level":"${level}"${now()}${bindings},"requestId":"${r.requestId}","method":"${r.method}",` +
        `"path":${jsonString(redactPath(r.path))},"route":${jsonString(r.route)},"status":${r.status},"durationMs":${r.durationMs},"msg":"request"}\n`,
    )
  }
}

/**
 * `JSON.stringify(text)` for a string, the same text: most of these (ids, methods, routes, paths) need no escaping,
 * and a scan for the characters that do is cheaper than the builtin's set-up (four per line; callgrind).
 */
export function jsonString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    // Control characters, `"`, `\`, and surrogates (a lone one is escaped): the builtin decides those.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(text)
  }
  return `"${text}"`
}

/**
 * Paths repeat (a popular tour, the first page of a search), and scanning one for secret-shaped text costs a few
 * regular expressions. A path the redactor left unchanged is remembered as clean — only such paths, so the memo
 * never holds a secret — in a bounded set.
 */
const cleanPaths = new Set<string>()
const CLEAN_PATHS_MAX = 4096

export function redactPath(path: string): string {
  if (cleanPaths.has(path)) return path
  const redacted = redactString(path)
  if (redacted === path) {
    if (cleanPaths.size >= CLEAN_PATHS_MAX) cleanPaths.clear()
    cleanPaths.add(path)
  }
  return redacted
}
