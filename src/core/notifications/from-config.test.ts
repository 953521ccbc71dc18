import { generateKeyPairSync } from 'node:crypto'
import webpush from 'web-push'
import { describe, expect, it } from 'vitest'
import { ConfigError } from '../config/schema.ts'
import { notificationsConfigSchema } from './config.ts'
import { notificationProvidersFromConfig } from './from-config.ts'
import { notificationProvidersFromConfigNode } from './from-config.node.ts'

const env = (vars: Record<string, string>) => notificationsConfigSchema.parse(vars)
const problem = (fn: () => unknown): Error => {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a config error')
}

const vapid = webpush.generateVAPIDKeys()
const serviceAccount = JSON.stringify({
  project_id: 'p',
  client_email: 'e@p.iam.gserviceaccount.com',
  private_key: generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
})
const p8 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

const everything = {
  EMAIL_FROM: 'KamHub <noreply@kamhub.example>',
  RESEND_API_KEY: 're_1',
  SENDGRID_API_KEY: 'SG.1',
  SMTP_URL: 'smtp://u:p@127.0.0.1:2525',
  TWILIO_ACCOUNT_SID: 'AC1',
  TWILIO_AUTH_TOKEN: 'tok',
  TWILIO_FROM: '+15005550006',
  SMSRU_API_ID: 'api',
  VAPID_PUBLIC_KEY: vapid.publicKey,
  VAPID_PRIVATE_KEY: vapid.privateKey,
  VAPID_SUBJECT: 'mailto:ops@kamhub.example',
  FCM_SERVICE_ACCOUNT: serviceAccount,
  APNS_KEY_ID: 'K',
  APNS_TEAM_ID: 'T',
  APNS_PRIVATE_KEY: p8,
}

describe('notificationProvidersFromConfig', () => {
  it('nothing configured → empty lists (the dev inbox takes over)', () => {
    expect(notificationProvidersFromConfig(env({}))).toEqual({ email: [], sms: [], push: [], warnings: [] })
  })

  it('everything configured on Node → ordered lists per channel, one push provider per device kind', () => {
    const built = notificationProvidersFromConfigNode(env(everything))
    expect(built.email.map((p) => p.name)).toEqual(['resend', 'sendgrid', 'smtp'])
    expect(built.sms.map((p) => p.name)).toEqual(['smsru', 'twilio'])
    expect(built.push.map((p) => p.name)).toEqual(['webpush', 'fcm', 'apns'])
    expect(built.emailFrom).toBe('KamHub <noreply@kamhub.example>')
  })

  it('the order variables reorder and the runtime-neutral builder skips SMTP and APNs with warnings', () => {
    const built = notificationProvidersFromConfig(env({ ...everything, EMAIL_PROVIDER_ORDER: 'sendgrid,resend,smtp', SMS_PROVIDER_ORDER: 'twilio,smsru' }))
    expect(built.email.map((p) => p.name)).toEqual(['sendgrid', 'resend'])
    expect(built.sms.map((p) => p.name)).toEqual(['twilio', 'smsru'])
    expect(built.push.map((p) => p.name)).toEqual(['webpush', 'fcm'])
    expect(built.warnings).toHaveLength(2)
    expect(notificationsConfigSchema.safeParse({ SMS_PROVIDER_ORDER: 'smsru,nexmo' }).success).toBe(false)
  })

  it('half-configured providers stop start-up naming the variable, never echoing a secret', () => {
    const error = problem(() => notificationProvidersFromConfig(env({ TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 'very-secret-token', RESEND_API_KEY: 're_secret', FCM_SERVICE_ACCOUNT: '{"project_id":"p"}', VAPID_PUBLIC_KEY: vapid.publicKey, VAPID_PRIVATE_KEY: 'bad', VAPID_SUBJECT: 'mailto:a@b.c' })))
    expect(error).toBeInstanceOf(ConfigError)
    for (const name of ['TWILIO_FROM', 'EMAIL_FROM', 'FCM_SERVICE_ACCOUNT: lacks client_email', 'VAPID_PRIVATE_KEY']) expect(error.message).toContain(name)
    for (const secret of ['very-secret-token', 're_secret', 'bad)']) expect(error.message).not.toContain(secret)
  })
})
