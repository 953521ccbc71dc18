/**
 * pino JSON logs. Everything that reaches the sink passes through `redact` first: the logged object
 * (formatters.log), the base and child bindings (`child`/`setBindings` are wrapped) and the message itself,
 * including one pino would take from an error's message (hooks.logMethod). On Workers pino resolves to its browser
 * build, which writes one JSON line per record through console.log; `browser.write` redacts the whole record there.
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
    // Redacted once here rather than by a bindings formatter: pino makes every child rebuild its formatters when
    // the root has one, and a child per request is on the hot path.
    base: base && (redact(base) as Record<string, unknown>),
    messageKey: 'msg',
    timestamp: isoTimeCached(),
    formatters: {
      level: (label) => ({ level: label }),
      log: (record) => redact(record) as Record<string, unknown>,
    },
    hooks: { logMethod: redactArguments },
    serializers: { err: (e) => redact(e) },
    browser: {
      asObject: true,
      write: (o) => console.log(JSON.stringify(redact(browserRecord(o as Record<string, unknown>)))),
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

const LEVEL_LABELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }

/**
 * The browser build (Workers) ignores `formatters` and stores the `timestamp` function's raw output — the Node-form
 * `,"time":"…"` fragment — as the time. Give Workers lines the same shape as Node lines: a label and an ISO time.
 */
export function browserRecord(o: Record<string, unknown>): Record<string, unknown> {
  const { level, time: _time, ...rest } = o
  return { level: typeof level === 'number' ? (LEVEL_LABELS[level] ?? level) : level, time: new Date().toISOString(), ...rest }
}

/**
 * pino's isoTime, formatted once per millisecond: under load several lines share a millisecond, and
 * `toISOString()` is one of the larger costs of an access line.
 */
function isoTimeCached(): () => string {
  let lastMs = -1
  let field = ''
  return () => {
    const now = Date.now()
    if (now !== lastMs) {
      lastMs = now
      field = `,"time":"${new Date(now).toISOString()}"`
    }
    return field
  }
}

/**
 * pino builds the message from the string arguments (and, for `log(error)` or `log({ err })` without one, from the
 * error's message) without passing it through any formatter, so the hook supplies a redacted message itself.
 */
function redactArguments(this: pino.Logger, args: Parameters<pino.LogFn>, method: pino.LogFn) {
  const first = args[0] as unknown
  // The common shapes first, without copying the arguments: log(obj, msg) and log(msg).
  if (args.length === 2 && typeof args[1] === 'string' && typeof first === 'object' && first !== null && !(first instanceof Error)) {
    return method.call(this, first, redactString(args[1]))
  }
  if (args.length === 1 && typeof first === 'string') return method.call(this, redactString(first))
  const rest = (args as unknown[]).slice(1)
  if (typeof first === 'string') return method.apply(this, [redactString(first), ...rest.map(redactArgument)] as never)
  if (first instanceof Error) {
    const msg = typeof rest[0] === 'string' ? rest.shift() : first.message
    return method.apply(this, [{ err: first }, redactString(msg as string), ...rest.map(redactArgument)] as never)
  }
  if (rest.length === 0) {
    const err = (first as { err?: unknown } | null | undefined)?.err
    if (err instanceof Error && (first as Record<string, unknown>).msg === undefined) {
      return method.call(this, first, redactString(err.message))
    }
    return method.apply(this, args)
  }
  return method.apply(this, [first, ...rest.map(redactArgument)] as never)
}

/** Interpolation values (`%s`, `%o`) land in the message, so they get the same treatment as a logged object. */
function redactArgument(value: unknown): unknown {
  return redact(value)
}
