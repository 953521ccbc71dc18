/** refund_issued: the provider accepted a refund — how much, for which booking, and where the money goes. */
import { z } from 'zod'
import { defineTemplate } from './template.ts'
import { confirmationCodeSchema, moneySchema, personNameSchema, tourSchema } from './variables.ts'

export const refundIssued = defineTemplate({
  priority: 'normal',
  schema: z.object({
    travellerName: personNameSchema,
    tour: tourSchema,
    confirmationCode: confirmationCodeSchema,
    amount: moneySchema.refine((m) => m.amount > 0, 'a refund of more than zero'),
    cardLast4: z.string().regex(/^\d{4}$/, 'the last four digits of a card').optional(),
  }),
  messages: {
    ru: {
      subject: 'Возврат {amount} оформлен',
      heading: 'Мы вернули деньги',
      intro: 'Мы оформили возврат по бронированию {code} («{tour}»).',
      card: 'Деньги вернутся на карту •••• {last4}.',
      timing: 'Срок зачисления зависит от банка: обычно несколько рабочих дней.',
      'label.amount': 'Сумма возврата',
      sms: 'KamHub: возврат {amount} по брони {code} оформлен. Срок зачисления зависит от банка.',
      'push.title': 'Возврат оформлен',
      'push.body': '{amount} по бронированию {code} («{tour}»)',
    },
    en: {
      subject: 'Refund of {amount} issued',
      heading: 'Your refund is on its way',
      intro: 'We have issued a refund for booking {code} ({tour}).',
      card: 'The money goes back to the card ending {last4}.',
      timing: 'How soon it arrives depends on your bank, usually a few working days.',
      'label.amount': 'Refund',
      sms: 'KamHub: refund of {amount} for booking {code} issued. Timing depends on your bank.',
      'push.title': 'Refund issued',
      'push.body': '{amount} for booking {code} ({tour})',
    },
    zh: {
      subject: '已办理退款 {amount}',
      heading: '退款已办理',
      intro: '我们已为预订 {code}（{tour}）办理退款。',
      card: '款项将退回尾号为 {last4} 的银行卡。',
      timing: '到账时间取决于您的银行，通常为几个工作日。',
      'label.amount': '退款金额',
      sms: 'KamHub：预订 {code} 的退款 {amount} 已办理，到账时间取决于您的银行。',
      'push.title': '退款已办理',
      'push.body': '预订 {code}（{tour}）退款 {amount}',
    },
  },
  sample: {
    travellerName: 'Мария Петрова',
    tour: { title: 'Мутновский и Горелый: два вулкана за день' },
    confirmationCode: 'HB6Z3KQA',
    amount: { amount: 1_425_000, currency: 'RUB' },
    cardLast4: '4242',
  },
  render(v, { tr, money, sms }) {
    const amount = money(v.amount)
    const code = v.confirmationCode
    return {
      email: {
        subject: tr.t('subject', { amount }),
        heading: tr.t('heading'),
        blocks: [
          { type: 'paragraph', text: tr.t('greeting', { name: v.travellerName }) },
          { type: 'paragraph', text: tr.t('intro', { code, tour: v.tour.title }) },
          {
            type: 'facts',
            rows: [
              { label: tr.t('label.amount'), value: amount },
              { label: tr.t('label.code'), value: code },
            ],
          },
          { type: 'paragraph', text: [...(v.cardLast4 ? [tr.t('card', { last4: v.cardLast4 })] : []), tr.t('timing')].join(' ') },
        ],
        footer: tr.t('footer.traveller'),
      },
      // No title in the SMS: nothing elastic, its length is set by the catalog (the budget still applies).
      sms: sms(() => tr.t('sms', { amount, code }), {}),
      push: {
        title: tr.t('push.title'),
        body: tr.t('push.body', { amount, code, tour: v.tour.title }),
        data: { confirmationCode: code },
      },
    }
  },
})
