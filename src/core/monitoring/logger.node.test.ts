import { afterEach, expect, it, vi } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from './logger.ts'
import { bufferedDestination } from './logger.node.ts'
import { accessLog, type AccessRecord } from './access-log.ts'

const dirs: string[] = []
afterEach(() => {
  vi.useRealTimers()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kamhub-log-'))
  dirs.push(dir)
  return join(dir, 'out.log')
}
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean)

it('batches lines until a flush, then writes them redacted like any other sink', () => {
  const file = tempFile()
  const logger = createLogger({ destination: bufferedDestination(file, { minLength: 4096, flushMs: 60_000 }) })
  logger.info({ password: 'hunter2' }, 'first')
  logger.info('second')
  expect(lines(file)).toHaveLength(0)
  logger.flush()
  expect(lines(file).map((l) => JSON.parse(l))).toMatchObject([{ msg: 'first', password: '[REDACTED]' }, { msg: 'second' }])
})

it('writes once the batch is full, without waiting for a flush', () => {
  const file = tempFile()
  const logger = createLogger({ destination: bufferedDestination(file, { minLength: 1024, flushMs: 60_000 }) })
  for (let i = 0; i < 20; i++) logger.info({ i, filler: 'x'.repeat(100) }, 'line')
  expect(lines(file).length).toBeGreaterThan(0)
})

it('keeps the order of pino lines, access lines written as bytes, and a line longer than the whole batch', () => {
  const file = tempFile()
  const logger = createLogger({ destination: bufferedDestination(file, { minLength: 1024, flushMs: 60_000 }) })
  const access = accessLog(logger)
  const request: AccessRecord = { requestId: 'r-1', method: 'GET', path: '/путь/🌋', route: '/v1/tours/:id', status: 200, durationMs: 0.5 }
  // 30,000 UTF-16 units may take 90,000 bytes: more than the batch (1 KiB + headroom) can promise to hold.
  const huge = 'я'.repeat(30_000)
  logger.info('first: ёлка')
  access('info', request)
  logger.info({ huge }, 'huge')
  for (let i = 0; i < 50; i++) access('info', { ...request, path: `/v1/tours/${i}` })
  logger.info('last')
  logger.flush()
  const written = lines(file).map((l) => JSON.parse(l))
  expect(written.map((l) => l.msg)).toEqual(['first: ёлка', 'request', 'huge', ...Array(50).fill('request'), 'last'])
  expect(written[1]).toMatchObject({ path: '/путь/🌋', status: 200, durationMs: 0.5 })
  expect(written[2].huge).toBe(huge)
  expect(written.slice(3, 53).map((l) => l.path)).toEqual(Array.from({ length: 50 }, (_, i) => `/v1/tours/${i}`))
})

it('a quiet server still writes its lines: the periodic flush', () => {
  vi.useFakeTimers()
  const file = tempFile()
  const logger = createLogger({ destination: bufferedDestination(file, { minLength: 4096, flushMs: 100 }) })
  logger.info('lonely')
  expect(lines(file)).toHaveLength(0)
  vi.advanceTimersByTime(100)
  expect(lines(file)).toHaveLength(1)
})

it('an uncaught exception still gets the lines logged before it out (the exit hook)', () => {
  const file = tempFile()
  const script = `
    const { createLogger } = await import(${JSON.stringify(new URL('./logger.ts', import.meta.url).href)})
    const { bufferedDestination } = await import(${JSON.stringify(new URL('./logger.node.ts', import.meta.url).href)})
    const logger = createLogger({ destination: bufferedDestination(${JSON.stringify(file)}, { minLength: 4096, flushMs: 60000 }) })
    logger.info('before the crash')
    throw new Error('boom')
  `
  expect(() => execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: 'pipe' })).toThrow()
  expect(lines(file).map((l) => JSON.parse(l).msg)).toEqual(['before the crash'])
})
