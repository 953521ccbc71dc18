/**
 * pino JSON logs. Every record passes through `redact` first; on Workers pino resolves to its browser build,
 * which writes one JSON line per record through console.log.
 */
import pino from 'pino'
import { redact } from './redact.ts'

export type Logger = pino.Logger

export interface LoggerOptions {
  level?: string
  /** Where JSON lines go; defaults to stdout (Node, Deno) or console.log (Workers). */
  destination?: pino.DestinationStream
  base?: Record<string, unknown>
}

export function createLogger({ level = 'info', destination, base = { service: 'kamhub' } }: LoggerOptions = {}): Logger {
  const options: pino.LoggerOptions = {
    level,
    base,
    messageKey: 'msg',
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
      log: (record) => redact(record) as Record<string, unknown>,
    },
    serializers: { err: (e) => redact(e) },
    browser: {
      asObject: true,
      write: (o) => console.log(JSON.stringify(redact(o))),
    },
  }
  return destination ? pino(options, destination) : pino(options)
}
