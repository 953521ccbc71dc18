import { describe, expect, it } from 'vitest'
import {
  NOTIFICATION_KINDS, TEMPLATES, TemplateVariablesError, renderNotification, sampleVariables, type NotificationKind,
} from './index.ts'
import { LOCALES, type Message } from './i18n.ts'
import { renderContext, SMS_MAX_SEGMENTS } from './template.ts'
import { smsSegments } from './sms-segments.ts'
import { bookingConfirmed } from './booking-confirmed.ts'

type Vars = Record<string, unknown> & { tour: { title: string }; departure?: { meetingPoint?: string } }
const sample = (kind: NotificationKind) => sampleVariables(kind) as unknown as Vars
const render = (kind: NotificationKind, locale: (typeof LOCALES)[number], vars: unknown) => renderNotification(kind, locale, vars as never)

/** The sample with its free-text fields made long: `title` for the tour, `place` for a meeting point. */
function withLong(kind: NotificationKind, title: string, place = title): Vars {
  const vars = sample(kind)
  vars.tour.title = title
  if (vars.departure?.meetingPoint) vars.departure.meetingPoint = place
  return vars
}
const LONG_RU = 'Трёхдневный поход к вулканам Горелый и Мутновский с ночёвкой в палатках, купанием в горячих источниках и вертолётным трансфером'.repeat(2)
const LONG_PLACE_RU = 'Петропавловск-Камчатский, проспект Карла Маркса, 29/1, парковка у торгового центра «Шамса», напротив остановки «Комсомольская площадь»'
const LONG_EN = 'Three days among the Gorely and Mutnovsky volcanoes, with nights in tents, hot springs and a helicopter transfer back to town'
const urls = (text: string) => (text.match(/https?:\/\/\S+/g) ?? []).map((u) => u.replace(/[.,;:!?。，)]+$/u, ''))

describe('renders every kind in every locale (snapshots)', () => {
  for (const kind of NOTIFICATION_KINDS) {
    for (const locale of LOCALES) {
      it(`${kind} / ${locale}`, async () => {
        const r = render(kind, locale, sampleVariables(kind))
        expect({ priority: r.priority, subject: r.email.subject, text: r.email.text, sms: r.sms.body, push: r.push }).toMatchSnapshot()
        await expect(r.email.html).toMatchFileSnapshot(`./__snapshots__/html/${kind}.${locale}.html`)
      })
    }
  }
})

describe('e-mail', () => {
  it('a tour title containing <script> is escaped in the HTML and kept as text in the text part', () => {
    const vars = sample('booking_confirmed')
    vars.tour.title = '<script>alert("x")</script> & Co\'s <b>tour</b>'
    vars.travellerName = '<img src=x onerror=alert(1)>'
    const { email } = render('booking_confirmed', 'ru', vars)
    expect(email.html).not.toMatch(/<script|<img|<b>/)
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&#39;s &lt;b&gt;tour&lt;/b&gt;')
    expect(email.html).toContain('&lt;img src=x onerror=alert(1)&gt;')
    expect(email.text).toContain('<script>alert("x")</script> & Co\'s <b>tour</b>')
  })

  it('escapes every kind: a hostile title never reaches any template HTML unescaped', () => {
    for (const kind of NOTIFICATION_KINDS) {
      const html = render(kind, 'en', withLong(kind, '"><script>x</script>')).email.html
      expect(html, kind).not.toContain('<script>')
    }
  })

  it('a line break in a title cannot start a new header line in the subject', () => {
    const { email } = render('booking_confirmed', 'en', withLong('booking_confirmed', 'Avacha\r\nBcc: victim@example.com'))
    expect(email.subject).toBe('Booking confirmed: Avacha Bcc: victim@example.com')
  })

  it('a javascript: link is rejected before it can become a button', () => {
    expect(() => render('booking_confirmed', 'ru', { ...sample('booking_confirmed'), ticketUrl: 'javascript:alert(1)' })).toThrow(TemplateVariablesError)
  })

  it('the text part has no HTML and carries the same facts and links as the HTML', () => {
    for (const kind of NOTIFICATION_KINDS) {
      const { email } = render(kind, 'ru', sampleVariables(kind))
      expect(email.text, kind).not.toMatch(/<\/?[a-z][^>]*>|&[a-z]+;/i)
      for (const url of urls(email.text)) expect(email.html, kind).toContain(`href="${url.replace(/&/g, '&amp;')}"`)
    }
  })

  it('the HTML is a complete document in the recipient language with inline styles only', () => {
    const { html } = render('departure_reminder', 'zh', sampleVariables('departure_reminder')).email
    expect(html).toMatch(/^<!DOCTYPE html>\n<html lang="zh">/)
    expect(html).not.toMatch(/<style|<link|class=/)
  })
})

describe('SMS budget', () => {
  it(`every kind stays within ${SMS_MAX_SEGMENTS} parts in every locale with very long titles and meeting points`, () => {
    for (const kind of NOTIFICATION_KINDS) {
      for (const locale of LOCALES) {
        const short = render(kind, locale, sampleVariables(kind)).sms.body
        const long = render(kind, locale, withLong(kind, LONG_RU, LONG_PLACE_RU)).sms.body
        expect(smsSegments(long).segments, `${kind}/${locale}: ${long}`).toBeLessThanOrEqual(SMS_MAX_SEGMENTS)
        // The links survive; the title is what gets shortened.
        for (const url of urls(short)) expect(long, `${kind}/${locale}`).toContain(url)
      }
    }
  })

  it('a long Russian title is cut with an ellipsis, keeping the code and the ticket link', () => {
    const body = render('booking_confirmed', 'ru', withLong('booking_confirmed', LONG_RU)).sms.body
    expect(body).toMatch(/^KamHub: бронь K7M2QX9P подтверждена\. «Трёхдневный поход[^»]*…», .* Билет: https:\/\/kamhub\.ru\/t\/K7M2QX9P$/)
    expect(smsSegments(body)).toMatchObject({ encoding: 'UCS-2', segments: 2 })
  })

  it('English with Latin data stays GSM-7 (no-break spaces from Intl are normalised, "..." not "…")', () => {
    for (const kind of NOTIFICATION_KINDS) {
      const body = render(kind, 'en', withLong(kind, LONG_EN.repeat(2), 'Elizovo airport, local flights terminal')).sms.body
      expect(smsSegments(body), `${kind}: ${body}`).toMatchObject({ encoding: 'GSM-7' })
      expect(smsSegments(body).segments).toBeLessThanOrEqual(SMS_MAX_SEGMENTS)
    }
  })

  it('the cancelled-departure SMS states the reason and the full refund even when the title is cut', () => {
    const body = render('departure_cancelled', 'ru', withLong('departure_cancelled', LONG_RU)).sms.body
    expect(body).toContain('ОТМЕНЁН (вулканическая активность)')
    expect(body).toContain('Полный возврат 32\u00a0500\u00a0₽'.replace(/\u00a0/g, ' '))
  })
})

describe('push', () => {
  it('data values are strings and always name the kind; a cancelled departure is critical', () => {
    for (const kind of NOTIFICATION_KINDS) {
      const r = render(kind, 'ru', withLong(kind, LONG_RU, LONG_PLACE_RU))
      expect(r.push.data.kind).toBe(kind)
      for (const value of Object.values(r.push.data)) expect(typeof value).toBe('string')
      expect([...r.push.title].length, kind).toBeLessThanOrEqual(65)
      expect([...r.push.body].length, kind).toBeLessThanOrEqual(180)
      expect(r.priority).toBe(kind === 'departure_cancelled' ? 'critical' : 'normal')
    }
  })
})

describe('variables', () => {
  it('invalid variables throw a programming error naming each bad field', () => {
    const vars = { ...sample('booking_confirmed'), total: { amount: 12.5, currency: 'rub' } }
    expect(() => render('booking_confirmed', 'ru', vars)).toThrow(TemplateVariablesError)
    expect(() => render('booking_confirmed', 'ru', vars)).toThrow(/booking_confirmed.*total\.amount.*total\.currency/)
  })

  it('a missing field and an unknown time zone are reported by path', () => {
    const vars = sample('departure_reminder') as Vars & { departure: Record<string, unknown> }
    delete vars.confirmationCode
    vars.departure.timezone = 'Mars/Olympus'
    try {
      render('departure_reminder', 'en', vars)
      expect.unreachable()
    } catch (e) {
      expect((e as TemplateVariablesError).issues.map((i) => i.path).sort()).toEqual(['confirmationCode', 'departure.timezone'])
    }
  })

  it('an unknown kind is a TypeError', () => {
    expect(() => renderNotification('booking_lost' as NotificationKind, 'ru', {} as never)).toThrow(TypeError)
  })

  it('sampleVariables returns a fresh copy each time', () => {
    const first = sample('booking_confirmed')
    first.tour.title = 'changed'
    expect(sample('booking_confirmed').tour.title).toBe('Восхождение на Авачинский вулкан')
  })
})

describe('catalogs', () => {
  const placeholders = (m: Message) => [...new Set((typeof m === 'string' ? m : m.other).match(/\{\w+\}/g) ?? [])].sort()

  it('en and zh translate every Russian string with the same placeholders (fallback is a safety net, not a habit)', () => {
    for (const [kind, template] of Object.entries(TEMPLATES)) {
      const { ru, en, zh } = template.messages as { ru: Record<string, Message>; en: Record<string, Message>; zh: Record<string, Message> }
      for (const [name, catalog] of [['en', en], ['zh', zh]] as const) {
        expect(Object.keys(catalog).sort(), `${kind}/${name}`).toEqual(Object.keys(ru).sort())
        for (const key of Object.keys(ru)) expect(placeholders(catalog[key]!), `${kind}/${name}/${key}`).toEqual(placeholders(ru[key]!))
      }
    }
  })

  it('a template string missing from zh renders in Russian, not as its key', () => {
    const { heading: _, ...zhWithoutHeading } = bookingConfirmed.messages.zh
    const messages = { ...bookingConfirmed.messages, zh: zhWithoutHeading }
    const vars = bookingConfirmed.schema.parse(bookingConfirmed.sample)
    const out = bookingConfirmed.render(vars, renderContext(messages, 'zh'))
    expect(out.email.heading).toBe('Ваше бронирование подтверждено')
    expect(out.email.subject).toBe('预订已确认：Восхождение на Авачинский вулкан')
  })
})

describe('rendering one channel', () => {
  it('gives that channel exactly what the full render gives, and leaves the others empty', () => {
    for (const kind of NOTIFICATION_KINDS) {
      const full = renderNotification(kind, 'ru', sampleVariables(kind))
      const email = renderNotification(kind, 'ru', sampleVariables(kind), { channel: 'email' })
      const sms = renderNotification(kind, 'ru', sampleVariables(kind), { channel: 'sms' })
      expect(email.email).toEqual(full.email)
      expect(email.sms.body).toBe('')
      expect(sms.sms).toEqual(full.sms)
      expect(sms.email.html).toBe('')
    }
  })
})
