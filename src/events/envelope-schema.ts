/**
 * The event envelope as a zod schema: the contract of the admin history API and, converted to JSON Schema, of
 * the AsyncAPI document. It mirrors `EventEnvelope` (envelope.ts); `satisfies` below keeps the two in step.
 */
import { z } from 'zod'
import type { EventEnvelope } from './envelope.ts'

export const cloudEventSchema = z.object({
  specversion: z.literal('1.0').describe('CloudEvents version'),
  id: z.uuid().describe('UUIDv7, unique per event; the same on every retry and replay: dedupe on it'),
  source: z.string().describe('Producer, always /kamhub'),
  type: z.string().describe('Event type, e.g. booking.confirmed'),
  subject: z.string().optional().describe('What the event is about (defaults to the aggregate id)'),
  time: z.iso.datetime().describe('When it happened (RFC 3339, UTC)'),
  datacontenttype: z.literal('application/json'),
  dataschema: z.string().describe('urn:kamhub:events:<type>:v<version>: names the schema of data'),
  data: z.unknown().describe('The event data; its schema depends on type and dataschema'),
  sequence: z.string().regex(/^\d+$/).describe('Outbox position (decimal): increases with insertion, not strictly with commit'),
  aggregatetype: z.string().describe('Kind of the entity the event belongs to, e.g. booking'),
  aggregateid: z.string().describe('Id of that entity; events of one aggregate are delivered in order to ordered subscriptions'),
  aggregateversion: z.number().int().optional().describe("The aggregate's version after this event, when it has one"),
  traceparent: z.string().optional().describe('W3C trace context of the request that caused the event'),
  actortype: z.enum(['user', 'system', 'provider']).optional(),
  actorid: z.string().optional(),
})

// A compile-time check only: the schema's output must stay assignable to the envelope type and back.
void ((e: EventEnvelope) => e satisfies z.input<typeof cloudEventSchema>)
