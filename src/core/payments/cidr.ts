/**
 * A small CIDR matcher for IPv4 and IPv6 (YooKassa authenticates its notifications by source address only).
 * Addresses become BigInts; an IPv4-mapped IPv6 address (`::ffff:185.71.76.1`, what a dual-stack socket reports)
 * is matched as the IPv4 address it carries. Anything unparsable never matches.
 */

interface Range {
  version: 4 | 6
  network: bigint
  mask: bigint
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.')
  if (parts.length !== 4) return undefined
  let value = 0n
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined
    value = (value << 8n) | BigInt(Number(part))
  }
  return value
}

function parseV6(text: string): bigint | undefined {
  let address = text.toLowerCase().replace(/%.*$/, '') // drop a zone id
  let tail: bigint[] = []
  const lastColon = address.lastIndexOf(':')
  if (address.includes('.', lastColon)) {
    const v4 = parseV4(address.slice(lastColon + 1))
    if (v4 === undefined) return undefined
    tail = [v4 >> 16n, v4 & 0xffffn]
    address = address.slice(0, lastColon + 1) + '0:0' // placeholder groups, replaced below
  }
  const halves = address.split('::')
  if (halves.length > 2) return undefined
  const parse = (s: string) => (s === '' ? [] : s.split(':'))
  const head = parse(halves[0] ?? '')
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : []
  const missing = 8 - head.length - rest.length
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest]
  let value = 0n
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/.test(group)) return undefined
    value = (value << 16n) | BigInt(parseInt(group, 16))
  }
  if (tail.length) value = (value >> 32n << 32n) | (tail[0]! << 16n) | tail[1]!
  return value
}

function parseAddress(text: string): { version: 4 | 6; value: bigint } | undefined {
  const trimmed = text.trim().replace(/^\[|\]$/g, '')
  const v4 = parseV4(trimmed)
  if (v4 !== undefined) return { version: 4, value: v4 }
  const v6 = parseV6(trimmed)
  if (v6 === undefined) return undefined
  if (v6 >> 32n === 0xffffn) return { version: 4, value: v6 & 0xffffffffn } // ::ffff:a.b.c.d
  return { version: 6, value: v6 }
}

/** Parses `a.b.c.d/n`, `x:y::/n`, or a bare address (a /32 or /128). Throws on a malformed range: it is config. */
export function parseCidr(cidr: string): Range {
  const [addressText = '', prefixText] = cidr.trim().split('/')
  const address = parseAddress(addressText)
  if (!address) throw new Error(`Not an IP range: ${cidr}`)
  const bits = address.version === 4 ? 32 : 128
  const prefix = prefixText === undefined ? bits : Number(prefixText)
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits || (prefixText !== undefined && !/^\d+$/.test(prefixText))) {
    throw new Error(`Not an IP range: ${cidr}`)
  }
  const all = (1n << BigInt(bits)) - 1n
  const mask = (all >> BigInt(bits - prefix)) << BigInt(bits - prefix)
  return { version: address.version, network: address.value & mask, mask }
}

/** A predicate answering whether an address lies inside any of the ranges. */
export function cidrMatcher(cidrs: readonly string[]): (ip: string | undefined) => boolean {
  const ranges = cidrs.map(parseCidr)
  return function inRanges(ip) {
    if (!ip) return false
    const address = parseAddress(ip)
    if (!address) return false
    return ranges.some((r) => r.version === address.version && (address.value & r.mask) === r.network)
  }
}
