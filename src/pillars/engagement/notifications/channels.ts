/**
 * The providers each channel sends through, in failover order, as the queue processor sees them. Built once per
 * process from config (the providers' from-config) and put on `deps.notifications`. A channel with no provider
 * is the dev inbox when `devInbox` is set (development, or ALLOW_DEV_ADAPTERS): its messages are stored as sent
 * with provider `dev-inbox` and shown at /dev/inbox; otherwise they fail with "no provider configured".
 */
import type { Config } from '../../../core/config/schema.ts'
import { ConfigError } from '../../../core/config/schema.ts'
import type { EmailProvider, NotificationProviderName, PushProvider, SmsProvider } from '../../../core/notifications/provider.ts'
import { rateLimits } from '../../../core/notifications/failover.ts'

export interface NotificationChannels {
  email: readonly EmailProvider[]
  sms: readonly SmsProvider[]
  push: readonly PushProvider[]
  /** The From of every e-mail. */
  emailFrom: string
  devInbox: boolean
  /** Per-provider pacing (failover.ts rateLimits): false skips the provider as rate limited. */
  admit?: (provider: NotificationProviderName) => boolean
}

export interface NotificationsRuntime {
  channels: NotificationChannels
  /** Wakes the queue worker (servers): called after a subscriber committed new rows. */
  kick?: () => void
}

export const DEV_INBOX = 'dev-inbox'
/** The dev inbox's sender (a real provider requires EMAIL_FROM: from-config refuses to start without it). */
const DEV_EMAIL_FROM = 'KamHub <noreply@kamhub.local>'

/**
 * Channels from the providers config built. Any channel left without a provider falls back to the dev inbox,
 * which production refuses unless ALLOW_DEV_ADAPTERS (like the payments sandbox): a production server without
 * an e-mail provider would otherwise swallow every receipt.
 */
export function notificationChannels(
  config: Pick<Config, 'production' | 'ALLOW_DEV_ADAPTERS' | 'EMAIL_FROM' | 'NOTIFY_RATE_LIMITS'>,
  providers: { email?: readonly EmailProvider[]; sms?: readonly SmsProvider[]; push?: readonly PushProvider[] } = {},
): NotificationChannels {
  const email = providers.email ?? []
  const sms = providers.sms ?? []
  const push = providers.push ?? []
  const missing = (['email', 'sms', 'push'] as const).filter((c) => ({ email, sms, push })[c].length === 0)
  if (missing.length && config.production && !config.ALLOW_DEV_ADAPTERS) {
    throw new ConfigError(
      `The notifications dev inbox is a development adapter and is refused in production: configure a provider for ${missing.join(', ')} (or set ALLOW_DEV_ADAPTERS=true)`,
    )
  }
  const limits = config.NOTIFY_RATE_LIMITS
  return {
    email,
    sms,
    push,
    emailFrom: config.EMAIL_FROM ?? DEV_EMAIL_FROM,
    devInbox: missing.length > 0,
    ...(Object.keys(limits).length ? { admit: rateLimits(limits as Partial<Record<NotificationProviderName, { capacity: number; perSecond: number }>>) } : {}),
  }
}
