/**
 * Times every statement at the driver boundary, under Drizzle, so pillars need no timing code:
 * a `db_query_duration_seconds` histogram by operation and a slow-query warning above a threshold.
 * Only the statement text is logged — parameters may carry personal data or secrets.
 */
import type { Logger } from '../monitoring/logger.ts'
import type { MetricsRegistry } from '../monitoring/metrics.ts'
import { monotonicNow } from '../monotonic.ts'

export interface QueryObserver {
  (text: string, startedAt: number, error?: unknown): void
}

export function queryObserver(metrics: MetricsRegistry, logger: Logger, slowQueryMs: number): QueryObserver {
  const duration = metrics.histogram('db_query_duration_seconds', 'Database statement latency by operation')
  const errors = metrics.counter('db_query_errors_total', 'Database statements that failed, by operation and SQLSTATE')
  return (text, startedAt, error) => {
    const ms = monotonicNow() - startedAt
    const operation = operationOf(text)
    duration.observe(ms / 1000, { operation })
    if (error) errors.inc({ operation, sqlstate: (error as { code?: string }).code ?? 'unknown' })
    if (ms >= slowQueryMs) logger.warn({ durationMs: round(ms), operation, sql: text.slice(0, 2000) }, 'slow query')
  }
}

function operationOf(text: string): string {
  const word = /^\s*(?:with\b[\s\S]*?\)\s*)?(\w+)/i.exec(text)?.[1]?.toLowerCase() ?? 'other'
  return ['select', 'insert', 'update', 'delete', 'begin', 'commit', 'rollback'].includes(word) ? word : 'other'
}

function round(ms: number) {
  return Math.round(ms * 100) / 100
}
