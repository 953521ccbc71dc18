/** A logger whose JSON lines are kept in memory, so a test can read exactly what would reach the log sink. */
import { createLogger, type Logger } from '../../src/core/monitoring/logger.ts'

export interface CapturedLogs {
  logger: Logger
  /** Every line as written, unparsed: what a secret must never appear in. */
  raw: string[]
  /** The lines parsed. */
  records(): Array<Record<string, unknown>>
  /** Parsed lines whose `msg` equals `msg`. */
  find(msg: string): Array<Record<string, unknown>>
}

export function captureLogs(level = 'info'): CapturedLogs {
  const raw: string[] = []
  const logger = createLogger({ level, destination: { write: (line: string) => void raw.push(line) } })
  const records = () => raw.map((line) => JSON.parse(line) as Record<string, unknown>)
  return { logger, raw, records, find: (msg) => records().filter((r) => r.msg === msg) }
}
