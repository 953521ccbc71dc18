/** booking_confirmed_operator: tells an operator a traveller has paid — who, how many, how to reach them. */
import { z } from 'zod'
import { defineTemplate } from './template.ts'
import {
  confirmationCodeSchema, departureSchema, linkSchema, moneySchema, partySchema, personNameSchema, phoneSchema, tourSchema,
} from './variables.ts'
import { seatsOf } from './format.ts'

export const bookingConfirmedOperator = defineTemplate({
  priority: 'normal',
  schema: z.object({
    tour: tourSchema,
    departure: departureSchema,
    party: partySchema,
    total: moneySchema,
    confirmationCode: confirmationCodeSchema,
    traveller: z.object({ name: personNameSchema, email: z.email(), phone: phoneSchema.optional() }),
    /** Places still on sale on this departure after the booking. */
    seatsLeft: z.number().int().min(0).optional(),
    manifestUrl: linkSchema,
  }),
  messages: {
    ru: {
      subject: 'Новое бронирование {code}: {tour}, {date}',
      heading: 'Новое бронирование',
      intro: 'Путешественник оплатил бронирование, места сняты с продажи.',
      seatsLeft: 'Свободных мест на выезде',
      button: 'Открыть список группы',
      sms: 'KamHub: новая бронь {code}. «{tour}», {when}: {seats}, {total}.',
      'push.title': 'Новое бронирование {code}',
      'push.body': '«{tour}», {when}: {party}, {total}',
    },
    en: {
      subject: 'New booking {code}: {tour}, {date}',
      heading: 'New booking',
      intro: 'A traveller has paid for a booking; the places are no longer on sale.',
      seatsLeft: 'Places left on this departure',
      button: 'Open the manifest',
      sms: 'KamHub: new booking {code}. {tour}, {when}: {seats}, {total}.',
      'push.title': 'New booking {code}',
      'push.body': '{tour}, {when}: {party}, {total}',
    },
    zh: {
      subject: '新预订 {code}：{tour}，{date}',
      heading: '新预订',
      intro: '一位游客已完成预订付款，相应名额已停止销售。',
      seatsLeft: '本团剩余名额',
      button: '查看出团名单',
      sms: 'KamHub：新预订 {code}。{tour}，{when}：{seats}，{total}。',
      'push.title': '新预订 {code}',
      'push.body': '{tour}，{when}：{party}，{total}',
    },
  },
  sample: {
    tour: { title: 'Долина гейзеров на вертолёте' },
    departure: { startsAt: '2026-08-02T21:30:00.000Z', timezone: 'Asia/Kamchatka' },
    party: { adult: 1, senior: 1 },
    total: { amount: 15_600_000, currency: 'RUB' },
    confirmationCode: 'R4TW8HNC',
    traveller: { name: 'Игорь Ковалёв', email: 'igor.kovalev@example.ru', phone: '+7 914 781-22-05' },
    seatsLeft: 3,
    manifestUrl: 'https://partners.kamhub.ru/departures/0190f3a1-8c1e-7a52-b2d4-5e6f7a8b9c0d/manifest',
  },
  render(v, { tr, money, dateTime, party, sms }) {
    const { startsAt, timezone } = v.departure
    const code = v.confirmationCode
    const contact = [v.traveller.phone, v.traveller.email].filter(Boolean).join(', ')
    return {
      email: {
        subject: tr.t('subject', { code, tour: v.tour.title, date: dateTime(startsAt, timezone, 'date') }),
        preheader: `${party(v.party)}, ${money(v.total)}`,
        heading: tr.t('heading'),
        blocks: [
          { type: 'paragraph', text: tr.t('intro') },
          {
            type: 'facts',
            rows: [
              { label: tr.t('label.code'), value: code },
              { label: tr.t('label.tour'), value: v.tour.title },
              { label: tr.t('label.departure'), value: dateTime(startsAt, timezone) },
              { label: tr.t('label.party'), value: party(v.party) },
              { label: tr.t('label.total'), value: money(v.total) },
              { label: tr.t('label.traveller'), value: v.traveller.name },
              { label: tr.t('label.contact'), value: contact },
              ...(v.seatsLeft === undefined ? [] : [{ label: tr.t('seatsLeft'), value: String(v.seatsLeft) }]),
            ],
          },
          { type: 'button', label: tr.t('button'), url: v.manifestUrl },
        ],
        footer: tr.t('footer.operator'),
      },
      sms: sms(
        (f) => tr.t('sms', { code, tour: f.tour, when: dateTime(startsAt, timezone, 'short'), seats: tr.plural('seats', seatsOf(v.party)), total: money(v.total) }),
        { tour: { text: v.tour.title, min: 20 } },
      ),
      push: {
        title: tr.t('push.title', { code }),
        body: tr.t('push.body', { tour: v.tour.title, when: dateTime(startsAt, timezone, 'short'), party: party(v.party), total: money(v.total) }),
        data: { confirmationCode: code, url: v.manifestUrl },
      },
    }
  },
})
