/** The Node/Deno entry's builder: notificationProvidersFromConfig with the SMTP and APNs adapters available. */
import { apnsProvider } from './apns.node.ts'
import type { NotificationsConfig } from './config.ts'
import { notificationProvidersFromConfig, type NotificationProviders } from './from-config.ts'
import type { FetchLike } from './http.ts'
import { smtpProvider } from './smtp.node.ts'

export function notificationProvidersFromConfigNode(config: NotificationsConfig, deps: { fetch?: FetchLike } = {}): NotificationProviders {
  return notificationProvidersFromConfig(config, { ...deps, smtp: smtpProvider, apns: apnsProvider })
}
