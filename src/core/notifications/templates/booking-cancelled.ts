/** booking_cancelled: the traveller's booking is off — who cancelled it and, when money was taken, what comes back. */
import { z } from 'zod'
import { defineTemplate } from './template.ts'
import { confirmationCodeSchema, departureSchema, linkSchema, moneySchema, personNameSchema, text, tourSchema } from './variables.ts'

export const bookingCancelled = defineTemplate({
  priority: 'normal',
  schema: z.object({
    travellerName: personNameSchema,
    tour: tourSchema,
    departure: departureSchema,
    confirmationCode: confirmationCodeSchema,
    cancelledBy: z.enum(['traveller', 'operator', 'admin', 'system']),
    /** The money to return; absent or 0 when nothing was paid or nothing is due. */
    refund: moneySchema.optional(),
    reason: text(500).optional(),
    toursUrl: linkSchema.optional(),
  }),
  messages: {
    ru: {
      subject: 'Бронирование {code} отменено',
      heading: 'Бронирование отменено',
      'by.traveller': 'Мы отменили бронирование по вашей просьбе.',
      'by.operator': 'Организатор тура отменил ваше бронирование. Приносим извинения.',
      'by.admin': 'Служба поддержки KamHub отменила ваше бронирование.',
      'by.system': 'Бронирование отменено автоматически.',
      refund: 'Мы вернём {amount} тем же способом, которым вы платили; срок зачисления зависит от банка.',
      'label.reason': 'Причина',
      'label.refund': 'К возврату',
      button: 'Выбрать другой тур',
      sms: 'KamHub: бронь {code} («{tour}», {when}) отменена.',
      'sms.refund': ' Возврат {amount}.',
      'push.title': 'Бронирование {code} отменено',
      'push.body': '«{tour}», {when}.',
    },
    en: {
      subject: 'Booking {code} cancelled',
      heading: 'Booking cancelled',
      'by.traveller': 'We have cancelled your booking as you asked.',
      'by.operator': 'The tour operator has cancelled your booking. We are sorry.',
      'by.admin': 'KamHub support has cancelled your booking.',
      'by.system': 'Your booking was cancelled automatically.',
      refund: 'We will refund {amount} to the payment method you used; how soon it arrives depends on your bank.',
      'label.reason': 'Reason',
      'label.refund': 'Refund',
      button: 'Find another tour',
      sms: 'KamHub: booking {code} ({tour}, {when}) is cancelled.',
      'sms.refund': ' Refund: {amount}.',
      'push.title': 'Booking {code} cancelled',
      'push.body': '{tour}, {when}.',
    },
    zh: {
      subject: '预订 {code} 已取消',
      heading: '预订已取消',
      'by.traveller': '已按您的要求取消预订。',
      'by.operator': '旅游运营商已取消您的预订，我们深表歉意。',
      'by.admin': 'KamHub 客服已取消您的预订。',
      'by.system': '您的预订已被系统自动取消。',
      refund: '我们将把 {amount} 原路退回至您的付款方式，到账时间取决于您的银行。',
      'label.reason': '原因',
      'label.refund': '退款金额',
      button: '查找其他行程',
      sms: 'KamHub：预订 {code}（{tour}，{when}）已取消。',
      'sms.refund': '退款 {amount}。',
      'push.title': '预订 {code} 已取消',
      'push.body': '{tour}，{when}。',
    },
  },
  sample: {
    travellerName: 'Мария Петрова',
    tour: { title: 'Мутновский и Горелый: два вулкана за день' },
    departure: { startsAt: '2026-07-20T19:00:00.000Z', timezone: 'Asia/Kamchatka' },
    confirmationCode: 'HB6Z3KQA',
    cancelledBy: 'traveller',
    refund: { amount: 1_425_000, currency: 'RUB' },
    reason: 'Изменились планы',
    toursUrl: 'https://kamhub.ru/tours',
  },
  render(v, { tr, money, dateTime, sms }) {
    const { startsAt, timezone } = v.departure
    const code = v.confirmationCode
    const refund = v.refund && v.refund.amount > 0 ? v.refund : undefined
    const when = dateTime(startsAt, timezone, 'short')
    const refundSms = refund ? tr.t('sms.refund', { amount: money(refund) }) : ''
    return {
      email: {
        subject: tr.t('subject', { code }),
        heading: tr.t('heading'),
        blocks: [
          { type: 'paragraph', text: tr.t('greeting', { name: v.travellerName }) },
          { type: 'paragraph', text: tr.t(`by.${v.cancelledBy}`) },
          {
            type: 'facts',
            rows: [
              { label: tr.t('label.code'), value: code },
              { label: tr.t('label.tour'), value: v.tour.title },
              { label: tr.t('label.departure'), value: dateTime(startsAt, timezone) },
              ...(v.reason ? [{ label: tr.t('label.reason'), value: v.reason }] : []),
              ...(refund ? [{ label: tr.t('label.refund'), value: money(refund) }] : []),
            ],
          },
          ...(refund ? [{ type: 'paragraph' as const, text: tr.t('refund', { amount: money(refund) }) }] : []),
          ...(v.toursUrl ? [{ type: 'button' as const, label: tr.t('button'), url: v.toursUrl }] : []),
        ],
        footer: tr.t('footer.traveller'),
      },
      sms: sms((f) => tr.t('sms', { code, tour: f.tour, when }) + refundSms, { tour: { text: v.tour.title, min: 20 } }),
      push: {
        title: tr.t('push.title', { code }),
        body: tr.t('push.body', { tour: v.tour.title, when }) + refundSms,
        data: { confirmationCode: code },
      },
    }
  },
})
