/**
 * GET /v1/admin/notifications/preview: how a notification kind reads in a locale and a channel, rendered from the
 * template's sample variables (realistic Kamchatka data, no real traveller's). Admins only. The SMS answer adds
 * its encoding and part count, so a translator can see what a wording costs.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { errorResponses } from '../core/http/problem.ts'
import { adminOnly } from './admin-events.ts'
import {
  NOTIFICATION_CHANNELS, NOTIFICATION_KINDS, renderNotification, sampleVariables, type NotificationKind,
} from '../core/notifications/templates/index.ts'
import { LOCALES } from '../core/notifications/templates/i18n.ts'
import { smsSegments } from '../core/notifications/templates/sms-segments.ts'

const previewSchema = z
  .object({
    kind: z.enum(NOTIFICATION_KINDS as [NotificationKind, ...NotificationKind[]]),
    locale: z.enum(LOCALES),
    channel: z.enum(NOTIFICATION_CHANNELS),
    priority: z.enum(['critical', 'normal']),
    email: z.object({ subject: z.string(), html: z.string(), text: z.string() }).optional(),
    sms: z
      .object({ body: z.string(), encoding: z.enum(['GSM-7', 'UCS-2']), units: z.number().int(), segments: z.number().int() })
      .optional(),
    push: z.object({ title: z.string(), body: z.string(), data: z.record(z.string(), z.string()) }).optional(),
  })
  .openapi('NotificationPreview')

const previewRoute = createRoute({
  method: 'get',
  path: '/v1/admin/notifications/preview',
  tags: ['admin', 'notifications'],
  summary: 'Preview a notification template',
  description: 'Renders the kind with its sample variables; only the requested channel is in the answer.',
  ...adminOnly,
  request: {
    query: z.object({
      kind: z.enum(NOTIFICATION_KINDS as [NotificationKind, ...NotificationKind[]]).openapi({ example: 'booking_confirmed' }),
      locale: z.enum(LOCALES).default('ru'),
      channel: z.enum(NOTIFICATION_CHANNELS).default('email'),
    }),
  },
  responses: {
    200: { description: 'The rendered channel', content: { 'application/json': { schema: previewSchema } } },
    ...errorResponses(400, 401, 403),
  },
})

export const adminNotificationPreviewRoutes = newRouter().openapi(previewRoute, (c) => {
  const { kind, locale, channel } = c.req.valid('query')
  const rendered = renderNotification(kind, locale, sampleVariables(kind))
  const base = { kind, locale, channel, priority: rendered.priority }
  if (channel === 'sms') return c.json({ ...base, sms: { body: rendered.sms.body, ...smsSegments(rendered.sms.body) } }, 200)
  if (channel === 'push') return c.json({ ...base, push: rendered.push }, 200)
  return c.json({ ...base, email: rendered.email }, 200)
})
