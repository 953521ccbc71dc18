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
 *
 * The random bits are a v4 UUID's: its 12 bits after the version digit become rand_a, and its variant and last 62
 * bits are rand_b as they stand. `crypto.randomUUID()` (a web standard) is ten times cheaper than
 * `getRandomValues` on 16 bytes plus hex formatting (1 µs against 9–11 on Node 20: Node draws entropy for many
 * UUIDs at once), and this runs for every event published.
 */
export function uuidv7(now: number = Date.now()): string {
  const random = crypto.randomUUID()
  const ms = Math.trunc(now).toString(16).padStart(12, '0')
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`
}

export const dataSchemaUri = (type: string, version: number) => `urn:kamhub:events:${type}:v${version}`
