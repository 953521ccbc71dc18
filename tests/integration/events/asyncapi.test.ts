/**
 * GET /asyncapi.json documents the catalog as AsyncAPI 3: one channel, message and send operation per event type,
 * every $ref resolving, payloads built from the CloudEvents envelope and the type's data schema, and the Standard
 * Webhooks headers described. (The document also passes the official @asyncapi/parser with no error; that
 * parser is too heavy to be a dependency, so the structure is checked here.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestApp, type TestApp } from '../../support/app.ts'
import { EVENT_CATALOG, EVENT_TYPES } from '../../../src/events/catalog.ts'

type Json = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

let t: TestApp
let doc: Json
beforeAll(async () => {
  t = await startTestApp()
  const res = await t.app.request('/asyncapi.json')
  expect(res.status).toBe(200)
  expect(res.headers.get('Content-Type')).toContain('application/json')
  doc = (await res.json()) as Json
})
afterAll(() => t.close())

/** Follows a local JSON pointer ($ref "#/a/b"). */
function resolve(ref: string): Json {
  expect(ref.startsWith('#/')).toBe(true)
  const value = ref.slice(2).split('/').reduce<Json | undefined>((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc)
  expect(value, ref).toBeDefined()
  return value!
}

function refsIn(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, out))
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.push(v)
      else refsIn(v, out)
    }
  }
  return out
}

describe('AsyncAPI document', () => {
  it('is AsyncAPI 3.0.0 with one channel, one message and one send operation per catalog type', () => {
    expect(doc.asyncapi).toBe('3.0.0')
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) })
    const channels = Object.values(doc.channels) as Json[]
    expect(channels.map((c) => c.address).sort()).toEqual([...EVENT_TYPES].sort())
    expect(Object.keys(doc.components.messages)).toHaveLength(EVENT_TYPES.length)
    const operations = Object.values(doc.operations) as Json[]
    expect(operations).toHaveLength(EVENT_TYPES.length)
    for (const op of operations) {
      expect(op.action).toBe('send')
      expect(op.bindings.http.method).toBe('POST')
      expect(op.channel.$ref).toMatch(/^#\/channels\//)
      for (const m of op.messages) expect(m.$ref.startsWith(`${op.channel.$ref}/messages/`)).toBe(true)
    }
  })

  it('every $ref resolves', () => {
    const refs = refsIn(doc)
    expect(refs.length).toBeGreaterThan(EVENT_TYPES.length * 4)
    for (const ref of refs) resolve(ref)
  })

  it("each message is the CloudEvents envelope narrowed to its type, with the type's data schema", () => {
    for (const type of EVENT_TYPES) {
      const channel = (Object.values(doc.channels) as Json[]).find((c) => c.address === type)!
      const [messageRef] = Object.values(channel.messages) as Json[]
      const message = resolve(messageRef!.$ref)
      expect(message).toMatchObject({ name: type, summary: EVENT_CATALOG[type].summary, contentType: 'application/cloudevents+json' })
      const [envelope, narrowed] = message.payload.allOf
      expect(resolve(envelope.$ref).required).toEqual(expect.arrayContaining(['specversion', 'id', 'source', 'type', 'time', 'data', 'sequence']))
      expect(narrowed.properties.type).toEqual({ const: type })
      expect(narrowed.properties.dataschema).toEqual({ const: `urn:kamhub:events:${type}:v${EVENT_CATALOG[type].version}` })
      const data = resolve(narrowed.properties.data.$ref)
      expect(data.type).toBe('object')
      expect(data.$schema).toBeUndefined()
    }
    const held = resolve('#/components/schemas/booking_held_v1_data')
    expect(held.required).toEqual(expect.arrayContaining(['bookingId', 'departureId', 'travellerId', 'seats', 'expiresAt']))
    expect(held.properties.expiresAt).toMatchObject({ type: 'string', format: 'date-time' })
    expect(held.additionalProperties).toBeUndefined() // tolerant readers: a version may gain optional fields
  })

  it('describes the Standard Webhooks delivery: headers, correlation id, signature scheme', () => {
    const headers = resolve('#/components/schemas/WebhookHeaders')
    expect(headers.required).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature'])
    expect(new RegExp(headers.properties['webhook-signature'].pattern).test('v1,abc= v1,def+/=')).toBe(true)
    expect(doc.components.correlationIds.webhookId.location).toBe('$message.header#/webhook-id')
    expect(doc.components.securitySchemes.standardWebhooks).toMatchObject({ type: 'httpApiKey', in: 'header', name: 'webhook-signature' })
    expect(doc.info.description).toContain('HMAC-SHA256')
    expect(doc.info.description).toContain('410 Gone')
  })

  it('is listed in the OpenAPI document and needs no token', async () => {
    const openapi = (await (await t.app.request('/openapi.json')).json()) as Json
    expect(openapi.paths['/asyncapi.json'].get).toBeDefined()
    expect(openapi.paths['/v1/admin/events'].get.security).toEqual([{ bearer: [] }])
  })
})
