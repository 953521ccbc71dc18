/**
 * /webhooks/<provider>: payment provider notifications, outside /v1 (no bearer auth, no JSON-only guard:
 * CloudPayments posts forms). The raw body is read with `c.req.text()` BEFORE anything parses it — signatures
 * are computed over those exact bytes (Stripe pretty-prints; re-serialising would break the HMAC).
 *
 * Authenticity is the provider adapter's (`verifyWebhook`): a forged or stale notification is a 401 problem and
 * changes nothing. YooKassa signs nothing and is trusted by source address plus a fetch-back of the object: the
 * address comes from the header TRUSTED_PROXY_IP_HEADER names, set by the proxy in front of the app —
 * `cf-connecting-ip` on Cloudflare, or `x-forwarded-for`, of which the LAST entry is taken (the one the proxy
 * appended; earlier ones are the caller's to forge). Without that variable YooKassa notifications are refused.
 *
 * Answers: Stripe, YooKassa and the sandbox 200 `{received: true}`; CloudPayments 200 `{"code":0}` (Check may
 * answer 10 unknown invoice, 12 wrong amount, 20 expired). A failure to apply is a 5xx, so the provider retries
 * and the deduplication row — rolled back with the failure — lets the retry through.
 */
import type { Context } from 'hono'
import { DomainError } from '../core/errors.ts'
import type { ProviderName } from '../core/payments/provider.ts'
import { cloudPaymentsAnswer, CLOUDPAYMENTS_CODES } from '../core/payments/cloudpayments.ts'
import * as payments from '../pillars/booking/payments/service.ts'
import { newRouter, type AppEnv } from './env.ts'

const CLOUDPAYMENTS_KINDS = ['check', 'pay', 'fail', 'confirm', 'refund', 'cancel'] as const

/**
 * The caller's address from the configured proxy header, if any. In a list (X-Forwarded-For) it is the last entry:
 * the one our own proxy appended. Earlier entries are whatever the caller chose to send, so a forger could put
 * YooKassa's address first.
 */
export function sourceIpOf(headers: Headers, headerName: string | undefined): string | undefined {
  if (!headerName) return undefined
  const last = headers.get(headerName)?.split(',').at(-1)?.trim()
  return last ? last : undefined
}

async function receive(c: Context<AppEnv>, provider: ProviderName, kind?: string) {
  const rawBody = await c.req.text() // before any parsing: the signature covers these bytes
  const deps = c.env.deps
  const sourceIp = sourceIpOf(c.req.raw.headers, deps.config.TRUSTED_PROXY_IP_HEADER)
  return payments.handleWebhook(deps, provider, {
    rawBody,
    headers: c.req.raw.headers,
    ...(sourceIp ? { sourceIp } : {}),
    ...(kind ? { kind } : {}),
  })
}

export const webhookRoutes = newRouter()
  .post('/webhooks/stripe', async (c) => {
    await receive(c, 'stripe')
    return c.json({ received: true }, 200)
  })
  .post('/webhooks/yookassa', async (c) => {
    await receive(c, 'yookassa')
    return c.json({ received: true }, 200)
  })
  .post('/webhooks/sandbox', async (c) => {
    await receive(c, 'sandbox')
    return c.json({ received: true }, 200)
  })
  .post('/webhooks/cloudpayments/:kind', async (c) => {
    const kind = c.req.param('kind').toLowerCase()
    if (!(CLOUDPAYMENTS_KINDS as readonly string[]).includes(kind)) throw new DomainError('not_found', `No CloudPayments notification called ${kind}`)
    const outcomes = await receive(c, 'cloudpayments', kind)
    // Only Check may refuse; every other notification must be acknowledged with 0 or it is retried 100 times.
    const code = kind === 'check' ? (outcomes.find((o) => o.code !== undefined)?.code ?? CLOUDPAYMENTS_CODES.accepted) : CLOUDPAYMENTS_CODES.accepted
    return c.json(cloudPaymentsAnswer(code), 200)
  })

/**
 * The sandbox's "bank page" for development: approve or decline a sandbox hold, which then sends its signed
 * webhook back to /webhooks/sandbox like a real provider. Only mounted behaviour when the sandbox is configured.
 */
export const sandboxPageRoutes = newRouter()
  .get('/sandbox/payments/:id', (c) => {
    if (!c.env.deps.payments?.sandbox) throw new DomainError('not_found', 'The sandbox provider is not configured')
    const id = c.req.param('id')
    return c.json({ providerPaymentId: id, approve: `/sandbox/payments/${id}/approve`, decline: `/sandbox/payments/${id}/decline` }, 200)
  })
  .post('/sandbox/payments/:id/:decision{approve|decline}', async (c) => {
    const sandbox = c.env.deps.payments?.sandbox
    if (!sandbox) throw new DomainError('not_found', 'The sandbox provider is not configured')
    const id = c.req.param('id')
    const payment = c.req.param('decision') === 'approve' ? await sandbox.approve(id) : await sandbox.decline(id)
    return c.json({ providerPaymentId: payment.providerPaymentId, status: payment.status }, 200)
  })
