import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../support/app.ts'
import { confirmationCode, signTicket, ticketKeys, verifyTicket, type Jwks } from '../../src/core/auth/tickets.ts'

let t: TestApp
beforeAll(async () => {
  t = await startTestApp()
})
afterAll(() => t.close())

describe('GET /v1/tickets/keys', () => {
  it('is public and cacheable, and serves an Ed25519 key that verifies a ticket the server signed', async () => {
    const res = await t.app.request('/v1/tickets/keys')
    expect(res.status).toBe(200)
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=3600')
    const jwks = (await res.json()) as Jwks
    expect(jwks.keys).toHaveLength(1)
    const [jwk] = jwks.keys
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' })
    expect(jwk).not.toHaveProperty('d')

    const now = new Date()
    const token = await signTicket(
      await ticketKeys(t.deps.config),
      { bookingId: crypto.randomUUID(), code: confirmationCode(), departureId: crypto.randomUUID(), startsAt: new Date(now.getTime() + 86_400_000), seats: 1 },
      now,
    )
    // What a guide app does with nothing but WebCrypto and the downloaded key.
    const [header, payload, signature] = token.split('.') as [string, string, string]
    expect(JSON.parse(Buffer.from(header, 'base64url').toString()).kid).toBe(jwk!.kid)
    const publicKey = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk!.x }, { name: 'Ed25519' }, false, ['verify'])
    const signed = new TextEncoder().encode(`${header}.${payload}`)
    expect(await crypto.subtle.verify({ name: 'Ed25519' }, publicKey, Buffer.from(signature, 'base64url'), signed)).toBe(true)
    expect((await verifyTicket(jwks, token, now)).valid).toBe(true)
  })

  it('is in the OpenAPI document', async () => {
    const doc = (await (await t.app.request('/openapi.json')).json()) as { paths: Record<string, unknown> }
    expect(doc.paths).toHaveProperty('/v1/tickets/keys')
  })
})
