/**
 * Every code subscription of the app, built from the deps its handlers need. Pillars export their subscription
 * factories; this is the one place that lists them (a dispatcher delivers exactly these, plus partner HTTP
 * subscriptions stored in the database).
 */
import type { Deps } from './deps.ts'
import type { CodeSubscription } from './events/subscription.ts'
import { catalogueCacheSubscription } from './pillars/discovery/cache.ts'
import { payoutScheduleSubscription } from './pillars/partner/ledger/subscriptions.ts'
import { paymentsSubscription } from './pillars/booking/payments/subscriptions.ts'
import { notificationsSubscription } from './pillars/engagement/notifications/subscriptions.ts'

export function codeSubscriptions(deps: Deps): CodeSubscription[] {
  return [catalogueCacheSubscription(deps), payoutScheduleSubscription(deps), paymentsSubscription(deps), notificationsSubscription(deps)]
}
