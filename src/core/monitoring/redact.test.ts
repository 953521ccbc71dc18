import { describe, expect, it } from 'vitest'
import { isSecretKey, redact, redactString, REDACTED } from './redact.ts'

describe('redact: fields with secret names', () => {
  it('replaces credentials in nested headers, bodies and arrays, whatever the key spelling', () => {
    const out = redact({
      req: {
        headers: { Authorization: 'Bearer abc', 'Proxy-Authorization': 'Basic x', cookie: 'sid=1', 'x-api-key': 'k1', accept: '*/*' },
        body: { email: 'a@b.c', password: 'hunter2', newPassword: 'n', password_hash: 'h', refresh_token: 'r', accessToken: 'a' },
      },
      res: { headers: { 'set-cookie': ['sid=2'] } },
      keys: [{ apiKey: 'k2' }, { api_key: 'k3' }, { client_secret: 's' }, { privateKey: 'p' }],
    })
    expect(out).toEqual({
      req: {
        headers: { Authorization: REDACTED, 'Proxy-Authorization': REDACTED, cookie: REDACTED, 'x-api-key': REDACTED, accept: '*/*' },
        body: { email: 'a@b.c', password: REDACTED, newPassword: REDACTED, password_hash: REDACTED, refresh_token: REDACTED, accessToken: REDACTED },
      },
      res: { headers: { 'set-cookie': REDACTED } },
      keys: [{ apiKey: REDACTED }, { api_key: REDACTED }, { client_secret: REDACTED }, { privateKey: REDACTED }],
    })
  })

  it('replaces card data fields: number, CVV/CVC, PAN, PIN, IBAN', () => {
    const out = redact({ card: { cardNumber: '4111 1111 1111 1111', cvv: '123', cvc: 456, pan: '4242424242424242', pin: '0000', exp: '12/30' }, iban: 'DE89…' })
    expect(out).toEqual({ card: { cardNumber: REDACTED, cvv: REDACTED, cvc: REDACTED, pan: REDACTED, pin: REDACTED, exp: '12/30' }, iban: REDACTED })
  })

  it('keeps ordinary names that merely contain the letters (company, span, pinned)', () => {
    for (const key of ['company', 'span', 'pinned', 'keyboard', 'status', 'route', 'author']) expect(isSecretKey(key)).toBe(false)
  })

  it('keeps null and undefined secrets as they are (nothing to hide, and absence is useful)', () => {
    expect(redact({ password: null, token: undefined })).toEqual({ password: null, token: undefined })
  })
})

describe('redact: secret-shaped text inside strings', () => {
  it('masks Luhn-valid card numbers to the first six and last four digits, grouped or not', () => {
    expect(redactString('paid with 4242 4242 4242 4242.')).toBe('paid with 424242…4242.')
    expect(redactString('card=4111-1111-1111-1111')).toBe('card=411111…1111')
    expect(redactString('amex 378282246310005, mir 2200700000000009')).toBe('amex 378282…0005, mir 220070…0009')
    expect(redactString('5555555555554444')).toBe('555555…4444')
  })

  it('leaves numbers that are not cards: Luhn-invalid, millisecond timestamps, decimals, UUID segments', () => {
    for (const text of [
      'ref 4242424242424241',
      'at 1732538400000', // Luhn-valid, but a timestamp: issuer prefixes start at 2
      'ratio 0.4242424242424242',
      'id 00000000-0000-4000-8000-424242424242',
    ]) {
      expect(redactString(text)).toBe(text)
    }
  })

  it('masks a card number logged as a number', () => {
    expect(redact({ paid: 4242424242424242, count: 1732538400000 })).toEqual({ paid: '424242…4242', count: 1732538400000 })
  })

  it('replaces bearer and basic credentials and JWTs in free text', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLXZhbHVl'
    expect(redactString('Authorization: Bearer abc.def-123_456')).not.toContain('abc.def-123_456')
    expect(redactString('sent Basic dXNlcjpwYXNzd29yZA==')).toBe(`sent Basic ${REDACTED}`)
    expect(redactString(`token was ${jwt} (expired)`)).toBe(`token was ${REDACTED} (expired)`)
  })

  it('replaces secret assignments in query strings, form bodies, connection strings and JSON text', () => {
    expect(redactString('GET /cb?code=1&access_token=t0k3n&state=x')).toBe(`GET /cb?code=1&access_token=${REDACTED}&state=x`)
    expect(redactString('host=db user=app password=s3cr3t dbname=k')).toBe(`host=db user=app password=${REDACTED} dbname=k`)
    expect(redactString('body {"email":"a@b.c","password":"hunter2"}')).toBe(`body {"email":"a@b.c","password":"${REDACTED}"}`)
    expect(redactString('postgres://app:s3cr3t@db:5432/k failed')).toBe(`postgres://app:${REDACTED}@db:5432/k failed`)
  })

  it("removes a failed query's parameter values (Drizzle puts them in the error message)", () => {
    const text = 'Failed query: insert into users (email, password_hash) values ($1, $2)\nparams: a@b.c,pbkdf2$600000$salt$hash'
    expect(redactString(text)).toBe(`Failed query: insert into users (email, password_hash) values ($1, $2)\nparams: ${REDACTED}`)
  })
})

describe('redact: objects that are not plain', () => {
  it('keeps an error readable (type, message, stack, own fields, cause) with its secrets removed everywhere', () => {
    const cause = Object.assign(new Error('connect to postgres://u:pw123456@db failed'), { code: 'ECONNREFUSED' })
    const error = Object.assign(new Error('login failed: password=hunter2 card 4242424242424242', { cause }), {
      params: ['hunter2'],
      token: 'tok',
      status: 500,
    })
    const out = redact(error) as Record<string, unknown>
    const text = JSON.stringify(out)
    for (const secret of ['hunter2', '4242424242424242', 'pw123456', 'tok"']) expect(text).not.toContain(secret)
    expect(out).toMatchObject({ type: 'Error', status: 500, params: REDACTED, token: REDACTED, cause: { type: 'Error', code: 'ECONNREFUSED' } })
    expect(out.message).toBe(`login failed: password=${REDACTED} card 424242…4242`)
    expect(out.stack).toContain(`password=${REDACTED}`)
  })

  it('reads Headers, Map, Set, Date and URL as their contents instead of dropping them', () => {
    const out = redact({
      headers: new Headers({ authorization: 'Bearer abcdefgh', 'content-type': 'application/json' }),
      map: new Map([['apiKey', 'k'], ['region', 'kam']]),
      set: new Set(['a']),
      at: new Date('2026-01-02T03:04:05.000Z'),
      url: new URL('https://u:pw123456@example.com/x'),
      bytes: new Uint8Array(3),
    })
    expect(out).toEqual({
      headers: { authorization: REDACTED, 'content-type': 'application/json' },
      map: { apiKey: REDACTED, region: 'kam' },
      set: ['a'],
      at: '2026-01-02T03:04:05.000Z',
      url: `https://u:${REDACTED}@example.com/x`,
      bytes: '[3 bytes]',
    })
  })

  it('survives cycles and deep nesting, and logs an object shared by two fields twice', () => {
    const shared = { region: 'kam' }
    const cyclic: Record<string, unknown> = { a: shared, b: shared }
    cyclic.self = cyclic
    expect(redact(cyclic)).toEqual({ a: { region: 'kam' }, b: { region: 'kam' }, self: '[…]' })
    let deep: Record<string, unknown> = { password: 'x' }
    for (let i = 0; i < 20; i++) deep = { next: deep }
    expect(JSON.stringify(redact(deep))).toContain('[…]')
  })

  it('does not modify what it was given', () => {
    const input = { password: 'hunter2', nested: { token: 't' } }
    redact(input)
    expect(input).toEqual({ password: 'hunter2', nested: { token: 't' } })
  })
})
