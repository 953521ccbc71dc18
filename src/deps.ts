/**
 * What the app is built from. Each runtime entry (src/runtime/*) builds these adapters from its environment and
 * hands them to `createApp`; nothing below knows which runtime it runs on.
 */
import type { Config } from './core/config/schema.ts'
import type { Database } from './core/db/index.ts'
import type { Cache } from './core/cache/index.ts'
import type { Logger } from './core/monitoring/logger.ts'
import type { MetricsRegistry } from './core/monitoring/metrics.ts'
import type { RateLimiter } from './core/auth/rate-limit.ts'
import type { DocsAssets } from './core/http/docs-assets.ts'
import type { EventBus } from './events/bus.ts'
import type { PaymentProvider } from './core/payments/provider.ts'
import type { PaymentsFromConfig } from './core/payments/from-config.ts'
import type { NotificationsRuntime } from './pillars/engagement/notifications/channels.ts'

export interface Clock {
  now(): Date
}

export const systemClock: Clock = { now: () => new Date() }

export interface Deps {
  config: Config
  db: Database
  cache: Cache
  logger: Logger
  metrics: MetricsRegistry
  clock: Clock
  rateLimiter: RateLimiter
  docsAssets: DocsAssets
  events: EventBus
  /**
   * The provider that pays an operator out in a currency (the payments registry wires it); without it a payout run
   * pays no one and reports every candidate as skipped.
   */
  payoutProviderFor?: (operatorId: string, currency: string, provider?: string) => PaymentProvider | undefined
  /**
   * The payment providers (router, and the sandbox in development), built once from config by
   * src/pillars/booking/payments/registry.ts. Without it, starting a payment is a 503 and webhooks are refused.
   */
  payments?: PaymentsFromConfig
  /**
   * The notification channels (providers in failover order, or the dev inbox) and the queue worker's wake-up.
   * Without it nothing is sent: rows stay queued until a process that has it runs the queue.
   */
  notifications?: NotificationsRuntime
}
