/**
 * /v1/devices and /v1/me/notification-preferences: where push reaches a user, and what they want to receive.
 * A device token registered again (by anyone) moves to the caller: the token identifies the app install, and the
 * install now belongs to whoever signed in on it. POST /v1/me/notifications/{id}/receipt is the app confirming a
 * push was shown — what stops a critical alert from escalating to SMS.
 */
import { createRoute, z } from '@hono/zod-openapi'
import { newRouter } from './env.ts'
import { errorResponses } from '../core/http/problem.ts'
import { idempotent } from '../core/http/idempotency.ts'
import { requireAuth } from '../core/auth/guard.ts'
import { DomainError } from '../core/errors.ts'
import { isTimeZone } from '../core/notifications/templates/format.ts'
import { LOCALES } from '../core/notifications/templates/i18n.ts'
import { CATEGORIES, CHANNELS } from '../pillars/engagement/notifications/catalog.ts'
import * as recipients from '../pillars/engagement/notifications/recipients.ts'
import { confirmReceipt } from '../pillars/engagement/notifications/delivery.ts'
import { idParam, json, jsonResponse } from './tours-schemas.ts'

const signedIn = { security: [{ bearer: [] }], middleware: [requireAuth()] }

const base64url = z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, 'base64url')
const deviceInput = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('webpush'),
      /** The PushSubscription as the browser gives it (subscription.toJSON()). */
      subscription: z.object({ endpoint: z.url({ protocol: /^https$/ }).max(2048), keys: z.object({ p256dh: base64url.min(80).max(100), auth: base64url.min(16).max(30) }) }),
    }),
    z.object({ kind: z.literal('fcm'), token: z.string().regex(/^[A-Za-z0-9_:.-]{20,4096}$/, 'an FCM registration token') }),
    z.object({ kind: z.literal('apns'), token: z.string().regex(/^[0-9a-fA-F]{64,200}$/, 'an APNs device token (hex)'), topic: z.string().max(200).optional() }),
  ])
  .openapi('DeviceRegistration')
const deviceSchema = z.object({ id: z.uuid(), kind: z.enum(['webpush', 'fcm', 'apns']) }).openapi('Device')

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:MM, 24-hour')
const channelFlags = z.object(Object.fromEntries(CHANNELS.map((c) => [c, z.boolean()])) as Record<(typeof CHANNELS)[number], z.ZodBoolean>)
const preferencesSchema = z
  .object({
    categories: z.object(Object.fromEntries(CATEGORIES.map((c) => [c, channelFlags])) as Record<(typeof CATEGORIES)[number], typeof channelFlags>),
    quietHours: z.object({ start: hhmm, end: hhmm }).nullable(),
    timezone: z.string(),
    locale: z.enum(LOCALES),
  })
  .openapi('NotificationPreferences')
const preferencesUpdate = z
  .object({
    categories: z.object(Object.fromEntries(CATEGORIES.map((c) => [c, channelFlags.partial()])) as Record<(typeof CATEGORIES)[number], ReturnType<typeof channelFlags.partial>>).partial(),
    quietHours: z.object({ start: hhmm, end: hhmm }).nullable(),
    timezone: z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Asia/Kamchatka'),
    locale: z.enum(LOCALES),
  })
  .partial()
  .strict()
  .openapi('NotificationPreferencesUpdate')

const registerDevice = createRoute({
  method: 'post',
  path: '/v1/devices',
  tags: ['notifications'],
  summary: 'Register a device for push (web push subscription, FCM token or APNs token)',
  ...signedIn,
  middleware: [...signedIn.middleware, idempotent({ required: false })] as const,
  request: { body: json(deviceInput) },
  responses: { 201: jsonResponse('The device', deviceSchema), ...errorResponses(400, 401, 415, 422) },
})
const removeDevice = createRoute({
  method: 'delete',
  path: '/v1/devices/{id}',
  tags: ['notifications'],
  summary: 'Stop pushing to a device',
  ...signedIn,
  request: { params: idParam },
  responses: { 204: { description: 'Removed' }, ...errorResponses(400, 401, 404) },
})
const getPreferences = createRoute({
  method: 'get',
  path: '/v1/me/notification-preferences',
  tags: ['notifications'],
  summary: 'What I receive: categories × channels, quiet hours, zone and language',
  ...signedIn,
  responses: { 200: jsonResponse('Preferences', preferencesSchema), ...errorResponses(401) },
})
const putPreferences = createRoute({
  method: 'put',
  path: '/v1/me/notification-preferences',
  tags: ['notifications'],
  summary: 'Change what I receive (only the fields given change)',
  description: 'Quiet hours delay non-critical messages to their end, in `timezone`; critical alerts (a cancelled departure) are never delayed.',
  ...signedIn,
  request: { body: json(preferencesUpdate) },
  responses: { 200: jsonResponse('Preferences', preferencesSchema), ...errorResponses(400, 401, 415) },
})
const receipt = createRoute({
  method: 'post',
  path: '/v1/me/notifications/{id}/receipt',
  tags: ['notifications'],
  summary: 'The app showed this notification (stops a critical alert from escalating)',
  ...signedIn,
  request: { params: idParam },
  responses: { 204: { description: 'Recorded' }, ...errorResponses(400, 401, 404) },
})

export const notificationRoutes = newRouter()
  .openapi(registerDevice, async (c) => {
    const input = c.req.valid('json')
    const registration: recipients.DeviceRegistration =
      input.kind === 'webpush'
        ? { kind: 'webpush', token: input.subscription.endpoint, keys: input.subscription.keys }
        : input.kind === 'apns'
          ? { kind: 'apns', token: input.token.toLowerCase(), keys: input.topic ? { topic: input.topic } : {} }
          : { kind: 'fcm', token: input.token }
    const device = await recipients.registerDevice(c.env.deps.db.orm, c.get('user').id, registration, c.env.deps.clock.now())
    return c.json({ id: device.id, kind: device.kind }, 201)
  })
  .openapi(removeDevice, async (c) => {
    if (!(await recipients.deleteDevice(c.env.deps.db.orm, c.get('user').id, c.req.valid('param').id))) throw new DomainError('not_found', 'No such device')
    return c.body(null, 204)
  })
  .openapi(getPreferences, async (c) => c.json(recipients.preferencesView(await recipients.recipientSettings(c.env.deps.db.orm, c.get('user').id)), 200))
  .openapi(putPreferences, async (c) => {
    const { deps } = c.env
    const user = c.get('user')
    const update = c.req.valid('json') as recipients.PreferencesUpdate
    const view = await deps.db.orm.transaction(async (tx) => {
      await recipients.updatePreferences(tx, user.id, update, deps.clock.now())
      return recipients.preferencesView(await recipients.recipientSettings(tx, user.id))
    })
    return c.json(view, 200)
  })
  .openapi(receipt, async (c) => {
    await confirmReceipt(c.env.deps, c.get('user').id, c.req.valid('param').id)
    return c.body(null, 204)
  })
