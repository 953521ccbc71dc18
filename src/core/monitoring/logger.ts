/**
 * pino JSON logs. Everything that reaches the sink passes through `redact` first: the logged object (formatters.log),
 * the root and child bindings (formatters.bindings, and `child`/`setBindings` wrapped: pino skips the formatter for
 * children) and the message itself, including one pino would take from an error's message (hooks.logMethod). On Workers pino resolves to its browser build, which writes one JSON line per record
 * through console.log; `browser.write` redacts the whole record there.
 */
import pino from 'pino'
import { redact, redactString } from './redact.ts'

export type Logger = pino.Logger

export interface LoggerOptions {
  level?: string
  /** Where JSON lines go; defaults to stdout (Node, Deno) or console.log (Workers). Anything with `write(line)`. */
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
      bindings: (bindings) => redact(bindings) as Record<string, unknown>,
      log: (record) => redact(record) as Record<string, unknown>,
    },
    hooks: { logMethod: redactArguments },
    serializers: { err: (e) => redact(e) },
    browser: {
      asObject: true,
      write: (o) => console.log(JSON.stringify(redact(o))),
    },
  }
  const logger = destination ? pino(options, destination) : pino(options)
  // Children are created with Object.create(parent), so grandchildren inherit these wrappers too.
  type Method = (this: unknown, bindings: pino.Bindings, ...rest: unknown[]) => unknown
  const wrap = (original: Method): Method =>
    function redactedBindings(this: unknown, bindings, ...rest) {
      return original.call(this, redact(bindings) as pino.Bindings, ...rest)
    }
  for (const name of ['child', 'setBindings'] as const) {
    const original = logger[name] as unknown as Method | undefined
    // The browser build (Workers) may lack setBindings; its `write` redacts whole records anyway.
    if (typeof original === 'function') Object.assign(logger, { [name]: wrap(original) })
  }
  return logger
}

/**
 * pino builds the message from the string arguments (and, for `log(error)` or `log({ err })` without one, from the
 * error's message) without passing it through any formatter, so the hook supplies a redacted message itself.
 */
function redactArguments(this: pino.Logger, args: Parameters<pino.LogFn>, method: pino.LogFn) {
  const [first, ...rest] = args as unknown[]
  if (typeof first === 'string') return method.apply(this, [redactString(first), ...rest.map(redactArgument)] as never)
  if (first instanceof Error) {
    const msg = typeof rest[0] === 'string' ? rest.shift() : first.message
    return method.apply(this, [{ err: first }, redactString(msg as string), ...rest.map(redactArgument)] as never)
  }
  if (rest.length === 0) {
    const err = (first as { err?: unknown } | null | undefined)?.err
    if (err instanceof Error && (first as Record<string, unknown>).msg === undefined) {
      return method.apply(this, [first, redactString(err.message)] as never)
    }
    return method.apply(this, args)
  }
  return method.apply(this, [first, ...rest.map(redactArgument)] as never)
}

/** Interpolation values (`%s`, `%o`) land in the message, so they get the same treatment as a logged object. */
function redactArgument(value: unknown): unknown {
  return redact(value)
}
