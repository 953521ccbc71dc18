import { describe, expect, it } from 'vitest'
import { parseConfig } from '../config/schema.ts'
import {
  CONFIRMATION_ALPHABET,
  TICKET_TYPE,
  confirmationCode,
  importTicketKey,
  randomString,
  signTicket,
  ticketJwks,
  ticketKeys,
  verifyTicket,
  type TicketInput,
  type TicketKeys,
} from './tickets.ts'

async function freshKeys(): Promise<TicketKeys> {
  const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])) as CryptoKeyPair
  return importTicketKey(new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey)))
}

const b64url = (s: string) => Buffer.from(s).toString('base64url')
const decodePart = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>

const now = new Date('2026-07-01T08:00:00Z')
const ticket: TicketInput = {
  bookingId: '0197a0b2-0000-7000-8000-000000000001',
  code: 'K7QX3MPA',
  departureId: '0197a0b2-0000-7000-8000-000000000002',
  tourTitle: 'Avachinsky volcano',
  startsAt: new Date('2026-07-10T06:00:00Z'),
  seats: 2,
  travellerName: 'Anna K',
}

describe('signed tickets', () => {
  it('sign → verify round trip: the claims come back, exp is the departure + 2 days, the header names EdDSA, kid and type', async () => {
    const keys = await freshKeys()
    const token = await signTicket(keys, ticket, now)
    expect(decodePart(token.split('.')[0]!)).toEqual({ alg: 'EdDSA', kid: keys.kid, typ: TICKET_TYPE })
    const result = await verifyTicket(ticketJwks(keys), token, now)
    expect(result).toEqual({
      valid: true,
      claims: {
        bookingId: ticket.bookingId,
        code: 'K7QX3MPA',
        departureId: ticket.departureId,
        tourTitle: 'Avachinsky volcano',
        startsAt: '2026-07-10T06:00:00.000Z',
        seats: 2,
        travellerName: 'Anna K',
        iat: now.getTime() / 1000,
        exp: Date.parse('2026-07-12T06:00:00Z') / 1000,
      },
    })
  })

  it('a tampered payload is rejected (more seats, same signature)', async () => {
    const keys = await freshKeys()
    const [header, payload, signature] = (await signTicket(keys, ticket, now)).split('.') as [string, string, string]
    const forged = b64url(JSON.stringify({ ...decodePart(payload), seats: 9 }))
    expect(await verifyTicket(ticketJwks(keys), `${header}.${forged}.${signature}`, now)).toEqual({ valid: false, reason: 'bad_signature' })
  })

  it('a ticket signed by another key is rejected, whether it names an unknown kid or ours', async () => {
    const ours = await freshKeys()
    const theirs = await freshKeys()
    const token = await signTicket(theirs, ticket, now)
    expect(await verifyTicket(ticketJwks(ours), token, now)).toEqual({ valid: false, reason: 'unknown_key' })
    const [, payload, signature] = token.split('.')
    const claimingOurs = `${b64url(JSON.stringify({ alg: 'EdDSA', kid: ours.kid, typ: TICKET_TYPE }))}.${payload}.${signature}`
    expect(await verifyTicket(ticketJwks(ours), claimingOurs, now)).toEqual({ valid: false, reason: 'bad_signature' })
  })

  it('an expired ticket is rejected once exp (plus the leeway) has passed, and accepted just before', async () => {
    const keys = await freshKeys()
    const token = await signTicket(keys, { ...ticket, expiresAt: new Date('2026-07-02T00:00:00Z') }, now)
    expect((await verifyTicket(ticketJwks(keys), token, new Date('2026-07-01T23:59:59Z'), { leewaySeconds: 0 })).valid).toBe(true)
    expect(await verifyTicket(ticketJwks(keys), token, new Date('2026-07-02T00:00:00Z'), { leewaySeconds: 0 })).toEqual({ valid: false, reason: 'expired' })
    expect((await verifyTicket(ticketJwks(keys), token, new Date('2026-07-02T00:00:30Z'))).valid).toBe(true)
    expect(await verifyTicket(ticketJwks(keys), token, new Date('2026-07-02T00:01:00Z'))).toEqual({ valid: false, reason: 'expired' })
  })

  it('another algorithm or type in the header (alg none, an access token) is refused before any key is used', async () => {
    const keys = await freshKeys()
    const [, payload, signature] = (await signTicket(keys, ticket, now)).split('.')
    const withHeader = (h: object) => `${b64url(JSON.stringify(h))}.${payload}.${signature}`
    expect(await verifyTicket(ticketJwks(keys), withHeader({ alg: 'none', kid: keys.kid, typ: TICKET_TYPE }), now)).toEqual({ valid: false, reason: 'unsupported' })
    expect(await verifyTicket(ticketJwks(keys), withHeader({ alg: 'EdDSA', kid: keys.kid, typ: 'JWT' }), now)).toEqual({ valid: false, reason: 'unsupported' })
    expect(await verifyTicket(ticketJwks(keys), 'not.a-ticket', now)).toEqual({ valid: false, reason: 'malformed' })
    expect(await verifyTicket(ticketJwks(keys), `${payload}.${payload}.${signature}`, now)).toEqual({ valid: false, reason: 'unsupported' })
  })

  it('the JWKS carries only the public key (no private "d")', async () => {
    const keys = await freshKeys()
    const [jwk] = ticketJwks(keys).keys
    expect(Object.keys(jwk!).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x'])
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', kid: keys.kid })
    expect(keys.privateKey.extractable).toBe(false)
  })
})

describe('ticket signing keys from configuration', () => {
  const PKCS8 = 'MC4CAQAwBQYDK2VwBCIEICbjAy7-Pl328Hg8x8JLn1gVjOQu9ONAbuWscHLqJxJ8'

  it('TICKET_SIGNING_KEY is used when set: tickets verify with its public key', async () => {
    const keys = await ticketKeys(parseConfig({ TICKET_SIGNING_KEY: PKCS8 }))
    const again = await importTicketKey(new Uint8Array(Buffer.from(PKCS8, 'base64url')))
    expect(keys.kid).toBe(again.kid)
    expect((await verifyTicket(ticketJwks(again), await signTicket(keys, ticket, now), now)).valid).toBe(true)
  })

  it('without it, development derives the key from JWT_SECRET: the same secret gives the same key across processes', async () => {
    const a = await ticketKeys(parseConfig({ JWT_SECRET: 'a'.repeat(32) }))
    const b = await ticketKeys(parseConfig({ JWT_SECRET: 'a'.repeat(32) }))
    const c = await ticketKeys(parseConfig({ JWT_SECRET: 'c'.repeat(32) }))
    expect(a.kid).toBe(b.kid)
    expect(a.kid).not.toBe(c.kid)
    expect((await verifyTicket(ticketJwks(b), await signTicket(a, ticket, now), now)).valid).toBe(true)
  })

  it('a malformed key stops start-up naming the variable, never echoing the value', () => {
    const bad = 'MC4CAQAwBQYDK2VwBCIEI' + 'x'.repeat(20)
    expect(() => parseConfig({ TICKET_SIGNING_KEY: bad })).toThrow(/TICKET_SIGNING_KEY/)
    try {
      parseConfig({ TICKET_SIGNING_KEY: bad })
    } catch (error) {
      expect((error as Error).message).not.toContain(bad)
    }
  })
})

describe('confirmation codes', () => {
  it('are 8 characters from the unambiguous alphabet (no 0, O, 1, I)', () => {
    expect(CONFIRMATION_ALPHABET).toHaveLength(32)
    expect(CONFIRMATION_ALPHABET).not.toMatch(/[0O1I]/)
    for (let i = 0; i < 200; i++) expect(confirmationCode()).toMatch(/^[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$/)
  })

  it('discard bytes past the largest multiple of the alphabet size instead of folding them in with %', () => {
    // Alphabet of 3: 255 % 3 === 0 would make "a" likelier; the byte 255 must be skipped, not mapped to "a".
    const bytes = [255, 1, 255, 2, 0, 4]
    let i = 0
    const fill = (b: Uint8Array) => b.map(() => bytes[i++ % bytes.length]!)
    expect(randomString('abc', 4, fill)).toBe('bcab')
  })

  it('with a 32-symbol alphabet every byte maps to a symbol and each symbol takes exactly 8 byte values', () => {
    const counts = new Map<string, number>()
    let next = 0
    const fill = (b: Uint8Array) => b.map(() => next++ % 256)
    const all = randomString(CONFIRMATION_ALPHABET, 256, fill)
    for (const ch of all) counts.set(ch, (counts.get(ch) ?? 0) + 1)
    expect([...counts.values()]).toEqual(new Array(32).fill(8))
  })
})
