import { describe, expect, it } from 'vitest'
import { headerFromRaw, headerReader } from './request-headers.ts'

/** What Fetch answers for the same list: the reader must agree with `Headers.get` name by name. */
function fetchHeaders(raw: string[]): Headers {
  const headers = new Headers()
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  return headers
}

const RAW = [
  'Host', '127.0.0.1:8787',
  'accept-language', 'ru-RU,ru;q=0.9',
  'X-Forwarded-Proto', 'https',
  'ACCEPT-ENCODING', 'gzip',
  'Accept-Encoding', 'br',
  'Cookie', 'a=1',
  'cookie', 'b=2',
  'X-Padded', '\t spaced value \t',
  'X-Empty', '',
]

describe('headerFromRaw', () => {
  const names = ['host', 'Accept-Language', 'x-forwarded-proto', 'accept-encoding', 'cookie', 'x-padded', 'x-empty', 'x-request-id', 'Forwarded', 'accept']
  for (const name of names) {
    it(`answers ${name} as Headers.get does`, () => {
      expect(headerFromRaw(RAW, name)).toBe(fetchHeaders(RAW).get(name))
    })
  }

  it('compares names without folding anything but ASCII letters', () => {
    // "^" and "~" differ only in the bit that folds letters: they are different names
    expect(headerFromRaw(['x^y', '1'], 'x~y')).toBeNull()
    expect(headerFromRaw(['X-Y', '1'], 'x-y')).toBe('1')
  })
})

describe('headerReader', () => {
  it('reads the raw list when the runtime has one, else the request’s own headers', () => {
    const request = new Request('http://localhost/', { headers: { 'Accept-Language': 'en' } })
    expect(headerReader(request, ['accept-language', 'zh'])('Accept-Language')).toBe('zh')
    expect(headerReader(request, undefined)('Accept-Language')).toBe('en')
  })
})
