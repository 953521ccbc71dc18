/**
 * The dev inbox: what the embedded default "sent" (provider `dev-inbox`), rendered again from the stored
 * variables for reading — the list page, each e-mail's HTML (shown in a sandboxed iframe with scripts off), the
 * SMS and push text. Only mounted behaviour when the channels say devInbox (never in production without
 * ALLOW_DEV_ADAPTERS).
 */
import { sql } from 'drizzle-orm'
import type { Deps } from '../../../deps.ts'
import { DomainError } from '../../../core/errors.ts'
import { queryRows } from '../../../core/db/index.ts'
import { renderNotification, type NotificationKind } from '../../../core/notifications/templates/index.ts'
import type { Locale } from '../../../core/notifications/templates/i18n.ts'
import { DEV_INBOX } from './channels.ts'

export interface InboxMessage {
  id: string
  userId: string
  channel: 'email' | 'sms' | 'push'
  kind: string
  to: string | null
  sentAt: string
  subject?: string
  text: string
  html?: string
}

export function assertDevInbox(deps: Pick<Deps, 'notifications' | 'config'>): void {
  // Never served in production, even where ALLOW_DEV_ADAPTERS lets messages be kept: the page has no login and shows
  // travellers' names, addresses and confirmation codes.
  if (!deps.notifications?.channels.devInbox || deps.config.production) throw new DomainError('not_found', 'The dev inbox is not enabled (a provider is configured for every channel, or this is production)')
}

export async function devInboxMessages(deps: Pick<Deps, 'db' | 'notifications' | 'config'>, { limit = 100 } = {}): Promise<InboxMessage[]> {
  assertDevInbox(deps)
  const rows = await queryRows<{ id: string; user_id: string; channel: InboxMessage['channel']; kind: NotificationKind; locale: Locale; address: string | null; payload: unknown; sent_at: string | Date }>(
    deps.db.orm,
    sql`select id, user_id, channel, kind, locale, address, payload, sent_at from notifications
        where provider = ${DEV_INBOX} order by sent_at desc, id desc limit ${limit}`,
  )
  return rows.map((r) => {
    const { variables } = (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as { variables: Record<string, unknown> }
    const rendered = renderNotification(r.kind, r.locale, variables as never)
    const common = { id: r.id, userId: r.user_id, channel: r.channel, kind: r.kind, to: r.address, sentAt: new Date(r.sent_at).toISOString() }
    if (r.channel === 'email') return { ...common, subject: rendered.email.subject, text: rendered.email.text, html: rendered.email.html }
    if (r.channel === 'sms') return { ...common, text: rendered.sms.body }
    return { ...common, subject: rendered.push.title, text: rendered.push.body }
  })
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]!)

/** No script anywhere; each e-mail sits in `<iframe sandbox srcdoc>` (its own opaque origin, no scripts, no forms). */
export function devInboxPage(messages: InboxMessage[]): string {
  const items = messages
    .map(
      (m) => `<article>
  <header><strong>${esc(m.channel.toUpperCase())}</strong> · ${esc(m.kind)} · to ${esc(m.to ?? `user ${m.userId} (devices)`)} · <time>${esc(m.sentAt)}</time></header>
  ${m.subject ? `<h2>${esc(m.subject)}</h2>` : ''}
  ${m.html ? `<iframe sandbox title="${esc(m.subject ?? m.kind)}" srcdoc="${esc(m.html)}"></iframe>` : `<pre>${esc(m.text)}</pre>`}
</article>`,
    )
    .join('\n')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>KamHub dev inbox</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:2rem;max-width:60rem}article{border:1px solid #ccc;border-radius:6px;padding:1rem;margin:1rem 0}iframe{width:100%;height:28rem;border:1px solid #eee}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}h2{font-size:1.1rem}</style>
</head><body><h1>Dev inbox</h1><p>${messages.length} message(s) stored instead of sent (no provider configured). JSON: <a href="/dev/inbox.json">/dev/inbox.json</a></p>
${items || '<p>Nothing yet.</p>'}
</body></html>`
}

/** Nothing but the inline style and the framed e-mails; no script, no plugin, no form, no outside fetch. */
export const DEV_INBOX_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
