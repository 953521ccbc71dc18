import { expect, it } from 'vitest'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger } from './logger.ts'
import { syncDestination } from './logger.node.ts'

it('writes each line before the log call returns (nothing buffered to lose), redacted like any other sink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kamhub-log-'))
  try {
    const file = join(dir, 'out.log')
    const logger = createLogger({ destination: syncDestination(file) })
    logger.info({ password: 'hunter2' }, 'first')
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'first', password: '[REDACTED]' })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
