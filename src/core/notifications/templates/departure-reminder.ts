/** departure_reminder: 24 h before — when, where to meet (with a map link), what to bring, the code to show. */
import { z } from 'zod'
import { defineTemplate } from './template.ts'
import {
  confirmationCodeSchema, departureWithMeetingPointSchema, linkSchema, personNameSchema, phoneSchema, text, tourSchema,
} from './variables.ts'

export const departureReminder = defineTemplate({
  priority: 'normal',
  schema: z.object({
    travellerName: personNameSchema,
    tour: tourSchema,
    departure: departureWithMeetingPointSchema,
    meetingPointUrl: linkSchema.optional(),
    whatToBring: z.array(text(200)).max(30).default([]),
    guidePhone: phoneSchema.optional(),
    confirmationCode: confirmationCodeSchema,
    ticketUrl: linkSchema,
  }),
  messages: {
    ru: {
      subject: 'Завтра: {tour}',
      heading: 'До выезда меньше суток',
      intro: 'Напоминаем о выезде. Приходите на место сбора за 15 минут до начала — группа не сможет ждать.',
      bring: 'Что взять с собой',
      guide: 'Телефон гида: {phone}',
      map: 'Место сбора на карте',
      ticket: 'Открыть билет',
      sms: 'KamHub: {when} — «{tour}». Сбор: {place}. Код {code}.',
      'push.title': 'Завтра: {tour}',
      'push.body': '{when}. Место сбора: {place}',
    },
    en: {
      subject: 'Tomorrow: {tour}',
      heading: 'Your tour starts tomorrow',
      intro: 'A reminder about your departure. Please be at the meeting point 15 minutes early: the group cannot wait.',
      bring: 'What to bring',
      guide: "Guide's phone: {phone}",
      map: 'Meeting point on the map',
      ticket: 'Open your ticket',
      sms: 'KamHub: {tour} starts {when}. Meet at: {place}. Code {code}.',
      'push.title': 'Tomorrow: {tour}',
      'push.body': '{when}. Meeting point: {place}',
    },
    zh: {
      subject: '明天出发：{tour}',
      heading: '您的行程明天出发',
      intro: '温馨提示：请提前 15 分钟到达集合地点，团队无法等候迟到的游客。',
      bring: '需要携带的物品',
      guide: '导游电话：{phone}',
      map: '在地图上查看集合地点',
      ticket: '查看电子票',
      sms: 'KamHub：{tour} 将于 {when} 出发。集合地点：{place}。预订码 {code}。',
      'push.title': '明天出发：{tour}',
      'push.body': '{when}。集合地点：{place}',
    },
  },
  sample: {
    travellerName: 'Анна Смирнова',
    tour: { title: 'Восхождение на Авачинский вулкан' },
    departure: {
      startsAt: '2026-07-14T20:00:00.000Z',
      timezone: 'Asia/Kamchatka',
      meetingPoint: 'Петропавловск-Камчатский, площадь Ленина, у памятника',
    },
    meetingPointUrl: 'https://yandex.ru/maps/?pt=158.6503,53.0186&z=17',
    whatToBring: ['Треккинговые ботинки', 'Ветровка и тёплая флиска', 'Вода — 1,5 л на человека', 'Солнцезащитные очки и крем', 'Паспорт'],
    guidePhone: '+7 914 020-33-44',
    confirmationCode: 'K7M2QX9P',
    ticketUrl: 'https://kamhub.ru/t/K7M2QX9P',
  },
  render(v, { tr, dateTime, sms }) {
    const { startsAt, timezone, meetingPoint } = v.departure
    const when = dateTime(startsAt, timezone, 'short')
    return {
      email: {
        subject: tr.t('subject', { tour: v.tour.title }),
        preheader: `${dateTime(startsAt, timezone, 'time')} — ${meetingPoint}`,
        heading: tr.t('heading'),
        blocks: [
          { type: 'paragraph', text: tr.t('greeting', { name: v.travellerName }) },
          { type: 'paragraph', text: tr.t('intro') },
          {
            type: 'facts',
            rows: [
              { label: tr.t('label.tour'), value: v.tour.title },
              { label: tr.t('label.departure'), value: dateTime(startsAt, timezone) },
              { label: tr.t('label.meetingPoint'), value: meetingPoint },
              { label: tr.t('label.code'), value: v.confirmationCode },
            ],
          },
          ...(v.meetingPointUrl ? [{ type: 'button' as const, label: tr.t('map'), url: v.meetingPointUrl }] : []),
          ...(v.whatToBring.length ? [{ type: 'list' as const, title: tr.t('bring'), items: v.whatToBring }] : []),
          ...(v.guidePhone ? [{ type: 'paragraph' as const, text: tr.t('guide', { phone: v.guidePhone }) }] : []),
          { type: 'button', label: tr.t('ticket'), url: v.ticketUrl },
        ],
        footer: tr.t('footer.traveller'),
      },
      sms: sms((f) => tr.t('sms', { when, tour: f.tour, place: f.place, code: v.confirmationCode }), {
        tour: { text: v.tour.title, min: 16 },
        place: { text: meetingPoint, min: 30 },
      }),
      push: {
        title: tr.t('push.title', { tour: v.tour.title }),
        body: tr.t('push.body', { when, place: meetingPoint }),
        data: { confirmationCode: v.confirmationCode, url: v.ticketUrl },
      },
    }
  },
})
