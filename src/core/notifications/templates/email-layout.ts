/**
 * E-mail from a small block model: templates say what to show (paragraphs, facts, a button, a table) and this file
 * alone writes HTML, so every piece of text a template passes is escaped here, once — a tour title containing
 * `<script>` arrives as text. The HTML is table-based with inline styles only (what Gmail, Outlook and mobile
 * clients agree on), 600 px wide at most, with a hidden preheader; the text part carries the same content.
 */
import type { Locale } from './i18n.ts'

export type Block =
  | { type: 'paragraph'; text: string }
  | { type: 'notice'; text: string; tone: 'critical' | 'info' }
  | { type: 'facts'; rows: Array<{ label: string; value: string }> }
  | { type: 'button'; label: string; url: string }
  | { type: 'list'; title?: string; items: string[] }
  | { type: 'table'; columns: string[]; rows: string[][] }

export interface EmailContent {
  subject: string
  /** The line clients show after the subject in the inbox. */
  preheader?: string
  heading: string
  blocks: Block[]
  footer: string
}

export interface RenderedEmail {
  subject: string
  html: string
  text: string
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Text for an HTML text node or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]!)
}

/** Escaped, with line breaks kept. */
const inline = (text: string) => escapeHtml(text).replace(/\r?\n/g, '<br>')

const FONT = 'font-family:-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif'
const INK = '#1f2933'
const MUTED = '#616e7c'
const ACCENT = '#0b6e4f'

function blockHtml(block: Block): string {
  switch (block.type) {
    case 'paragraph':
      return `<p style="margin:0 0 16px">${inline(block.text)}</p>`
    case 'notice': {
      const [bg, border] = block.tone === 'critical' ? ['#fdecea', '#c62828'] : ['#e8f4fd', '#1565c0']
      return (
        `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="margin:0 0 16px">` +
        `<tr><td style="background:${bg};border-left:4px solid ${border};padding:12px 16px;font-weight:600">${inline(block.text)}</td></tr></table>`
      )
    }
    case 'facts':
      return (
        `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="margin:0 0 16px;border-collapse:collapse">` +
        block.rows
          .map(
            (r) =>
              `<tr><td style="padding:6px 12px 6px 0;color:${MUTED};vertical-align:top;white-space:nowrap">${inline(r.label)}</td>` +
              `<td style="padding:6px 0;vertical-align:top;font-weight:600">${inline(r.value)}</td></tr>`,
          )
          .join('') +
        `</table>`
      )
    case 'button':
      return (
        `<table role="presentation" cellpadding="0" cellspacing="0" style="margin:8px 0 24px"><tr>` +
        `<td style="background:${ACCENT};border-radius:6px"><a href="${escapeHtml(block.url)}" ` +
        `style="display:inline-block;padding:12px 24px;color:#ffffff;text-decoration:none;font-weight:600">${inline(block.label)}</a></td>` +
        `</tr></table>`
      )
    case 'list':
      return (
        (block.title ? `<p style="margin:0 0 8px;font-weight:600">${inline(block.title)}</p>` : '') +
        `<ul style="margin:0 0 16px;padding-left:20px">${block.items.map((i) => `<li style="margin:0 0 4px">${inline(i)}</li>`).join('')}</ul>`
      )
    case 'table':
      return (
        `<table width="100%" cellpadding="0" cellspacing="0" style="margin:0 0 16px;border-collapse:collapse;font-size:14px">` +
        `<tr>${block.columns.map((c) => `<th align="left" style="padding:6px 8px;border-bottom:2px solid #d9e2ec;color:${MUTED}">${inline(c)}</th>`).join('')}</tr>` +
        block.rows
          .map((row) => `<tr>${row.map((cell) => `<td style="padding:6px 8px;border-bottom:1px solid #e4e7eb;vertical-align:top">${inline(cell)}</td>`).join('')}</tr>`)
          .join('') +
        `</table>`
      )
  }
}

/** A table row is one line of the text part: a cell's own line breaks become commas. */
const oneLine = (cell: string) => cell.replace(/\s*\r?\n\s*/g, ', ')

function blockText(block: Block, colon: string): string {
  switch (block.type) {
    case 'paragraph':
      return block.text
    case 'notice':
      return `!! ${block.text}`
    case 'facts':
      return block.rows.map((r) => `${r.label}${colon}${r.value}`).join('\n')
    case 'button':
      return `${block.label}${colon}${block.url}`
    case 'list':
      return [...(block.title ? [block.title] : []), ...block.items.map((i) => `- ${i}`)].join('\n')
    case 'table':
      return block.rows.map((row, i) => `${i + 1}. ${row.map((cell, j) => oneLine(j === 0 ? cell : `${block.columns[j]}${colon}${cell}`)).join('; ')}`).join('\n')
  }
}

export function renderEmail(content: EmailContent, locale: Locale): RenderedEmail {
  // A subject is a header line: a line break in a tour title must not start a new header.
  const subject = content.subject.replace(/\s*[\r\n]+\s*/g, ' ').trim()
  const preheader = content.preheader
    ? `<div style="display:none;max-height:0;overflow:hidden;mso-hide:all">${escapeHtml(content.preheader)}</div>`
    : ''
  const html =
    `<!DOCTYPE html>\n<html lang="${locale}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(subject)}</title></head>\n` +
    `<body style="margin:0;padding:0;background:#f5f7fa">${preheader}` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="background:#f5f7fa"><tr><td align="center" style="padding:24px 12px">` +
    `<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border-radius:8px">` +
    `<tr><td style="padding:20px 24px 0;${FONT};font-size:14px;font-weight:700;letter-spacing:1px;color:${ACCENT}">KAMHUB</td></tr>` +
    `<tr><td style="padding:12px 24px 8px;${FONT};font-size:16px;line-height:1.5;color:${INK}">` +
    `<h1 style="margin:0 0 16px;font-size:22px;line-height:1.3">${inline(content.heading)}</h1>\n` +
    content.blocks.map(blockHtml).join('\n') +
    `</td></tr>` +
    `<tr><td style="padding:16px 24px 24px;border-top:1px solid #e4e7eb;${FONT};font-size:12px;line-height:1.5;color:${MUTED}">${inline(content.footer)}</td></tr>` +
    `</table></td></tr></table></body></html>\n`
  // Chinese punctuation is full-width and carries its own spacing.
  const colon = locale === 'zh' ? '：' : ': '
  const text = [content.heading, ...content.blocks.map((b) => blockText(b, colon)), '--', content.footer].join('\n\n') + '\n'
  return { subject, html, text }
}
