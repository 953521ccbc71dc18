/** booking_confirmed: the traveller's receipt once payment is secured — what, when, where, who, how much, the code. */
import { z } from 'zod'
import { defineTemplate } from './template.ts'
import {
  confirmationCodeSchema, departureWithMeetingPointSchema, linkSchema, moneySchema, partySchema, personNameSchema, tourSchema,
} from './variables.ts'
import { seatsOf } from './format.ts'

export const bookingConfirmed = defineTemplate({
  priority: 'normal',
  schema: z.object({
    travellerName: personNameSchema,
    tour: tourSchema,
    departure: departureWithMeetingPointSchema,
    party: partySchema,
    total: moneySchema,
    confirmationCode: confirmationCodeSchema,
    ticketUrl: linkSchema,
  }),
  messages: {
    ru: {
      subject: 'Бронирование подтверждено: {tour}',
      heading: 'Ваше бронирование подтверждено',
      intro: 'Оплата получена, места за вами. Покажите код бронирования гиду на месте сбора.',
      weather: 'Погода на Камчатке меняется быстро: если выезд перенесут или отменят, мы сразу сообщим и вернём деньги полностью.',
      button: 'Открыть билет',
      sms: 'KamHub: бронь {code} подтверждена. «{tour}», {when}, {seats}. Билет: {url}',
      'push.title': 'Бронирование подтверждено',
      'push.body': '«{tour}», {when}. Код: {code}',
    },
    en: {
      subject: 'Booking confirmed: {tour}',
      heading: 'Your booking is confirmed',
      intro: 'We have received your payment and your places are reserved. Show your confirmation code to the guide at the meeting point.',
      weather: 'Kamchatka weather changes fast: if the departure is moved or cancelled, we will tell you at once and refund you in full.',
      button: 'Open your ticket',
      sms: 'KamHub: booking {code} confirmed. {tour}, {when}, {seats}. Ticket: {url}',
      'push.title': 'Booking confirmed',
      'push.body': '{tour}, {when}. Code: {code}',
    },
    zh: {
      subject: '预订已确认：{tour}',
      heading: '您的预订已确认',
      intro: '我们已收到您的付款，名额已为您保留。请在集合地点向导游出示预订码。',
      weather: '堪察加天气多变：如行程改期或取消，我们会立即通知您并全额退款。',
      button: '查看电子票',
      sms: 'KamHub：预订 {code} 已确认。{tour}，{when}，{seats}。电子票：{url}',
      'push.title': '预订已确认',
      'push.body': '{tour}，{when}。预订码：{code}',
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
    party: { adult: 2, child: 1 },
    total: { amount: 3_250_000, currency: 'RUB' },
    confirmationCode: 'K7M2QX9P',
    ticketUrl: 'https://kamhub.ru/t/K7M2QX9P',
  },
  render(v, { tr, money, dateTime, party, sms }) {
    const code = v.confirmationCode
    return {
      email: {
        subject: tr.t('subject', { tour: v.tour.title }),
        preheader: `${v.tour.title} — ${dateTime(v.departure.startsAt, v.departure.timezone, 'short')}`,
        heading: tr.t('heading'),
        blocks: [
          { type: 'paragraph', text: tr.t('greeting', { name: v.travellerName }) },
          { type: 'paragraph', text: tr.t('intro') },
          {
            type: 'facts',
            rows: [
              { label: tr.t('label.code'), value: code },
              { label: tr.t('label.tour'), value: v.tour.title },
              { label: tr.t('label.departure'), value: dateTime(v.departure.startsAt, v.departure.timezone) },
              { label: tr.t('label.meetingPoint'), value: v.departure.meetingPoint },
              { label: tr.t('label.party'), value: party(v.party) },
              { label: tr.t('label.totalPaid'), value: money(v.total) },
            ],
          },
          { type: 'button', label: tr.t('button'), url: v.ticketUrl },
          { type: 'paragraph', text: tr.t('weather') },
        ],
        footer: tr.t('footer.traveller'),
      },
      sms: sms(
        (f) => tr.t('sms', { code, tour: f.tour, when: dateTime(v.departure.startsAt, v.departure.timezone, 'short'), seats: tr.plural('seats', seatsOf(v.party)), url: v.ticketUrl }),
        { tour: { text: v.tour.title, min: 20 } },
      ),
      push: {
        title: tr.t('push.title'),
        body: tr.t('push.body', { tour: v.tour.title, when: dateTime(v.departure.startsAt, v.departure.timezone, 'short'), code }),
        data: { confirmationCode: code, url: v.ticketUrl },
      },
    }
  },
})
