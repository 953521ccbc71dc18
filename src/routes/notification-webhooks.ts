/**
 * /webhooks/notifications/{resend|sendgrid|twilio|smsru}: delivery statuses, verified by the adapter over the raw
 * body (read before anything parses it) and, for Twilio, the public URL it called. An invalid signature is a
 * 401 and changes nothing. SMS.ru repeats a callback until it reads the text `100`, so it gets that instead of
 * the JSON summary the others get. /dev/inbox(.json): what the embedded default stored instead of sending (404 unless the
 * dev inbox is on), as a page under a strict CSP with each e-mail in a sandboxed iframe.
 */
import type { Context } from 'hono'
import { DomainError } from '../core/errors.ts'
import { SMSRU_CALLBACK_ANSWER } from '../core/notifications/smsru.ts'
import { handleDeliveryWebhook, isWebhookProvider } from '../pillars/engagement/notifications/delivery.ts'
import { DEV_INBOX_CSP, devInboxMessages, devInboxPage } from '../pillars/engagement/notifications/dev-inbox.ts'
import { newRouter, type AppEnv } from './env.ts'

/** The URL the provider called, as it saw it: PUBLIC_URL's origin in front of the path and query. */
function publicUrl(c: Context<AppEnv>): string {
  const url = new URL(c.req.url)
  const base = c.env.deps.config.PUBLIC_URL
  return base ? new URL(url.pathname + url.search, base).toString() : url.toString()
}

export const notificationWebhookRoutes = newRouter()
  .post('/webhooks/notifications/:provider', async (c) => {
    const provider = c.req.param('provider')
    if (!isWebhookProvider(provider)) throw new DomainError('not_found', `No delivery webhook for ${provider}`)
    const rawBody = await c.req.text() // before any parsing: the signature covers these bytes
    const result = await handleDeliveryWebhook(c.env.deps, provider, { rawBody, headers: c.req.raw.headers, url: publicUrl(c) })
    if (provider === 'smsru') return c.text(SMSRU_CALLBACK_ANSWER, 200)
    return c.json({ received: true, applied: result.applied }, 200)
  })
  .get('/dev/inbox.json', async (c) => c.json({ items: await devInboxMessages(c.env.deps) }, 200))
  .get('/dev/inbox', async (c) => {
    const page = devInboxPage(await devInboxMessages(c.env.deps))
    c.header('Content-Security-Policy', DEV_INBOX_CSP)
    c.header('Cache-Control', 'no-store')
    return c.html(page, 200)
  })
