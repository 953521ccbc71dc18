/**
 * The zod pieces template variables are made of. Templates receive raw facts (an instant, a zone, minor units, a
 * party) and format them per recipient, so one event renders the same way in every language. Links must be
 * http(s): a `javascript:` URL in a button would survive HTML escaping.
 */
import { z } from 'zod'
import { isTimeZone } from './format.ts'

export const text = (max: number) => z.string().trim().min(1).max(max)

export const moneySchema = z.object({
  amount: z.number().int().nonnegative().refine(Number.isSafeInteger, 'a safe integer of minor units'),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as RUB'),
})

export const instantSchema = z.iso.datetime({ offset: true })
export const timeZoneSchema = z.string().refine(isTimeZone, 'an IANA time zone such as Asia/Kamchatka')
export const linkSchema = z.url({ protocol: /^https?$/, error: 'an http(s) URL' })
export const confirmationCodeSchema = z.string().regex(/^[A-Z0-9]{4,16}$/, 'a confirmation code such as K7M2QX9P')
export const phoneSchema = z.string().trim().regex(/^\+?[0-9 ()-]{5,30}$/, 'a phone number such as +7 914 123-45-67')

const headCount = z.number().int().min(0).max(100).optional()
export const partySchema = z
  .object({ adult: headCount, child: headCount, senior: headCount, infant: headCount })
  .strict()
  .refine((p) => Object.values(p).some((n) => (n ?? 0) > 0), 'at least one traveller')

export const tourSchema = z.object({ title: text(300) })

/** When a departure starts (an instant) and the zone it is shown in (the tour's, e.g. Asia/Kamchatka). */
export const departureSchema = z.object({ startsAt: instantSchema, timezone: timeZoneSchema })
export const departureWithMeetingPointSchema = departureSchema.extend({ meetingPoint: text(300) })

export const personNameSchema = text(200)
