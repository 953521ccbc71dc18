import { describe, expect, it } from 'vitest'
import { captureLogs } from '../../../tests/support/logs.ts'

// Every test logs secrets through a different door, then checks the raw lines (exactly what the sink received).
const SECRETS = ['hunter2', 's3cr3t-token', '4242424242424242', '4242 4242 4242 4242', 'sk_live_123456', 'cvv-999', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJl']

function expectNoSecrets(raw: string[]) {
  expect(raw.length).toBeGreaterThan(0)
  for (const line of raw) for (const secret of SECRETS) expect(line).not.toContain(secret)
}

describe('logger: no secret reaches the sink', () => {
  it('through a logged object: headers, cookies, body fields, card data, nested and in arrays', () => {
    const logs = captureLogs()
    logs.logger.info(
      {
        req: { headers: { authorization: 'Bearer s3cr3t-token', cookie: 'session=s3cr3t-token', 'x-api-key': 'sk_live_123456' } },
        body: { password: 'hunter2', card: { number: '4242 4242 4242 4242', cvv: 'cvv-999' } },
        attempts: [{ token: 's3cr3t-token' }],
      },
      'checkout',
    )
    expectNoSecrets(logs.raw)
    const [record] = logs.find('checkout')
    expect(record).toMatchObject({ level: 'info', body: { card: { number: '424242…4242', cvv: '[REDACTED]' } } })
  })

  it('through an error whose message carries secrets, logged bare or as { err }', () => {
    const logs = captureLogs()
    const error = new Error('rejected password=hunter2 for Bearer s3cr3t-token, card 4242424242424242')
    logs.logger.error(error)
    logs.logger.error({ err: error })
    logs.logger.error({ err: error }, 'payment failed')
    expectNoSecrets(logs.raw)
    const records = logs.records()
    // pino would have copied the raw message into `msg`: the hook gives it the redacted one instead.
    expect(records[0]!.msg).toBe('rejected password=[REDACTED] for Bearer [REDACTED], card 424242…4242')
    expect(records[1]!.msg).toBe(records[0]!.msg)
    expect(records[2]).toMatchObject({ msg: 'payment failed', err: { type: 'Error', message: records[0]!.msg } })
  })

  it('through the message and its interpolation arguments', () => {
    const logs = captureLogs()
    logs.logger.warn('retrying with Authorization: Bearer s3cr3t-token')
    logs.logger.warn('user %s sent %o', 'password=hunter2', { apiKey: 'sk_live_123456' })
    logs.logger.warn('again with Bearer s3cr3t-token at %s', 'noon')
    logs.logger.warn({ attempt: 2 }, 'with password=hunter2')
    expectNoSecrets(logs.raw)
  })

  it('through child-logger bindings', () => {
    const logs = captureLogs()
    logs.logger.child({ requestId: 'r1', token: 's3cr3t-token' }).info('bound')
    expectNoSecrets(logs.raw)
    expect(logs.find('bound')[0]).toMatchObject({ requestId: 'r1', token: '[REDACTED]' })
  })

  it("through a failed query's error (Drizzle writes the parameter values into its message)", () => {
    const logs = captureLogs()
    const cause = Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), { code: '23505' })
    const error = Object.assign(new Error('Failed query: insert into users (email, password_hash) values ($1, $2)\nparams: a@b.c,hunter2', { cause }), {
      query: 'insert into users (email, password_hash) values ($1, $2)',
      params: ['a@b.c', 'hunter2'],
    })
    logs.logger.error({ err: error }, 'request failed')
    expectNoSecrets(logs.raw)
    expect(logs.find('request failed')[0]).toMatchObject({ err: { query: expect.stringContaining('insert into users'), params: '[REDACTED]', cause: { code: '23505' } } })
  })

  it('writes one JSON line per record with level label, ISO time and the service name', () => {
    const logs = captureLogs('debug')
    logs.logger.debug({ a: 1 }, 'hello')
    expect(logs.raw[0]!.endsWith('\n')).toBe(true)
    expect(logs.records()[0]).toMatchObject({ level: 'debug', service: 'kamhub', msg: 'hello', a: 1, time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })
  })
})

describe('Workers log lines (pino browser build)', () => {
  it('have a level label and an ISO time like Node lines', async () => {
    const { browserRecord } = await import('./logger.ts')
    const line = browserRecord({ level: 30, time: ',"time":"garbage"', msg: 'request', requestId: 'r1' })
    expect(line).toMatchObject({ level: 'info', msg: 'request', requestId: 'r1' })
    expect(new Date(line.time as string).toISOString()).toBe(line.time)
  })
})
