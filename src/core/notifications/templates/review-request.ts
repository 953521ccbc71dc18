/** review_request: after the departure took place, one friendly ask for a review with a direct link. */
import { z } from 'zod'
import { defineTemplate } from './template.ts'
import { departureSchema, linkSchema, personNameSchema, tourSchema } from './variables.ts'

export const reviewRequest = defineTemplate({
  priority: 'normal',
  schema: z.object({
    travellerName: personNameSchema,
    tour: tourSchema,
    departure: departureSchema,
    reviewUrl: linkSchema,
  }),
  messages: {
    ru: {
      subject: 'Как прошёл тур «{tour}»?',
      heading: 'Поделитесь впечатлениями',
      intro: 'Спасибо, что путешествовали с KamHub! {date} вы были на туре «{tour}».',
      ask: 'Ваш отзыв поможет другим путешественникам выбрать тур, а организатору — стать лучше. Это займёт пару минут.',
      button: 'Оставить отзыв',
      sms: 'KamHub: как прошёл тур «{tour}»? Оставьте отзыв: {url}',
      'push.title': 'Как прошёл тур?',
      'push.body': 'Оцените «{tour}» — это займёт пару минут.',
    },
    en: {
      subject: 'How was {tour}?',
      heading: 'Tell us how it went',
      intro: 'Thank you for travelling with KamHub! On {date} you joined {tour}.',
      ask: 'Your review helps other travellers choose, and helps the operator get better. It takes a couple of minutes.',
      button: 'Write a review',
      sms: 'KamHub: how was {tour}? Leave a review: {url}',
      'push.title': 'How was your tour?',
      'push.body': 'Rate {tour}: it takes a couple of minutes.',
    },
    zh: {
      subject: '{tour} 体验如何？',
      heading: '分享您的体验',
      intro: '感谢您选择 KamHub！您于 {date} 参加了 {tour}。',
      ask: '您的评价能帮助其他游客做出选择，也能帮助运营商改进服务，只需几分钟。',
      button: '撰写评价',
      sms: 'KamHub：{tour} 体验如何？欢迎评价：{url}',
      'push.title': '行程体验如何？',
      'push.body': '为 {tour} 评分，只需几分钟。',
    },
  },
  sample: {
    travellerName: 'Li Wei',
    tour: { title: 'Сплав по реке Быстрой и рыбалка на нерку' },
    departure: { startsAt: '2026-07-27T21:00:00.000Z', timezone: 'Asia/Kamchatka' },
    reviewUrl: 'https://kamhub.ru/r/HB6Z3KQA',
  },
  render(v, { tr, dateTime, sms }) {
    const date = dateTime(v.departure.startsAt, v.departure.timezone, 'date')
    return {
      email: {
        subject: tr.t('subject', { tour: v.tour.title }),
        heading: tr.t('heading'),
        blocks: [
          { type: 'paragraph', text: tr.t('greeting', { name: v.travellerName }) },
          { type: 'paragraph', text: tr.t('intro', { date, tour: v.tour.title }) },
          { type: 'paragraph', text: tr.t('ask') },
          { type: 'button', label: tr.t('button'), url: v.reviewUrl },
        ],
        footer: tr.t('footer.traveller'),
      },
      sms: sms((f) => tr.t('sms', { tour: f.tour, url: v.reviewUrl }), { tour: { text: v.tour.title, min: 20 } }),
      push: {
        title: tr.t('push.title'),
        body: tr.t('push.body', { tour: v.tour.title }),
        data: { url: v.reviewUrl },
      },
    }
  },
})
