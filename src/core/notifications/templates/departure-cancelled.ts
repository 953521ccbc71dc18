/**
 * departure_cancelled (critical): the departure will not run — weather, volcanic activity, the operator — and the
 * traveller gets everything back without doing anything. The SMS states the cancellation, the reason and the
 * refund before anything else, so a truncated preview still says what matters.
 */
import { z } from 'zod'
import { defineTemplate } from './template.ts'
import { confirmationCodeSchema, departureSchema, linkSchema, moneySchema, personNameSchema, text, tourSchema } from './variables.ts'

/** The booking pillar's reasons (DEPARTURE_CANCEL_REASONS and the system's too_few_participants); core cannot import a pillar. */
export const CANCEL_REASONS = ['weather', 'volcanic_activity', 'operational', 'other', 'too_few_participants'] as const

export const departureCancelled = defineTemplate({
  priority: 'critical',
  schema: z.object({
    travellerName: personNameSchema,
    tour: tourSchema,
    departure: departureSchema,
    reason: z.enum(CANCEL_REASONS),
    /** The operator's own words, shown as a quote. */
    note: text(500).optional(),
    refund: moneySchema,
    confirmationCode: confirmationCodeSchema,
    rebookUrl: linkSchema.optional(),
  }),
  messages: {
    ru: {
      subject: 'Выезд отменён: {tour}, {date}',
      heading: 'Выезд отменён',
      notice: 'Выезд, назначенный на {when}, не состоится.',
      'reason.weather': 'Причина — неблагоприятная погода. Безопасность группы важнее расписания.',
      'reason.volcanic_activity': 'Причина — вулканическая активность: маршрут закрыт по соображениям безопасности.',
      'reason.operational': 'Причина — организационные обстоятельства у организатора тура.',
      'reason.too_few_participants': 'Причина — не набралось минимальное число участников.',
      'reason.other': 'Организатор тура был вынужден отменить выезд.',
      'short.weather': 'погода',
      'short.volcanic_activity': 'вулканическая активность',
      'short.operational': 'организационные причины',
      'short.too_few_participants': 'мало участников',
      'short.other': 'решение организатора',
      'label.note': 'Комментарий организатора',
      refund: 'Мы вернём полную стоимость — {amount} — тем же способом, которым вы платили. Ничего делать не нужно.',
      button: 'Выбрать другую дату',
      sms: 'KamHub: выезд «{tour}» {when} ОТМЕНЁН ({reason}). Полный возврат {amount}.',
      'push.title': 'Выезд отменён: {reason}',
      'push.body': '«{tour}», {when}. Полный возврат {amount}.',
    },
    en: {
      subject: 'Departure cancelled: {tour}, {date}',
      heading: 'Departure cancelled',
      notice: 'The departure on {when} will not take place.',
      'reason.weather': 'The reason is bad weather. The safety of the group comes before the schedule.',
      'reason.volcanic_activity': 'The reason is volcanic activity: the route is closed for safety.',
      'reason.operational': "The reason is operational circumstances on the operator's side.",
      'reason.too_few_participants': 'The reason is that too few travellers signed up.',
      'reason.other': 'The tour operator had to cancel the departure.',
      'short.weather': 'weather',
      'short.volcanic_activity': 'volcanic activity',
      'short.operational': 'operational reasons',
      'short.too_few_participants': 'too few travellers',
      'short.other': "operator's decision",
      'label.note': 'Note from the operator',
      refund: 'You get a full refund of {amount} to the payment method you used. You do not need to do anything.',
      button: 'Choose another date',
      sms: 'KamHub: CANCELLED ({reason}): {tour}, {when}. Full refund of {amount}.',
      'push.title': 'Departure cancelled: {reason}',
      'push.body': '{tour}, {when}. Full refund of {amount}.',
    },
    zh: {
      subject: '行程已取消：{tour}，{date}',
      heading: '行程已取消',
      notice: '{when} 的行程将不会出发。',
      'reason.weather': '原因：天气恶劣。团队安全优先于行程安排。',
      'reason.volcanic_activity': '原因：火山活动。出于安全考虑，路线已关闭。',
      'reason.operational': '原因：运营方的组织安排问题。',
      'reason.too_few_participants': '原因：报名人数未达到最低要求。',
      'reason.other': '旅游运营商不得不取消此次行程。',
      'short.weather': '天气原因',
      'short.volcanic_activity': '火山活动',
      'short.operational': '运营原因',
      'short.too_few_participants': '人数不足',
      'short.other': '运营商决定',
      'label.note': '运营商备注',
      refund: '我们将全额退款 {amount}，原路退回至您的付款方式，您无需进行任何操作。',
      button: '选择其他日期',
      sms: 'KamHub：行程已取消（{reason}）：{tour}，{when}。将全额退款 {amount}，无需操作。',
      'push.title': '行程已取消：{reason}',
      'push.body': '{tour}，{when}。将全额退款 {amount}。',
    },
  },
  sample: {
    travellerName: 'Анна Смирнова',
    tour: { title: 'Восхождение на Авачинский вулкан' },
    departure: { startsAt: '2026-07-14T20:00:00.000Z', timezone: 'Asia/Kamchatka' },
    reason: 'volcanic_activity',
    note: 'КВЕРТ повысила код авиационной опасности до оранжевого, подход к кратеру закрыт.',
    refund: { amount: 3_250_000, currency: 'RUB' },
    confirmationCode: 'K7M2QX9P',
    rebookUrl: 'https://kamhub.ru/tours/avachinsky',
  },
  render(v, { tr, money, dateTime, sms }) {
    const { startsAt, timezone } = v.departure
    const amount = money(v.refund)
    const short = tr.t(`short.${v.reason}`)
    const when = dateTime(startsAt, timezone, 'short')
    return {
      email: {
        subject: tr.t('subject', { tour: v.tour.title, date: dateTime(startsAt, timezone, 'date') }),
        preheader: tr.t('refund', { amount }),
        heading: tr.t('heading'),
        blocks: [
          { type: 'paragraph', text: tr.t('greeting', { name: v.travellerName }) },
          { type: 'notice', tone: 'critical', text: tr.t('notice', { when: dateTime(startsAt, timezone) }) },
          { type: 'paragraph', text: tr.t(`reason.${v.reason}`) },
          {
            type: 'facts',
            rows: [
              { label: tr.t('label.tour'), value: v.tour.title },
              { label: tr.t('label.departure'), value: dateTime(startsAt, timezone) },
              { label: tr.t('label.code'), value: v.confirmationCode },
              ...(v.note ? [{ label: tr.t('label.note'), value: v.note }] : []),
            ],
          },
          { type: 'paragraph', text: tr.t('refund', { amount }) },
          ...(v.rebookUrl ? [{ type: 'button' as const, label: tr.t('button'), url: v.rebookUrl }] : []),
        ],
        footer: tr.t('footer.traveller'),
      },
      sms: sms((f) => tr.t('sms', { reason: short, tour: f.tour, when, amount }), { tour: { text: v.tour.title, min: 16 } }),
      push: {
        title: tr.t('push.title', { reason: short }),
        body: tr.t('push.body', { tour: v.tour.title, when, amount }),
        data: { confirmationCode: v.confirmationCode, reason: v.reason, ...(v.rebookUrl ? { url: v.rebookUrl } : {}) },
      },
    }
  },
})
