/**
 * The notification provider variables, as a zod shape to merge into the one config schema
 * (`configSchema.extend(notificationsConfigShape)`) and document in README. A provider is configured when its
 * credentials are set; none set means empty provider lists (the dev inbox takes over).
 */
import { z } from 'zod'

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z.string().transform((v, ctx) => {
    const names = v.split(',').map((s) => s.trim()).filter(Boolean)
    const parsed = z.array(z.enum(values)).safeParse(names)
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: `expected a comma-separated list of ${values.join(', ')}` })
      return z.NEVER
    }
    return parsed.data
  })

export const notificationsConfigShape = {
  /** Default sender for every email: `KamHub <noreply@kamhub.ru>`. Required once an email provider is configured. */
  EMAIL_FROM: z.string().min(3).optional(),
  /** Email provider order (failover goes down the list); default resend,sendgrid,smtp. */
  EMAIL_PROVIDER_ORDER: csv(['resend', 'sendgrid', 'smtp']).default(['resend', 'sendgrid', 'smtp']),
  RESEND_API_KEY: z.string().startsWith('re_').optional(),
  /** Svix signing secret of the Resend webhook endpoint (whsec_…); without it Resend webhooks are refused. */
  RESEND_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
  RESEND_BASE_URL: z.url().default('https://api.resend.com'),
  SENDGRID_API_KEY: z.string().min(1).optional(),
  /** Event Webhook verification key (base64 SPKI); without it SendGrid webhooks are refused. */
  SENDGRID_WEBHOOK_PUBLIC_KEY: z.string().min(1).optional(),
  /** https://api.eu.sendgrid.com for EU subusers. */
  SENDGRID_BASE_URL: z.url().default('https://api.sendgrid.com'),
  /** smtp://user:pass@host:587 or smtps://user:pass@host:465 (Node/Deno only). */
  SMTP_URL: z.string().regex(/^smtps?:\/\//, 'expected smtp:// or smtps://').optional(),
  /** SMS provider order; default smsru,twilio (SMS.ru first for Russian numbers). */
  SMS_PROVIDER_ORDER: csv(['smsru', 'twilio']).default(['smsru', 'twilio']),
  TWILIO_ACCOUNT_SID: z.string().startsWith('AC').optional(),
  TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
  /** E.164 number, alphanumeric sender id, or a Messaging Service SID (MG…). */
  TWILIO_FROM: z.string().min(1).optional(),
  TWILIO_BASE_URL: z.url().default('https://api.twilio.com'),
  SMSRU_API_ID: z.string().min(1).optional(),
  /** An approved sender name; default the account's. */
  SMSRU_FROM: z.string().min(1).optional(),
  /** Put `?token=<this>` on the callback URL set in the SMS.ru cabinet. */
  SMSRU_CALLBACK_SECRET: z.string().min(16).optional(),
  SMSRU_BASE_URL: z.url().default('https://sms.ru'),
  VAPID_PUBLIC_KEY: z.string().min(1).optional(),
  VAPID_PRIVATE_KEY: z.string().min(1).optional(),
  /** mailto:ops@… or https://…: the push services' contact for us. */
  VAPID_SUBJECT: z.string().regex(/^(mailto:|https:)/, 'expected mailto: or https:').optional(),
  /** The service-account key file's JSON (one line). */
  FCM_SERVICE_ACCOUNT: z.string().min(2).optional(),
  FCM_BASE_URL: z.url().default('https://fcm.googleapis.com'),
  /** Default: the service account's token_uri. */
  FCM_TOKEN_URL: z.url().optional(),
  APNS_KEY_ID: z.string().min(1).optional(),
  APNS_TEAM_ID: z.string().min(1).optional(),
  /** The .p8 file's PEM; `\n` escapes accepted. */
  APNS_PRIVATE_KEY: z.string().min(1).optional(),
  /** The app's bundle id, for devices registered without a topic. */
  APNS_TOPIC: z.string().min(1).optional(),
  /** https://api.sandbox.push.apple.com for development builds. */
  APNS_BASE_URL: z.url().default('https://api.push.apple.com'),
  /** Per-call timeout of every notification provider. */
  NOTIFICATIONS_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(15_000),
}

export const notificationsConfigSchema = z.object(notificationsConfigShape)
export type NotificationsConfig = z.output<typeof notificationsConfigSchema>
