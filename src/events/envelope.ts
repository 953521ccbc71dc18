/**
 * The event envelope: CloudEvents 1.0 attributes plus KamHub's extensions (lower-case alphanumerics, as the spec
 * requires for extension names): `sequence` (outbox seq), the aggregate, `traceparent` and the actor.
 */
export interface Actor {
  type: 'user' | 'system' | 'provider'
  id: string
}

export interface EventEnvelope<T = unknown> {
  specversion: '1.0'
  id: string
  source: string
  type: string
  subject?: string
  time: string
  datacontenttype: 'application/json'
  dataschema: string
  data: T
  sequence: string
  aggregatetype: string
  aggregateid: string
  aggregateversion?: number
  traceparent?: string
  actortype?: Actor['type']
  actorid?: string
}

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds then random bits, so ids sort by creation time and index well.
 * Made in code because PostgreSQL 15 has no uuidv7().
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  let ms = now
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256
    ms = Math.floor(ms / 256)
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70
  bytes[8] = (bytes[8]! & 0x3f) | 0x80
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export const dataSchemaUri = (type: string, version: number) => `urn:kamhub:events:${type}:v${version}`
