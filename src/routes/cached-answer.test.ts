import { describe, expect, it } from 'vitest'
import { acceptsGzip, gzipETag } from './cached-answer.ts'

describe('cached answers', () => {
  it('accept gzip as RFC 9110 §12.5.3 reads Accept-Encoding: named or by *, with a q-value above 0', () => {
    const cases: Array<[string | undefined, boolean]> = [
      [undefined, false],
      ['', false],
      ['identity', false],
      ['br', false],
      ['gzip', true],
      ['GZIP', true],
      ['x-gzip', true],
      ['gzip, deflate, br', true],
      ['br;q=1.0, gzip;q=0.8, *;q=0.1', true],
      ['gzip;q=0', false],
      ['gzip; q=0.000', false],
      ['*', true],
      ['*;q=0', false],
      ['gzip;q=0, *', false],
      ['br, *;q=0.5', true],
      ['gzip;q=oops', false],
    ]
    expect(cases.map(([header]) => [header, acceptsGzip(header)])).toEqual(cases)
    // Answers are remembered per header value: asked again (and past the memo's bound), each is still its own.
    expect(cases.map(([header]) => [header, acceptsGzip(header)])).toEqual(cases)
    for (let i = 0; i < 300; i++) expect(acceptsGzip(`br, gzip;q=${i % 2}, x-coding-${i}`)).toBe(i % 2 === 1)
    expect(cases.map(([header]) => [header, acceptsGzip(header)])).toEqual(cases)
  })

  it('name the gzip representation apart from the identity one', () => {
    expect(gzipETag('"ibltRX_3PkcY0OEk-BBbK3"')).toBe('"ibltRX_3PkcY0OEk-BBbK3-gzip"')
    expect(gzipETag('W/"v1"')).toBe('W/"v1-gzip"')
  })
})
