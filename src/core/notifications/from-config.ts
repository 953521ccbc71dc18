/**
 * Builds the ordered providers per channel from config. Runtime-neutral: the two Node-only adapters (SMTP, APNs)
 * are passed in by the Node/Deno entry through `from-config.node.ts`, so a Worker never imports node: modules;
 * there, SMTP_URL and APNS_* are skipped with a warning. Half-configured providers stop start-up naming the
 * missing variable and never echoing a secret.
 */
import { ConfigError } from '../config/schema.ts'
import type { NotificationsConfig } from './config.ts'
import { fcmProvider, parseServiceAccount } from './fcm.ts'
import type { FetchLike } from './http.ts'
import type { EmailProvider, EmailProviderName, PushProvider, SmsProvider, SmsProviderName } from './provider.ts'
import { resendProvider } from './resend.ts'
import { sendGridProvider } from './sendgrid.ts'
import { smsRuProvider } from './smsru.ts'
import { twilioProvider } from './twilio.ts'
import { validateVapidKeys, webPushProvider } from './webpush.ts'

export interface NotificationProviders {
  /** In failover order; empty when none is configured. */
  email: EmailProvider[]
  sms: SmsProvider[]
  /** One per device kind (webpush, fcm, apns). */
  push: PushProvider[]
  /** The default sender (EMAIL_FROM). */
  emailFrom?: string
  /** Configured providers this runtime cannot run (SMTP/APNs on Workers): log them at start-up. */
  warnings: string[]
}

export interface NodeOnlyFactories {
  smtp?: (options: { url: string; timeoutMs: number }) => EmailProvider
  apns?: (options: { keyId: string; teamId: string; privateKey: string; defaultTopic?: string; baseUrl: string; timeoutMs: number }) => PushProvider
}

export function notificationProvidersFromConfig(
  config: NotificationsConfig,
  deps: { fetch?: FetchLike } & NodeOnlyFactories = {},
): NotificationProviders {
  const problems: string[] = []
  const warnings: string[] = []
  const timeoutMs = config.NOTIFICATIONS_TIMEOUT_MS
  const fetch = deps.fetch ? { fetch: deps.fetch } : {}
  /** All of a group set, or none: anything in between is a problem naming the first missing variable. */
  const group = (vars: Record<string, unknown>): boolean => {
    const missing = Object.entries(vars).filter(([, v]) => !v).map(([k]) => k)
    if (missing.length === 0) return true
    if (missing.length < Object.keys(vars).length) problems.push(`  ${missing[0]}: ${Object.keys(vars).join(', ')} go together`)
    return false
  }

  const email = new Map<EmailProviderName, EmailProvider>()
  if (config.RESEND_API_KEY) {
    email.set('resend', resendProvider({ apiKey: config.RESEND_API_KEY, baseUrl: config.RESEND_BASE_URL, timeoutMs, ...(config.RESEND_WEBHOOK_SECRET ? { webhookSecret: config.RESEND_WEBHOOK_SECRET } : {}) }))
  }
  if (config.SENDGRID_API_KEY) {
    email.set('sendgrid', sendGridProvider({ apiKey: config.SENDGRID_API_KEY, baseUrl: config.SENDGRID_BASE_URL, timeoutMs, ...fetch, ...(config.SENDGRID_WEBHOOK_PUBLIC_KEY ? { webhookPublicKey: config.SENDGRID_WEBHOOK_PUBLIC_KEY } : {}) }))
  }
  if (config.SMTP_URL) {
    if (deps.smtp) email.set('smtp', deps.smtp({ url: config.SMTP_URL, timeoutMs }))
    else warnings.push('SMTP_URL is set but SMTP needs Node or Deno: skipped on this runtime')
  }
  if (email.size > 0 && !config.EMAIL_FROM) problems.push('  EMAIL_FROM: required once an email provider is configured')

  const sms = new Map<SmsProviderName, SmsProvider>()
  if (group({ TWILIO_ACCOUNT_SID: config.TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN: config.TWILIO_AUTH_TOKEN, TWILIO_FROM: config.TWILIO_FROM })) {
    sms.set('twilio', twilioProvider({ accountSid: config.TWILIO_ACCOUNT_SID!, authToken: config.TWILIO_AUTH_TOKEN!, from: config.TWILIO_FROM!, baseUrl: config.TWILIO_BASE_URL, timeoutMs, ...fetch }))
  }
  if (config.SMSRU_API_ID) {
    sms.set('smsru', smsRuProvider({
      apiId: config.SMSRU_API_ID,
      baseUrl: config.SMSRU_BASE_URL,
      timeoutMs,
      ...fetch,
      ...(config.SMSRU_FROM ? { from: config.SMSRU_FROM } : {}),
      ...(config.SMSRU_CALLBACK_SECRET ? { callbackSecret: config.SMSRU_CALLBACK_SECRET } : {}),
    }))
  }

  const push: PushProvider[] = []
  if (group({ VAPID_PUBLIC_KEY: config.VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: config.VAPID_PRIVATE_KEY, VAPID_SUBJECT: config.VAPID_SUBJECT })) {
    const problem = validateVapidKeys(config.VAPID_PUBLIC_KEY!, config.VAPID_PRIVATE_KEY!, config.VAPID_SUBJECT!)
    if (problem) problems.push(`  VAPID_PRIVATE_KEY: the VAPID keys are unusable (${problem})`)
    else push.push(webPushProvider({ publicKey: config.VAPID_PUBLIC_KEY!, privateKey: config.VAPID_PRIVATE_KEY!, subject: config.VAPID_SUBJECT!, timeoutMs, ...fetch }))
  }
  if (config.FCM_SERVICE_ACCOUNT) {
    try {
      const serviceAccount = parseServiceAccount(config.FCM_SERVICE_ACCOUNT)
      push.push(fcmProvider({ serviceAccount, baseUrl: config.FCM_BASE_URL, timeoutMs, ...fetch, ...(config.FCM_TOKEN_URL ? { tokenUrl: config.FCM_TOKEN_URL } : {}) }))
    } catch (error) {
      problems.push(`  FCM_SERVICE_ACCOUNT: ${(error as Error).message}`)
    }
  }
  if (group({ APNS_KEY_ID: config.APNS_KEY_ID, APNS_TEAM_ID: config.APNS_TEAM_ID, APNS_PRIVATE_KEY: config.APNS_PRIVATE_KEY })) {
    if (deps.apns) {
      push.push(deps.apns({
        keyId: config.APNS_KEY_ID!,
        teamId: config.APNS_TEAM_ID!,
        privateKey: config.APNS_PRIVATE_KEY!,
        baseUrl: config.APNS_BASE_URL,
        timeoutMs,
        ...(config.APNS_TOPIC ? { defaultTopic: config.APNS_TOPIC } : {}),
      }))
    } else {
      warnings.push('APNS_* is set but APNs needs Node or Deno (HTTP/2): skipped on this runtime; send iOS through FCM')
    }
  }

  if (problems.length) throw new ConfigError(`Invalid notifications configuration:\n${problems.join('\n')}`)
  return {
    email: config.EMAIL_PROVIDER_ORDER.flatMap((name) => email.get(name) ?? []),
    sms: config.SMS_PROVIDER_ORDER.flatMap((name) => sms.get(name) ?? []),
    push,
    ...(config.EMAIL_FROM ? { emailFrom: config.EMAIL_FROM } : {}),
    warnings,
  }
}
