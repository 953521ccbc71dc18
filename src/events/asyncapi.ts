/**
 * The AsyncAPI 3.0 document of the event catalog (served at GET /asyncapi.json), generated from EVENT_CATALOG so
 * it cannot drift from what `publish` accepts: one channel, one message and one `send` operation per event type;
 * each message is the CloudEvents envelope with `type`, `dataschema` and `data` narrowed to that event, sent as a
 * partner webhook (HTTP POST, Standard Webhooks headers described as the message headers).
 *
 * Data schemas are generated in input mode, without `additionalProperties: false`: receivers should be tolerant
 * readers, because a version may gain optional fields; a breaking change is a new version (see catalog.ts).
 */
import { z } from 'zod'
import { EVENT_CATALOG, EVENT_TYPES } from './catalog.ts'
import { dataSchemaUri } from './envelope.ts'
import { cloudEventSchema } from './envelope-schema.ts'
import { WEBHOOK_CONTENT_TYPE } from './webhooks.ts'

type Json = Record<string, unknown>

const DESCRIPTION = `Domain events of KamHub, the Kamchatka tour marketplace, as delivered to partner webhooks.

**Delivery.** Each event matching a subscription's patterns is POSTed to the subscription's URL as a CloudEvents 1.0
envelope in structured mode (\`Content-Type: ${WEBHOOK_CONTENT_TYPE}\`). Any 2xx answer acknowledges it. Anything
else, a redirect or no answer within 10 s is retried with exponential backoff and jitter (by default 15 attempts
over about a day); after the last attempt the delivery is dead until a KamHub admin redrives it. Answering
**410 Gone** deactivates the subscription. Delivery is at-least-once: dedupe on \`webhook-id\` (equal to the event
\`id\`), which stays the same across retries and replays. Subscriptions created as ordered get the events of one
aggregate one at a time, in order; others may see them in any order.

**Signature (Standard Webhooks).** \`webhook-signature\` holds one or more space-separated \`v1,<base64>\` entries, each
an HMAC-SHA256 over \`<webhook-id>.<webhook-timestamp>.<raw body>\` keyed with the base64-decoded part of a
\`whsec_...\` secret. Accept the request if any entry matches a secret you hold (during a rotation two are sent: the
new and the previous secret), compare in constant time, verify over the raw bytes before parsing, and reject a
\`webhook-timestamp\` more than 5 minutes from your clock. The \`standardwebhooks\` libraries do all of this.`

export function buildAsyncApiDocument({ version = '0.1.0' }: { version?: string } = {}): Json {
  const channels: Json = {}
  const operations: Json = {}
  const messages: Json = {}
  const schemas: Json = { CloudEvent: jsonSchema(cloudEventSchema), WebhookHeaders: WEBHOOK_HEADERS }
  for (const type of EVENT_TYPES) {
    const { version: dataVersion, schema, summary } = EVENT_CATALOG[type]
    const id = type.replace(/\./g, '_')
    const messageId = `${id}_v${dataVersion}`
    schemas[`${messageId}_data`] = jsonSchema(schema)
    messages[messageId] = {
      name: type,
      title: `${type} v${dataVersion}`,
      summary,
      contentType: WEBHOOK_CONTENT_TYPE.split(';')[0],
      headers: { $ref: '#/components/schemas/WebhookHeaders' },
      correlationId: { $ref: '#/components/correlationIds/webhookId' },
      payload: {
        allOf: [
          { $ref: '#/components/schemas/CloudEvent' },
          {
            type: 'object',
            required: ['type', 'dataschema', 'data'],
            properties: {
              type: { const: type },
              dataschema: { const: dataSchemaUri(type, dataVersion) },
              data: { $ref: `#/components/schemas/${messageId}_data` },
            },
          },
        ],
      },
    }
    channels[id] = {
      address: type,
      title: type,
      description: `${summary} Delivered to every HTTP subscription whose patterns match "${type}".`,
      messages: { [messageId]: { $ref: `#/components/messages/${messageId}` } },
    }
    operations[`send_${id}`] = {
      action: 'send',
      title: `Deliver ${type}`,
      channel: { $ref: `#/channels/${id}` },
      messages: [{ $ref: `#/channels/${id}/messages/${messageId}` }],
      bindings: { http: { method: 'POST', bindingVersion: '0.3.0' } },
    }
  }
  return {
    asyncapi: '3.0.0',
    info: { title: 'KamHub domain events', version, description: DESCRIPTION },
    defaultContentType: WEBHOOK_CONTENT_TYPE.split(';')[0],
    servers: {
      partner: {
        host: '{host}',
        pathname: '{path}',
        protocol: 'https',
        title: 'A partner webhook endpoint',
        description: 'The URL a KamHub admin registered for the partner (POST /v1/admin/subscriptions). KamHub is the sender.',
        variables: { host: { description: 'Host (and port) of the endpoint' }, path: { description: 'Path of the endpoint' } },
        security: [{ $ref: '#/components/securitySchemes/standardWebhooks' }],
      },
    },
    channels,
    operations,
    components: {
      schemas,
      messages,
      correlationIds: {
        webhookId: { description: 'The event id, repeated on every retry and replay', location: '$message.header#/webhook-id' },
      },
      securitySchemes: {
        standardWebhooks: {
          type: 'httpApiKey',
          name: 'webhook-signature',
          in: 'header',
          description: 'Standard Webhooks HMAC-SHA256 signature with the subscription secret (whsec_...); see the document description.',
        },
      },
    },
  }
}

const WEBHOOK_HEADERS: Json = {
  type: 'object',
  required: ['webhook-id', 'webhook-timestamp', 'webhook-signature'],
  properties: {
    'webhook-id': { type: 'string', format: 'uuid', description: 'The event id: the same on every retry and replay; dedupe on it' },
    'webhook-timestamp': { type: 'string', pattern: '^[0-9]+$', description: 'Unix seconds when this attempt was signed' },
    'webhook-signature': {
      type: 'string',
      pattern: '^v1,[A-Za-z0-9+/=]+( v1,[A-Za-z0-9+/=]+)*$',
      description: 'Space-separated v1,<base64 HMAC-SHA256> signatures, one per live secret (two during a rotation)',
    },
    'content-type': { type: 'string', const: WEBHOOK_CONTENT_TYPE },
  },
}

/** JSON Schema draft-07 (what AsyncAPI schemas extend), without the `$schema` key that AsyncAPI does not allow inline. */
function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as Json
  return rest
}
