/**
 * operator_manifest: the evening before a departure, the operator's list of who travels — each booking's party
 * and contact — and the totals. The e-mail carries the full list; SMS and push carry the totals and the link.
 */
import { z } from 'zod'
import { defineTemplate } from './template.ts'
import {
  confirmationCodeSchema, departureWithMeetingPointSchema, linkSchema, partySchema, personNameSchema, phoneSchema, text, tourSchema,
} from './variables.ts'
import { PARTY_CATEGORIES, seatsOf, type Party } from './format.ts'

export const operatorManifest = defineTemplate({
  priority: 'normal',
  schema: z.object({
    tour: tourSchema,
    departure: departureWithMeetingPointSchema,
    capacity: z.number().int().min(1),
    travellers: z
      .array(
        z.object({
          name: personNameSchema,
          party: partySchema,
          phone: phoneSchema.optional(),
          email: z.email().optional(),
          confirmationCode: confirmationCodeSchema,
          /** What the traveller told the operator (allergies, a late arrival). */
          note: text(300).optional(),
        }),
      )
      .max(500),
    manifestUrl: linkSchema,
  }),
  messages: {
    ru: {
      subject: 'Список группы на {date}: {tour}',
      heading: 'Список группы на завтра',
      intro: 'Выезд: {when}. Место сбора: {place}.',
      'label.bookings': 'Бронирований',
      'label.seats': 'Мест занято',
      seatsOf: '{seats} из {capacity}',
      'col.traveller': 'Путешественник',
      'col.party': 'Состав',
      'col.contact': 'Контакт',
      'col.code': 'Код',
      bookings: { one: '{count} бронирование', few: '{count} бронирования', many: '{count} бронирований', other: '{count} бронирования' },
      travellers: { one: '{count} участник', few: '{count} участника', many: '{count} участников', other: '{count} участника' },
      empty: 'Бронирований нет.',
      button: 'Открыть список',
      sms: 'KamHub: {when}, «{tour}»: {travellers}, {bookings}. Список группы — в письме и в кабинете.',
      'push.title': 'Список группы на завтра',
      'push.body': '«{tour}», {when}: {travellers}, {bookings}',
    },
    en: {
      subject: 'Manifest for {date}: {tour}',
      heading: "Tomorrow's manifest",
      intro: 'Departure: {when}. Meeting point: {place}.',
      'label.bookings': 'Bookings',
      'label.seats': 'Places taken',
      seatsOf: '{seats} of {capacity}',
      'col.traveller': 'Traveller',
      'col.party': 'Party',
      'col.contact': 'Contact',
      'col.code': 'Code',
      bookings: { one: '{count} booking', other: '{count} bookings' },
      travellers: { one: '{count} traveller', other: '{count} travellers' },
      empty: 'No bookings.',
      button: 'Open the manifest',
      sms: 'KamHub: {when}, {tour}: {travellers}, {bookings}. The list is in your email and dashboard.',
      'push.title': "Tomorrow's manifest",
      'push.body': '{tour}, {when}: {travellers}, {bookings}',
    },
    zh: {
      subject: '{date} 出团名单：{tour}',
      heading: '明日出团名单',
      intro: '出发时间：{when}。集合地点：{place}。',
      'label.bookings': '预订数',
      'label.seats': '已占名额',
      seatsOf: '{seats} / {capacity}',
      'col.traveller': '游客',
      'col.party': '人员构成',
      'col.contact': '联系方式',
      'col.code': '预订码',
      bookings: '{count}个预订',
      travellers: '{count}名游客',
      empty: '暂无预订。',
      button: '打开名单',
      sms: 'KamHub：{when}，{tour}：{travellers}，{bookings}。完整名单请查看邮件或合作伙伴后台。',
      'push.title': '明日出团名单',
      'push.body': '{tour}，{when}：{travellers}，{bookings}',
    },
  },
  sample: {
    tour: { title: 'Долина гейзеров на вертолёте' },
    departure: {
      startsAt: '2026-08-02T21:30:00.000Z',
      timezone: 'Asia/Kamchatka',
      meetingPoint: 'Елизово, вертодром «Вертикаль-Т», ул. Звёздная, 1',
    },
    capacity: 8,
    travellers: [
      { name: 'Игорь Ковалёв', party: { adult: 1, senior: 1 }, phone: '+7 914 781-22-05', email: 'igor.kovalev@example.ru', confirmationCode: 'R4TW8HNC' },
      { name: 'Анна Смирнова', party: { adult: 2, child: 1 }, phone: '+7 924 555-10-10', confirmationCode: 'K7M2QX9P', note: 'Ребёнку 9 лет, вес 32 кг' },
      { name: 'Li Wei', party: { adult: 1 }, email: 'li.wei@example.cn', confirmationCode: 'ZP3N7DXE' },
    ],
    manifestUrl: 'https://partners.kamhub.ru/departures/0190f3a1-8c1e-7a52-b2d4-5e6f7a8b9c0d/manifest',
  },
  render(v, { tr, dateTime, party, sms }) {
    const { startsAt, timezone, meetingPoint } = v.departure
    const when = dateTime(startsAt, timezone, 'short')
    const seats = v.travellers.reduce((n, t) => n + seatsOf(t.party), 0)
    const totalParty: Party = {}
    for (const t of v.travellers) for (const c of PARTY_CATEGORIES) if (t.party[c]) totalParty[c] = (totalParty[c] ?? 0) + t.party[c]
    const counts = { travellers: tr.plural('travellers', seats), bookings: tr.plural('bookings', v.travellers.length) }
    return {
      email: {
        subject: tr.t('subject', { date: dateTime(startsAt, timezone, 'date'), tour: v.tour.title }),
        preheader: `${counts.travellers}, ${counts.bookings}`,
        heading: tr.t('heading'),
        blocks: [
          { type: 'paragraph', text: tr.t('intro', { when: dateTime(startsAt, timezone), place: meetingPoint }) },
          {
            type: 'facts',
            rows: [
              { label: tr.t('label.tour'), value: v.tour.title },
              { label: tr.t('label.bookings'), value: String(v.travellers.length) },
              { label: tr.t('label.seats'), value: tr.t('seatsOf', { seats, capacity: v.capacity }) },
              ...(seats > 0 ? [{ label: tr.t('label.party'), value: party(totalParty) }] : []),
            ],
          },
          v.travellers.length
            ? {
                type: 'table',
                columns: [tr.t('col.traveller'), tr.t('col.party'), tr.t('col.contact'), tr.t('col.code')],
                rows: v.travellers.map((t) => [
                  t.note ? `${t.name}\n${t.note}` : t.name,
                  party(t.party),
                  [t.phone, t.email].filter(Boolean).join('\n') || '—',
                  t.confirmationCode,
                ]),
              }
            : { type: 'paragraph', text: tr.t('empty') },
          { type: 'button', label: tr.t('button'), url: v.manifestUrl },
        ],
        footer: tr.t('footer.operator'),
      },
      // No link: a manifest URL alone would take most of a Russian two-part SMS.
      sms: sms((f) => tr.t('sms', { when, tour: f.tour, ...counts }), { tour: { text: v.tour.title, min: 16 } }),
      push: {
        title: tr.t('push.title'),
        body: tr.t('push.body', { tour: v.tour.title, when, ...counts }),
        data: { url: v.manifestUrl },
      },
    }
  },
})
