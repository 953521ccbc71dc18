import { describe, expect, it } from 'vitest'
import pino from 'pino'
import { createLogger } from './logger.ts'
import { accessLog, jsonString, redactPath, type AccessRecord } from './access-log.ts'

function capture() {
  const lines: string[] = []
  return { lines, destination: { write: (line: string) => void lines.push(line) } }
}

const record: AccessRecord = { requestId: 'req-1', method: 'GET', path: '/v1/tours', route: '/v1/tours', status: 200, durationMs: 1.25 }

describe('the access line', () => {
  it('is the line pino itself writes for the same record (only the time may differ)', () => {
    const fast = capture()
    const slow = capture()
    accessLog(createLogger({ destination: fast.destination }))('info', record)
    createLogger({ destination: slow.destination }).info(record, 'request')
    const { time: t1, ...a } = JSON.parse(fast.lines[0]!)
    const { time: t2, ...b } = JSON.parse(slow.lines[0]!)
    expect(a).toEqual(b)
    expect(Object.keys(a)).toEqual(Object.keys(b))
    expect(Date.parse(t1)).not.toBeNaN()
    expect(Date.parse(t2)).not.toBeNaN()
  })

  it('redacts and escapes the path, the one field a caller writes', () => {
    const out = capture()
    accessLog(createLogger({ destination: out.destination }))('info', { ...record, path: '/v1/x?token=abc123secret&q="quoted"\n' })
    const line = JSON.parse(out.lines[0]!)
    expect(line.path).not.toContain('abc123secret')
    expect(line.path).toContain('[REDACTED]')
    expect(line.path).toContain('"quoted"')
  })

  it('respects the level: a debug line is dropped at info', () => {
    const out = capture()
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

describe('redactPath', () => {
  it('answers a clean path as it is, again from its memo, and redacts a secret every time', () => {
    expect(redactPath('/v1/tours/709a9071-d298-8a58-a2ce-f48087c18d2c')).toBe('/v1/tours/709a9071-d298-8a58-a2ce-f48087c18d2c')
    expect(redactPath('/v1/tours/709a9071-d298-8a58-a2ce-f48087c18d2c')).toBe('/v1/tours/709a9071-d298-8a58-a2ce-f48087c18d2c')
    for (let i = 0; i < 2; i++) {
      const out = redactPath('/v1/reset?token=abc123secret')
      expect(out).not.toContain('abc123secret')
      expect(out).toContain('[REDACTED]')
    }
  })

  it('stays correct past the bound of remembered paths', () => {
    for (let i = 0; i < 5000; i++) expect(redactPath(`/v1/tours/${i}`)).toBe(`/v1/tours/${i}`)
    expect(redactPath('/v1/x?password=hunter2')).not.toContain('hunter2')
  })
})
