/**
 * `npm run events -- <command>`: the event admin tools from a shell, on the server's database (DATABASE_URL, or
 * the embedded PGlite under DATA_DIR — stop a running dev server first: PGlite has one writer).
 *
 *   history   [--type booking.*] [--subject S] [--aggregate TYPE[:ID]] [--from-seq N] [--to-seq N]
 *             [--from ISO] [--to ISO] [--order desc|asc] [--limit N] [--cursor C] [--json]
 *   replay    --subscription NAME [--pattern P] [--from-seq N] [--to-seq N] [--from ISO] [--to ISO] [--batch N]
 *   redrive   --subscription NAME [--id DELIVERY_ID ...]
 *   prune     (deletes per EVENTS_DELIVERED_RETENTION_DAYS / EVENTS_RETENTION_DAYS)
 *
 * Results go to stdout (a table, or JSON with --json / for replay, redrive and prune); progress and hints go to
 * stderr, so `... | jq` sees only data. A replay walks the outbox in batches and draws a progress bar (one line
 * per 10% when stderr is not a terminal). Exit codes: 0 done, 1 failed, 2 bad usage.
 */
import { parseArgs } from 'node:util'
import { parseConfig, ConfigError } from '../core/config/schema.ts'
import { createLogger } from '../core/monitoring/logger.ts'
import { MetricsRegistry } from '../core/monitoring/metrics.ts'
import { migrate } from '../core/db/migrate.ts'
import { loadMigrations } from '../core/db/migrations.node.ts'
import { openDatabase } from '../runtime/server-deps.node.ts'
import { DomainError } from '../core/errors.ts'
import type { Database } from '../core/db/index.ts'
import { listEvents } from '../events/history.ts'
import { redriveSubscription, replayEvents, type ReplayProgress } from '../events/replay.ts'
import { pruneDeliveries, retentionFromConfig } from '../events/retention.ts'
import { validatePattern } from '../events/pattern.ts'

const USAGE = `usage: npm run events -- <command> [options]
  history  [--type PATTERN] [--subject S] [--aggregate TYPE[:ID]] [--from-seq N] [--to-seq N] [--from ISO] [--to ISO]
           [--order desc|asc] [--limit N] [--cursor C] [--json]
  replay   --subscription NAME [--pattern PATTERN] [--from-seq N] [--to-seq N] [--from ISO] [--to ISO] [--batch N]
  redrive  --subscription NAME [--id DELIVERY_ID ...]
  prune`

class UsageError extends Error {}

const OPTIONS = {
  type: { type: 'string' },
  subject: { type: 'string' },
  aggregate: { type: 'string' },
  'from-seq': { type: 'string' },
  'to-seq': { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  order: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
  json: { type: 'boolean', default: false },
  subscription: { type: 'string' },
  pattern: { type: 'string' },
  batch: { type: 'string' },
  id: { type: 'string', multiple: true },
  help: { type: 'boolean', default: false },
} as const

type Values = ReturnType<typeof readArgs>['values']

async function main(): Promise<number> {
  const { values, positionals } = readArgs()
  const command = positionals[0]
  if (values.help || !command) {
    console.log(USAGE)
    return values.help ? 0 : 2
  }
  if (!['history', 'replay', 'redrive', 'prune'].includes(command)) throw new UsageError(`unknown command "${command}"`)
  const range = readRange(values)
  if (command === 'replay' || command === 'redrive') required(values.subscription, '--subscription') // before the slow part
  const config = parseConfig(process.env)
  // Log lines (a slow query, say) go to stderr: stdout carries only results, for pipes and scripts.
  const logger = createLogger({ level: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL, destination: process.stderr })
  const db = await openDatabase(config, logger, new MetricsRegistry())
  try {
    if (config.MIGRATE_ON_START) await migrate(db, await loadMigrations())
    switch (command) {
      case 'history':
        return await history(db, values, range)
      case 'replay':
        return await replay(db, values, range)
      case 'redrive': {
        const redriven = await redriveSubscription(db, required(values.subscription, '--subscription'), { ids: values.id?.map((id) => seq(id, '--id')) })
        console.log(JSON.stringify({ subscription: values.subscription, redriven }))
        return 0
      }
      default: {
        const pruned = await pruneDeliveries(db.orm, retentionFromConfig(config))
        console.log(JSON.stringify({ pruned, ...retentionFromConfig(config) }))
        return 0
      }
    }
  } finally {
    await db.close()
  }
}

async function history(db: Database, values: Values, range: ReturnType<typeof readRange>): Promise<number> {
  const [aggregateType, aggregateId] = values.aggregate ? splitOnce(values.aggregate, ':') : []
  const order = values.order ?? 'desc'
  if (order !== 'asc' && order !== 'desc') throw new UsageError('--order is asc or desc')
  const page = await listEvents(db.orm, {
    ...range,
    type: values.type ? pattern(values.type) : undefined,
    subject: values.subject,
    aggregateType: aggregateType || undefined,
    aggregateId: aggregateId || undefined,
    order,
    cursor: values.cursor,
    limit: values.limit ? integer(values.limit, '--limit', 1, 10_000) : 50,
  })
  if (values.json) {
    for (const event of page.items) console.log(JSON.stringify(event))
  } else {
    const rows = page.items.map((e) => [e.sequence, e.time, e.type, e.subject ?? '', e.id])
    printTable(['SEQ', 'TIME', 'TYPE', 'SUBJECT', 'ID'], rows)
  }
  if (page.heldBack) console.error('more events are committed but wait for older transactions to finish; run again shortly')
  if (page.hasMore) console.error(`more: --cursor ${page.nextCursor}`)
  else if (order === 'asc' && page.nextCursor) console.error(`resume later with: --order asc --cursor ${page.nextCursor}`)
  return 0
}

async function replay(db: Database, values: Values, range: ReturnType<typeof readRange>): Promise<number> {
  const subscription = required(values.subscription, '--subscription')
  const bar = progressBar(process.stderr)
  const result = await replayEvents(
    db,
    subscription,
    { ...range, pattern: values.pattern ? pattern(values.pattern) : undefined },
    { batchSize: values.batch ? integer(values.batch, '--batch', 1, 100_000) : 1000, onProgress: bar.update },
  )
  bar.done(result)
  console.log(JSON.stringify({ subscription, scanned: result.scanned, created: result.created }))
  return 0
}

/** A bar redrawn in place on a terminal; elsewhere (CI logs, pipes) one line per 10% so logs stay short. */
function progressBar(out: NodeJS.WriteStream) {
  const width = 30
  let lastStep = -1
  const line = ({ scanned, total, created }: ReplayProgress) => {
    const ratio = total ? Math.min(1, scanned / total) : 1
    const filled = Math.round(ratio * width)
    return `replay [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.floor(ratio * 100)}% ${scanned}/${total} events, ${created} new deliveries`
  }
  return {
    update(p: ReplayProgress) {
      if (out.isTTY) {
        out.write(`\r${line(p)}`)
        return
      }
      const step = p.total ? Math.floor((p.scanned / p.total) * 10) : 10
      if (step !== lastStep) {
        lastStep = step
        out.write(`${line(p)}\n`)
      }
    },
    done(p: ReplayProgress) {
      if (out.isTTY) out.write(`\r${line(p)}\n`)
      else if (lastStep !== 10) out.write(`${line(p)}\n`)
    },
  }
}

function readRange(values: Values) {
  return {
    fromSeq: values['from-seq'] ? seq(values['from-seq'], '--from-seq') : undefined,
    toSeq: values['to-seq'] ? seq(values['to-seq'], '--to-seq') : undefined,
    from: values.from ? time(values.from, '--from') : undefined,
    to: values.to ? time(values.to, '--to') : undefined,
  }
}

function readArgs() {
  try {
    return parseArgs({ options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`${flag} is required`)
  return value
}

function seq(value: string, flag: string): string {
  if (!/^\d{1,19}$/.test(value)) throw new UsageError(`${flag} must be a whole number`)
  return value
}

function integer(value: string, flag: string, min: number, max: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be a whole number from ${min} to ${max}`)
  return n
}

function time(value: string, flag: string): string {
  const t = new Date(value)
  if (Number.isNaN(t.getTime())) throw new UsageError(`${flag} must be an ISO 8601 time`)
  return t.toISOString()
}

function pattern(value: string): string {
  try {
    validatePattern(value)
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  return value
}

function splitOnce(value: string, separator: string): [string, string] {
  const i = value.indexOf(separator)
  return i < 0 ? [value, ''] : [value.slice(0, i), value.slice(i + 1)]
}

function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  for (const r of [header, ...rows]) console.log(r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd())
}

main().then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof UsageError) console.error(`${error.message}\n${USAGE}`)
    else if (error instanceof ConfigError) console.error(error.message)
    else if (error instanceof DomainError) console.error(`events: ${error.detail}`)
    // First line only: a driver error's later lines can list query parameters.
    else console.error('events failed:', String(error instanceof Error ? error.message : error).split('\n')[0])
    process.exit(error instanceof UsageError ? 2 : 1)
  },
)
