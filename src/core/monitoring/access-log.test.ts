import { describe, expect, it } from 'vitest'
import pino from 'pino'
import { createLogger } from './logger.ts'
import { accessLog, type AccessRecord } from './access-log.ts'

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
