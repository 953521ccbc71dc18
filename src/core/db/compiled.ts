/**
 * A statement compiled once, for the hottest loops (the event dispatcher's claim and outcome statements).
 *
 * Why: Drizzle turns a `sql` template into text and parameters on every `execute`, walking every chunk of every
 * fragment it embeds. For the claim statement — dozens of fragments, nearly 3 KB of text — that was 40% of all the
 * dispatcher allocated at 500 events/s, and the scavenges that garbage brings pause the thread for 2–10 ms each:
 * the p99 of event delivery. A compiled statement is built once with `sql.placeholder(name)` where values change,
 * and each run only fills those in. The text and parameters PostgreSQL sees are the same as from `execute` (minus
 * comments and runs of whitespace, which only cost parsing and hashing per run), so plans do not change.
 *
 * Runs through the executor's own Drizzle session, so it works alike on postgres.js and PGlite, inside a
 * transaction or not, with the pool's statement preparation and query timing.
 */
import type { QueryWithTypings, SQL } from 'drizzle-orm'
import { PgDialect } from 'drizzle-orm/pg-core'
import { rowsOf, type Executor } from './index.ts'

export interface CompiledQuery<V extends Record<string, unknown>> {
  /** The statement's text, as sent (for tests and EXPLAIN). */
  readonly text: string
  rows<T = Record<string, unknown>>(ex: Executor, values: V): Promise<T[]>
}

const dialect = new PgDialect()

/** `build` runs once, on first use (so a module can compile statements from fragments it defines further down). */
export function compileQuery<V extends Record<string, unknown>>(build: () => SQL): CompiledQuery<V> {
  let compiled: QueryWithTypings | undefined
  const compile = (): QueryWithTypings => {
    const { sql: raw, params, typings } = dialect.sqlToQuery(build())
    return { sql: compactSql(raw), params, typings }
  }
  return {
    get text() {
      return (compiled ??= compile()).sql
    },
    async rows<T>(ex: Executor, values: V) {
      compiled ??= compile()
      return rowsOf<T>(await ex._.session.prepareQuery(compiled, undefined, undefined, false).execute(values))
    },
  }
}

/**
 * The statement without `--` comments and with each run of whitespace made one space, outside string literals and
 * quoted identifiers (which are copied as they are). Block comments and dollar quoting are not used by the
 * statements compiled here, and are refused rather than half-understood.
 */
export function compactSql(text: string): string {
  let out = ''
  let pendingSpace = false
  for (let i = 0; i < text.length; ) {
    const ch = text[i]!
    if (ch === "'" || ch === '"') {
      // A quoted run ends at the next lone quote; a doubled quote is an escaped one.
      let end = i + 1
      for (;;) {
        end = text.indexOf(ch, end)
        if (end === -1) throw new Error(`Unterminated ${ch} in SQL`)
        if (text[end + 1] === ch) end += 2
        else break
      }
      if (pendingSpace && out) out += ' '
      pendingSpace = false
      out += text.slice(i, end + 1)
      i = end + 1
    } else if (ch === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i)
      i = end === -1 ? text.length : end
      pendingSpace = true
    } else if ((ch === '/' && text[i + 1] === '*') || (ch === '$' && /^\$[A-Za-z_]*\$/.test(text.slice(i)))) {
      throw new Error('compactSql does not handle block comments or dollar quoting')
    } else if (/\s/.test(ch)) {
      pendingSpace = true
      i++
    } else {
      if (pendingSpace && out) out += ' '
      pendingSpace = false
      out += ch
      i++
    }
  }
  return out
}
