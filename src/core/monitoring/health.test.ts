import { describe, expect, it } from 'vitest'
import { checkReadiness, type HealthCheck } from './health.ts'

const up = (name: string, required: boolean): HealthCheck => ({ name, required, check: async () => {} })
const down = (name: string, required: boolean, message = 'connection refused'): HealthCheck => ({
  name,
  required,
  check: async () => {
    throw new Error(message)
  },
})
/** A dependency that never answers; its timeout is a few ms so the test waits no longer than that. */
const hanging = (name: string, required: boolean): HealthCheck => ({ name, required, timeoutMs: 5, check: () => new Promise(() => {}) })

describe('checkReadiness', () => {
  it('is ok when every check answers, with each status and latency', async () => {
    const result = await checkReadiness([up('database', true), up('cache', false)])
    expect(result.status).toBe('ok')
    expect(result.checks.database).toMatchObject({ status: 'up', required: true })
    expect(typeof result.checks.cache!.latencyMs).toBe('number')
  })

  it('is down when a required dependency is down', async () => {
    const result = await checkReadiness([down('database', true), up('cache', false)])
    expect(result.status).toBe('down')
    expect(result.checks.database).toMatchObject({ status: 'down', required: true, error: 'connection refused' })
  })

  it('is degraded, not down, when only an optional dependency is down', async () => {
    const result = await checkReadiness([up('database', true), down('cache', false)])
    expect(result.status).toBe('degraded')
    expect(result.checks.cache).toMatchObject({ status: 'down', required: false })
  })

  it('counts a check that hangs past its timeout as down', async () => {
    const required = await checkReadiness([hanging('database', true)])
    expect(required.status).toBe('down')
    expect(required.checks.database!.error).toMatch(/no answer within 5 ms/)
    expect((await checkReadiness([up('database', true), hanging('cache', false)])).status).toBe('degraded')
  })

  it('counts a check that throws synchronously as down instead of failing the probe', async () => {
    const sync: HealthCheck = {
      name: 'queue',
      required: true,
      check: () => {
        throw new Error('not configured')
      },
    }
    expect((await checkReadiness([sync])).checks.queue).toMatchObject({ status: 'down', error: 'not configured' })
  })

  it('never exposes a password from a connection error', async () => {
    const result = await checkReadiness([down('database', true, 'connect ECONNREFUSED postgres://app:s3cr3t@db:5432/k')])
    expect(result.checks.database!.error).not.toContain('s3cr3t')
  })
})
