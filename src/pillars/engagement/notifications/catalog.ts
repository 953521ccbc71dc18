/**
 * What each notification kind is: the preference category it belongs to, the channels it goes out on, and whether
 * it is critical (ignores quiet hours, escalates push → SMS → e-mail when not confirmed delivered).
 */
import type { NotificationKind } from '../../../core/notifications/templates/index.ts'
import type { Channel } from '../../../core/notifications/provider.ts'

export const CATEGORIES = ['bookings', 'reminders', 'reviews', 'operator', 'alerts'] as const
export type Category = (typeof CATEGORIES)[number]
export const CHANNELS = ['email', 'sms', 'push'] as const satisfies readonly Channel[]

export interface KindPolicy {
  category: Category
  channels: readonly Channel[]
  critical: boolean
}

export const KIND_POLICY: Record<NotificationKind, KindPolicy> = {
  booking_confirmed: { category: 'bookings', channels: ['email', 'push'], critical: false },
  booking_confirmed_operator: { category: 'operator', channels: ['email', 'push'], critical: false },
  booking_cancelled: { category: 'bookings', channels: ['email', 'push'], critical: false },
  refund_issued: { category: 'bookings', channels: ['email'], critical: false },
  // push first; SMS then e-mail only by escalation (escalation.ts)
  departure_cancelled: { category: 'alerts', channels: ['push'], critical: true },
  departure_reminder: { category: 'reminders', channels: ['email', 'push'], critical: false },
  review_request: { category: 'reviews', channels: ['email', 'push'], critical: false },
  operator_manifest: { category: 'operator', channels: ['email'], critical: false },
}

/** The order a critical alert climbs when the previous channel was not confirmed delivered. */
export const ESCALATION: Partial<Record<Channel, Channel>> = { push: 'sms', sms: 'email' }
