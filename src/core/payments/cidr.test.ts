import { describe, expect, it } from 'vitest'
import { cidrMatcher, parseCidr } from './cidr.ts'

describe('cidrMatcher', () => {
  it('matches IPv4 addresses inside a range and nothing just outside it', () => {
    const inside = cidrMatcher(['185.71.76.0/27'])
    expect(inside('185.71.76.0')).toBe(true)
    expect(inside('185.71.76.31')).toBe(true)
    expect(inside('185.71.76.32')).toBe(false)
    expect(inside('185.71.75.255')).toBe(false)
  })

  it('treats a bare address as a single host', () => {
    const inside = cidrMatcher(['77.75.156.11'])
    expect(inside('77.75.156.11')).toBe(true)
    expect(inside('77.75.156.12')).toBe(false)
  })

  it('matches IPv6 ranges, with :: compression in either the range or the address', () => {
    const inside = cidrMatcher(['2a02:5180::/32'])
    expect(inside('2a02:5180::1')).toBe(true)
    expect(inside('2a02:5180:ffff:ffff:ffff:ffff:ffff:ffff')).toBe(true)
    expect(inside('2A02:5180:0:0:0:0:0:7')).toBe(true)
    expect(inside('2a02:5181::1')).toBe(false)
    expect(inside('[2a02:5180::1]')).toBe(true)
    expect(cidrMatcher(['::1/128'])('::1')).toBe(true)
    expect(cidrMatcher(['::/0'])('fe80::1%eth0')).toBe(true)
  })

  it('matches an IPv4-mapped IPv6 source against IPv4 ranges (dual-stack sockets report these)', () => {
    const inside = cidrMatcher(['185.71.76.0/27'])
    expect(inside('::ffff:185.71.76.5')).toBe(true)
    expect(inside('::ffff:10.0.0.1')).toBe(false)
  })

  it('never lets an IPv4 address match an IPv6 range of the same bits, or garbage match anything', () => {
    expect(cidrMatcher(['::/0'])('1.2.3.4')).toBe(false)
    expect(cidrMatcher(['0.0.0.0/0'])('2a02:5180::1')).toBe(false)
    const inside = cidrMatcher(['0.0.0.0/0', '::/0'])
    for (const bad of [undefined, '', 'localhost', '1.2.3', '1.2.3.256', '1::2::3', '12345::', '1.2.3.4.5']) {
      expect(inside(bad)).toBe(false)
    }
  })

  it('rejects malformed ranges at configuration time', () => {
    for (const bad of ['1.2.3.4/33', '::/129', 'x/8', '1.2.3.4/-1', '1.2.3.4/8a']) expect(() => parseCidr(bad)).toThrow()
  })
})
