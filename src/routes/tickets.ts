/**
 * /v1/tickets/keys: the public keys that verify signed tickets (a JWKS, RFC 7517). Public and cacheable: a guide's
 * app downloads it while online and then checks tickets offline (src/core/auth/tickets.ts, `verifyTicket`).
 */
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { ticketJwks, ticketKeys } from '../core/auth/tickets.ts'

const publicJwkSchema = z
  .object({
    kty: z.literal('OKP'),
    crv: z.literal('Ed25519'),
    x: z.string().openapi({ description: 'The public key, base64url' }),
    kid: z.string().openapi({ description: 'RFC 7638 thumbprint; tickets name it in their header' }),
    alg: z.literal('EdDSA'),
    use: z.literal('sig'),
  })
  .openapi('TicketPublicKey')

const jwksSchema = z.object({ keys: z.array(publicJwkSchema) }).openapi('TicketKeySet')

const getKeys = createRoute({
  method: 'get',
  path: '/v1/tickets/keys',
  tags: ['tickets'],
  summary: 'Public keys that verify signed tickets (JWKS)',
  description:
    'Tickets are compact JWS (`alg: EdDSA`, `typ: kamhub-ticket+jwt`, `kid` names a key here). Verify the Ed25519 ' +
    'signature over `header.payload`, then that `exp` (seconds) has not passed. Cache this set; refetch on an unknown `kid`.',
  responses: {
    200: {
      description: 'The key set',
      headers: { 'Cache-Control': { schema: { type: 'string' } } },
      content: { 'application/json': { schema: jwksSchema } },
    },
  },
})

export const ticketRoutes = newRouter().openapi(getKeys, async (c) => {
  const jwks = ticketJwks(await ticketKeys(c.env.deps.config))
  return c.json(jwks, 200, { 'Cache-Control': 'public, max-age=3600' })
})
