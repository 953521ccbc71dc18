import { describe, expect, it } from 'vitest'
import pino from 'pino'
import { createLogger } from './logger.ts'
import { accessLog, jsonString, type AccessRecord, type ByteLineSink } from './access-log.ts'

function capture() {
  const lines: string[] = []
  return { lines, destination: { write: (line: string) => void lines.push(line) } }
}

/**
 * Takes bytes like the servers' batch (logger.node.ts): lines one after another in one array, each decoded when it is
 * committed. A line that ran past what it reserved, or over bytes before it, is recorded as a problem.
 */
function byteCapture(size = 64 * 1024) {
  const lines: string[] = []
  const problems: string[] = []
  const decoder = new TextDecoder()
  let used = 0
  let reserved = { at: 0, bytes: 0 }
  const destination: ByteLineSink & { write(line: string): void } = {
    batch: new Uint8Array(size),
    reserveLine(maxBytes) {
      if (used + maxBytes > size) used = 0
      reserved = { at: used, bytes: maxBytes }
      return maxBytes > size ? -1 : used
    },
    commitLine(end) {
      if (end - reserved.at > reserved.bytes) problems.push(`${end - reserved.at} bytes written, ${reserved.bytes} reserved`)
      lines.push(decoder.decode(destination.batch.subarray(reserved.at, end)))
      used = end
    },
    write: (line) => void lines.push(line),
  }
  return { lines, problems, destination }
}

const record: AccessRecord = { requestId: 'req-1', method: 'GET', path: '/v1/tours', route: '/v1/tours', status: 200, durationMs: 1.25 }
const withoutTime = (line: string) => line.replace(/,"time":"[^"]*"/, '')

describe('the access line', () => {
  it('is, byte for byte, the line pino itself writes for the same record (only the time may differ)', () => {
    const paths = ['/v1/tours', '/', '/v1/tours/709a9071-d298-8a58-a2ce-f48087c18d2c?lang=ru', '/путь/тур', '/emoji/🌋', '/q?"quoted"', '/back\\slash', '/tab\t/new\nline', '/nul\u0000', '/del\u007f', '/sep\u2028\u2029', 'x'.repeat(2000)]
    const durations = [0, 0.01, 0.1, 0.5, 1, 1.05, 1.25, 12.3, 999.99, 12345.67, 1 / 3, 1e-7, 2.5e12, NaN, Infinity, -1]
    const records: AccessRecord[] = [
      ...paths.map((path, i) => ({ ...record, path, route: i % 2 ? '/v1/tours/:id' : 'unmatched', durationMs: durations[i % durations.length]! })),
      ...durations.map((durationMs, i) => ({ ...record, durationMs, status: [200, 304, 404, 503][i % 4]! })),
      { ...record, requestId: 'a.b:c-d_9', method: 'PATCH', route: '/v1/маршрут' },
    ]
    const fast = byteCapture()
    const slow = capture()
    const log = accessLog(createLogger({ level: 'debug', destination: fast.destination }))
    const pinoLogger = createLogger({ level: 'debug', destination: slow.destination })
    for (const level of ['debug', 'info', 'error'] as const) {
      for (const r of records) {
        log(level, r)
        pinoLogger[level](r, 'request')
      }
    }
    expect(fast.problems).toEqual([])
    expect(fast.lines.map(withoutTime)).toEqual(slow.lines.map(withoutTime))
    for (const line of fast.lines) expect(Date.parse(JSON.parse(line).time)).not.toBeNaN()
  })

  it('escapes a lone surrogate, so the path reads back as it came (pino would write it raw, and UTF-8 cannot hold it)', () => {
    const out = byteCapture()
    const log = accessLog(createLogger({ destination: out.destination }))
    for (const path of ['/lone/\ud800/high', '/lone/\udfff/low']) log('info', { ...record, path })
    expect(out.problems).toEqual([])
    expect(out.lines.map((line) => JSON.parse(line).path)).toEqual(['/lone/\ud800/high', '/lone/\udfff/low'])
  })

  it('writes a line too long for any batch through the logger instead', () => {
    const out = byteCapture(512)
    accessLog(createLogger({ destination: out.destination }))('info', { ...record, path: `/v1/${'x'.repeat(1000)}` })
    expect(out.lines).toHaveLength(1)
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ msg: 'request', path: `/v1/${'x'.repeat(1000)}` })
  })

  it('redacts and escapes the path, the one field a caller writes', () => {
    const out = byteCapture()
    accessLog(createLogger({ destination: out.destination }))('info', { ...record, path: '/v1/x?token=abc123secret&q="quoted"\n' })
    const line = JSON.parse(out.lines[0]!)
    expect(line.path).not.toContain('abc123secret')
    expect(line.path).toContain('[REDACTED]')
    expect(line.path).toContain('"quoted"')
  })

  it('respects the level: a debug line is dropped at info', () => {
    const out = byteCapture()
    const log = accessLog(createLogger({ level: 'info', destination: out.destination }))
    log('debug', record)
    log('error', { ...record, status: 500 })
    expect(out.lines.map((l) => JSON.parse(l).level)).toEqual(['error'])
  })

  it('goes through the logger when the destination needs metadata (a multistream)', () => {
    const out = capture()
    const logger = createLogger({ destination: pino.multistream([{ stream: out.destination }]) })
    accessLog(logger)('info', { ...record, path: '/v1/x?password=hunter2' })
    const line = JSON.parse(out.lines[0]!)
    expect(line).toMatchObject({ msg: 'request', requestId: 'req-1', status: 200 })
    expect(line.path).not.toContain('hunter2')
  })
})

describe('jsonString', () => {
  it('is JSON.stringify for any string: plain text as it is, the rest escaped by the builtin', () => {
    const samples = ['', 'GET', '/v1/tours/:id', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', '/путь/тур', 'emoji 🌋', 'quote "x"', 'back\\slash', 'tab\tnew\nline', '\u0000', 'lone \ud800 high', 'lone \udfff low', 'del \u007f', '\u2028\u2029']
    for (const text of samples) expect([text, jsonString(text)]).toEqual([text, JSON.stringify(text)])
  })
})

describe('the remembered paths', () => {
  const pathsLogged = (paths: string[]) => {
    const out = byteCapture()
    const log = accessLog(createLogger({ destination: out.destination }))
    for (const path of paths) log('info', { ...record, path })
    expect(out.problems).toEqual([])
    return out.lines.map((line) => JSON.parse(line).path as string)
  }

  it('give a clean path back as it came, again from memory, and a secret is redacted every time', () => {
    const clean = '/v1/tours/709a9071-d298-8a58-a2ce-f48087c18d2c'
    const secret = '/v1/reset?token=abc123secret'
    const logged = pathsLogged([clean, clean, secret, secret, clean])
    expect([logged[0], logged[1], logged[4]]).toEqual([clean, clean, clean])
    for (const path of [logged[2]!, logged[3]!]) {
      expect(path).not.toContain('abc123secret')
      expect(path).toContain('[REDACTED]')
    }
  })

  it('stay correct past their bound, and for paths too long to remember', () => {
    const paths = Array.from({ length: 5000 }, (_, i) => `/v1/tours/${i}`)
    const long = `/v1/${'a'.repeat(300)}`
    expect(pathsLogged([...paths, long, long, '/v1/x?password=hunter2'])).toEqual([...paths, long, long, expect.not.stringContaining('hunter2')])
  })
})
