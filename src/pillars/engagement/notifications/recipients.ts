/**
 * Recipients: what a user wants (preferences per category × channel, quiet hours in their zone, language) and the
 * devices push reaches. A user with no rows has every category and channel on, no quiet hours, Russian, and the
 * Kamchatka zone.
 */
import { sql } from 'drizzle-orm'
import { queryRows, type Executor } from '../../../core/db/index.ts'
import type { Locale } from '../../../core/notifications/templates/i18n.ts'
import type { Channel, DeviceKind, PushDevice } from '../../../core/notifications/provider.ts'
import { uuidv7 } from '../../../events/envelope.ts'
import { CATEGORIES, CHANNELS, type Category } from './catalog.ts'

export interface QuietHours {
  /** Minutes of the local day, e.g. 22:00 = 1320. */
  startMinute: number
  endMinute: number
}

export interface RecipientSettings {
  timezone: string
  locale: Locale
  quietHours: QuietHours | null
  /** Only the switched-off pairs: `${category}:${channel}`. */
  disabled: Set<string>
}

export const DEFAULT_TIMEZONE = 'Asia/Kamchatka'

export async function recipientSettings(ex: Executor, userId: string): Promise<RecipientSettings> {
  const [settings] = await queryRows<{ timezone: string; locale: Locale; quiet_start_minute: number | null; quiet_end_minute: number | null }>(
    ex,
    sql`select timezone, locale, quiet_start_minute, quiet_end_minute from notification_settings where user_id = ${userId}`,
  )
  const off = await queryRows<{ category: string; channel: string }>(
    ex,
    sql`select category, channel from notification_preferences where user_id = ${userId} and not enabled`,
  )
  return {
    timezone: settings?.timezone ?? DEFAULT_TIMEZONE,
    locale: settings?.locale ?? 'ru',
    quietHours:
      settings && settings.quiet_start_minute !== null && settings.quiet_end_minute !== null
        ? { startMinute: Number(settings.quiet_start_minute), endMinute: Number(settings.quiet_end_minute) }
        : null,
    disabled: new Set(off.map((r) => `${r.category}:${r.channel}`)),
  }
}

export const wants = (s: RecipientSettings, category: Category, channel: Channel) => !s.disabled.has(`${category}:${channel}`)

/** Minutes since local midnight at `at` in `timeZone`. */
export function localMinuteOfDay(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return get('hour') * 60 + get('minute')
}

/**
 * The first instant at or after `at` outside the quiet hours (a window may wrap midnight: 22:00–08:00). Computed
 * from the local minute, so a DST change inside the window shifts the end by its hour at most.
 */
export function afterQuietHours(at: Date, timeZone: string, quiet: QuietHours | null): Date {
  if (!quiet || quiet.startMinute === quiet.endMinute) return at
  const minute = localMinuteOfDay(at, timeZone)
  const { startMinute: s, endMinute: e } = quiet
  const inside = s < e ? minute >= s && minute < e : minute >= s || minute < e
  if (!inside) return at
  const waitMinutes = (e - minute + 1440) % 1440
  const startOfMinute = at.getTime() - (at.getTime() % 60_000)
  return new Date(startOfMinute + waitMinutes * 60_000)
}

// ------------------------------------------------------------------------------------------------ preferences

export interface PreferencesView {
  categories: Record<Category, Record<Channel, boolean>>
  quietHours: { start: string; end: string } | null
  timezone: string
  locale: Locale
}

const hhmm = (minute: number) => `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`
export const minuteOf = (value: string) => Number(value.slice(0, 2)) * 60 + Number(value.slice(3, 5))

export function preferencesView(s: RecipientSettings): PreferencesView {
  const categories = Object.fromEntries(CATEGORIES.map((c) => [c, Object.fromEntries(CHANNELS.map((ch) => [ch, wants(s, c, ch)]))])) as PreferencesView['categories']
  return {
    categories,
    quietHours: s.quietHours ? { start: hhmm(s.quietHours.startMinute), end: hhmm(s.quietHours.endMinute) } : null,
    timezone: s.timezone,
    locale: s.locale,
  }
}

export interface PreferencesUpdate {
  categories?: Partial<Record<Category, Partial<Record<Channel, boolean>>>>
  /** null clears them; absent leaves them. */
  quietHours?: { start: string; end: string } | null
  timezone?: string
  locale?: Locale
}

export async function updatePreferences(tx: Executor, userId: string, update: PreferencesUpdate, now: Date): Promise<void> {
  for (const [category, channels] of Object.entries(update.categories ?? {})) {
    for (const [channel, enabled] of Object.entries(channels ?? {})) {
      await tx.execute(sql`
        insert into notification_preferences (user_id, category, channel, enabled, updated_at)
        values (${userId}, ${category}, ${channel}, ${enabled}, ${now.toISOString()}::timestamptz)
        on conflict (user_id, category, channel) do update set enabled = excluded.enabled, updated_at = excluded.updated_at`)
    }
  }
  if (update.quietHours === undefined && update.timezone === undefined && update.locale === undefined) return
  const current = await recipientSettings(tx, userId)
  const quiet = update.quietHours === undefined ? current.quietHours : update.quietHours && { startMinute: minuteOf(update.quietHours.start), endMinute: minuteOf(update.quietHours.end) }
  await tx.execute(sql`
    insert into notification_settings (user_id, timezone, locale, quiet_start_minute, quiet_end_minute, updated_at)
    values (${userId}, ${update.timezone ?? current.timezone}, ${update.locale ?? current.locale},
      ${quiet?.startMinute ?? null}::integer, ${quiet?.endMinute ?? null}::integer, ${now.toISOString()}::timestamptz)
    on conflict (user_id) do update set timezone = excluded.timezone, locale = excluded.locale,
      quiet_start_minute = excluded.quiet_start_minute, quiet_end_minute = excluded.quiet_end_minute, updated_at = excluded.updated_at`)
}

// ---------------------------------------------------------------------------------------------------- devices

export interface DeviceRow {
  id: string
  userId: string
  kind: DeviceKind
  token: string
  keys: Record<string, string>
}

export interface DeviceRegistration {
  kind: DeviceKind
  token: string
  keys?: Record<string, string>
}

/** Registering a token again refreshes it and moves it to this user (a phone changes hands, an account switch). */
export async function registerDevice(ex: Executor, userId: string, input: DeviceRegistration, now: Date): Promise<DeviceRow> {
  const [row] = await queryRows<{ id: string; user_id: string; kind: DeviceKind; token: string; keys: unknown }>(
    ex,
    sql`insert into devices (id, user_id, kind, token, keys, created_at, last_seen_at)
        values (${uuidv7()}, ${userId}, ${input.kind}, ${input.token}, ${JSON.stringify(input.keys ?? {})}::jsonb, ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz)
        on conflict (kind, token) do update set user_id = excluded.user_id, keys = excluded.keys, last_seen_at = excluded.last_seen_at
        returning id, user_id, kind, token, keys`,
  )
  return deviceOf(row!)
}

export async function deleteDevice(ex: Executor, userId: string, id: string): Promise<boolean> {
  const rows = await queryRows(ex, sql`delete from devices where id = ${id} and user_id = ${userId} returning 1 as deleted`)
  return rows.length === 1
}

export async function userDevices(ex: Executor, userId: string): Promise<DeviceRow[]> {
  const rows = await queryRows<{ id: string; user_id: string; kind: DeviceKind; token: string; keys: unknown }>(
    ex,
    sql`select id, user_id, kind, token, keys from devices where user_id = ${userId} order by created_at`,
  )
  return rows.map(deviceOf)
}

/** A provider said the token is unregistered (404/410/UNREGISTERED): it will never work again. */
export async function pruneDevice(ex: Executor, id: string): Promise<void> {
  await ex.execute(sql`delete from devices where id = ${id}`)
}

export function pushDeviceOf(d: DeviceRow): PushDevice {
  if (d.kind === 'webpush') return { kind: 'webpush', endpoint: d.token, keys: { p256dh: d.keys.p256dh ?? '', auth: d.keys.auth ?? '' } }
  if (d.kind === 'fcm') return { kind: 'fcm', token: d.token }
  return { kind: 'apns', token: d.token, topic: d.keys.topic ?? '' }
}

function deviceOf(r: { id: string; user_id: string; kind: DeviceKind; token: string; keys: unknown }): DeviceRow {
  return { id: r.id, userId: r.user_id, kind: r.kind, token: r.token, keys: (typeof r.keys === 'string' ? JSON.parse(r.keys) : r.keys) as Record<string, string> }
}
