import { describe, expect, it } from 'vitest'
import { parseConfig, assertDevAdapterAllowed, ConfigError } from './schema.ts'

// An Ed25519 private key (PKCS8 DER, base64url) used only by these tests.
const TICKET_SIGNING_KEY = 'MC4CAQAwBQYDK2VwBCIEICbjAy7-Pl328Hg8x8JLn1gVjOQu9ONAbuWscHLqJxJ8'

describe('config', () => {
  it('has working defaults for the embedded dev setup', () => {
    const c = parseConfig({})
    expect(c.PORT).toBe(8787)
    expect(c.DATABASE_URL).toBeUndefined()
    expect(c.production).toBe(false)
  })

  it('an invalid value stops start-up naming the variable', () => {
    expect(() => parseConfig({ PORT: 'eighty' })).toThrow(/PORT/)
    expect(() => parseConfig({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/)
  })

  it('the dispatcher runs 100 × 2 handlers at most by default; claim loops are bounded', () => {
    const c = parseConfig({})
    expect([c.EVENTS_BATCH_SIZE, c.EVENTS_CLAIM_LOOPS]).toEqual([100, 2])
    expect(parseConfig({ EVENTS_BATCH_SIZE: '500', EVENTS_CLAIM_LOOPS: '4' }).EVENTS_CLAIM_LOOPS).toBe(4)
    expect(() => parseConfig({ EVENTS_CLAIM_LOOPS: '0' })).toThrow(/EVENTS_CLAIM_LOOPS/)
    expect(() => parseConfig({ EVENTS_CLAIM_LOOPS: '64' })).toThrow(/EVENTS_CLAIM_LOOPS/)
  })

  it('coalesces the Node server\'s writes unless told not to', () => {
    expect(parseConfig({}).HTTP_WRITE_COALESCING).toBe(true)
    expect(parseConfig({ HTTP_WRITE_COALESCING: 'false' }).HTTP_WRITE_COALESCING).toBe(false)
    expect(() => parseConfig({ HTTP_WRITE_COALESCING: 'off' })).toThrow(/HTTP_WRITE_COALESCING/)
  })

  it('treats empty strings as unset', () => {
    expect(parseConfig({ PORT: '', DATABASE_URL: '' }).PORT).toBe(8787)
  })

  it('production refuses to start without a JWT secret, a ticket signing key or with the embedded database', () => {
    expect(() => parseConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/)
    expect(() => parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://db/kamhub' })).toThrow(/TICKET_SIGNING_KEY/)
    expect(() => parseConfig({ APP_ENV: 'production', JWT_SECRET: 'x'.repeat(32), TICKET_SIGNING_KEY })).toThrow(/DATABASE_URL/)
    const ok = parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), TICKET_SIGNING_KEY, DATABASE_URL: 'postgres://db/kamhub' })
    expect(ok.production).toBe(true)
  })

  it('production refuses dev-only adapters unless explicitly allowed', () => {
    const prod = parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), TICKET_SIGNING_KEY, DATABASE_URL: 'postgres://db/kamhub' })
    expect(() => assertDevAdapterAllowed(prod, 'The sandbox payment provider')).toThrow(ConfigError)
    const allowed = parseConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), TICKET_SIGNING_KEY, ALLOW_DEV_ADAPTERS: 'true' })
    expect(() => assertDevAdapterAllowed(allowed, 'The embedded PGlite database')).not.toThrow()
  })

  it('Upstash URL and token go together', () => {
    expect(() => parseConfig({ UPSTASH_REDIS_REST_URL: 'https://x.upstash.io' })).toThrow(/UPSTASH_REDIS_REST_TOKEN/)
  })

  it('splits CORS origins', () => {
    expect(parseConfig({ CORS_ORIGINS: 'https://a.example, https://b.example' }).CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example'])
  })
})
