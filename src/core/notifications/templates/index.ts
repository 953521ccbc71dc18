/**
 * The TemplateEngine: one template per notification kind, rendered for a locale into every channel.
 *
 * Guarantees: variables are validated by the kind's zod schema first (invalid ones throw
 * TemplateVariablesError — a bug in the caller, never shown to a user); every string falls back to Russian when a
 * translation is missing; all text in the e-mail HTML is escaped; an SMS fits in SMS_MAX_SEGMENTS parts; push
 * titles and bodies are cut to what lock screens show, and push data values are strings (FCM requires it).
 */
import type { z } from 'zod'
import { renderEmail, type RenderedEmail } from './email-layout.ts'
import type { Locale } from './i18n.ts'
import { renderContext, type TemplateDefinition } from './template.ts'
import { truncate } from './sms-segments.ts'
import { bookingConfirmed } from './booking-confirmed.ts'
import { bookingConfirmedOperator } from './booking-confirmed-operator.ts'
import { bookingCancelled } from './booking-cancelled.ts'
import { refundIssued } from './refund-issued.ts'
import { departureCancelled } from './departure-cancelled.ts'
import { departureReminder } from './departure-reminder.ts'
import { reviewRequest } from './review-request.ts'
import { operatorManifest } from './operator-manifest.ts'

export const TEMPLATES = {
  booking_confirmed: bookingConfirmed,
  booking_confirmed_operator: bookingConfirmedOperator,
  booking_cancelled: bookingCancelled,
  refund_issued: refundIssued,
  departure_cancelled: departureCancelled,
  departure_reminder: departureReminder,
  review_request: reviewRequest,
  operator_manifest: operatorManifest,
} as const

export type NotificationKind = keyof typeof TEMPLATES
export const NOTIFICATION_KINDS = Object.keys(TEMPLATES) as NotificationKind[]
export const NOTIFICATION_CHANNELS = ['email', 'sms', 'push'] as const
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number]

/** What a caller passes for a kind (schema input: defaults may be left out). */
export type TemplateVariables<K extends NotificationKind> = z.input<(typeof TEMPLATES)[K]['schema']>

export interface PushContent {
  title: string
  body: string
  /** Always carries `kind`; every value is a string. */
  data: Record<string, string>
}

export interface RenderedNotification {
  kind: NotificationKind
  locale: Locale
  priority: 'critical' | 'normal'
  email: RenderedEmail
  sms: { body: string }
  push: PushContent
}

export class TemplateVariablesError extends Error {
  override name = 'TemplateVariablesError'
  constructor(
    readonly kind: string,
    readonly issues: Array<{ path: string; message: string }>,
  ) {
    super(`invalid variables for notification template "${kind}": ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`)
  }
}

export function isNotificationKind(value: unknown): value is NotificationKind {
  return typeof value === 'string' && Object.hasOwn(TEMPLATES, value)
}

/** Lock screens show about this much; longer text is cut with an ellipsis rather than by the OS mid-word. */
export const PUSH_TITLE_MAX = 65
export const PUSH_BODY_MAX = 180

/**
 * Renders every channel's content, or — with `channel` — only what that channel sends (the queue renders per message
 * and fitting an SMS is the costliest step); the other channels then come back empty.
 */
export function renderNotification<K extends NotificationKind>(
  kind: K,
  locale: Locale,
  variables: TemplateVariables<K>,
  { channel }: { channel?: NotificationChannel } = {},
): RenderedNotification {
  if (!isNotificationKind(kind)) throw new TypeError(`unknown notification kind: ${String(kind)}`)
  // The per-kind types meet here; the schema check below is what makes `variables` safe for `render`.
  const template = TEMPLATES[kind] as unknown as TemplateDefinition<z.ZodType, string>
  const parsed = template.schema.safeParse(variables)
  if (!parsed.success) {
    throw new TemplateVariablesError(
      kind,
      parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    )
  }
  const out = template.render(parsed.data, renderContext(template.messages, locale, { sms: !channel || channel === 'sms' }))
  return {
    kind,
    locale,
    priority: template.priority,
    email: !channel || channel === 'email' ? renderEmail(out.email, locale) : { subject: '', html: '', text: '' },
    sms: { body: out.sms },
    push: {
      title: truncate(out.push.title, PUSH_TITLE_MAX),
      body: truncate(out.push.body, PUSH_BODY_MAX),
      data: { ...out.push.data, kind },
    },
  }
}

/** Realistic Kamchatka variables for `kind` (a fresh copy): the admin preview and the snapshots render these. */
export function sampleVariables<K extends NotificationKind>(kind: K): TemplateVariables<K> {
  if (!isNotificationKind(kind)) throw new TypeError(`unknown notification kind: ${String(kind)}`)
  return structuredClone(TEMPLATES[kind].sample) as TemplateVariables<K>
}
