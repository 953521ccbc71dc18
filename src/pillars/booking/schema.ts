/** Input contracts of the booking pillar; routes reuse them (adding OpenAPI names), so a request is validated once. */
import { z } from 'zod'

const headCount = z.number().int().min(0).max(100)

export const partySchema = z
  .object({ adult: headCount.optional(), child: headCount.optional(), infant: headCount.optional(), senior: headCount.optional() })
  .strict()
  .refine((p) => Object.values(p).some((n) => (n ?? 0) > 0), 'at least one traveller')

export const contactSchema = z.object({
  name: z.string().trim().min(1).max(200),
  email: z.email().max(254),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ()-]{5,30}$/, 'a phone number such as +7 914 123-45-67')
    .optional(),
})

export const holdInputSchema = z.object({
  departureId: z.uuid(),
  party: partySchema,
  contact: contactSchema,
  promoCode: z
    .string()
    .trim()
    .toUpperCase()
    .regex(/^[A-Z0-9][A-Z0-9_-]{2,39}$/, 'letters, digits, - and _')
    .optional(),
  /** Body weights in kg, one per traveller: required when the tour limits body weight (helicopters, some boats). */
  weightsKg: z.array(z.number().int().min(2).max(400)).max(400).optional(),
})
export type HoldInput = z.output<typeof holdInputSchema>

export const DEPARTURE_CANCEL_REASONS = ['weather', 'volcanic_activity', 'operational', 'other'] as const
/** The reasons the system uses on its own. */
export const SYSTEM_CANCEL_REASONS = ['too_few_participants'] as const
export type DepartureCancelReason = (typeof DEPARTURE_CANCEL_REASONS)[number] | (typeof SYSTEM_CANCEL_REASONS)[number]

export const departureCancelSchema = z.object({
  reason: z.enum(DEPARTURE_CANCEL_REASONS),
  note: z.string().trim().min(1).max(500).optional(),
})
export type DepartureCancelInput = z.output<typeof departureCancelSchema>

export const bookingCancelSchema = z.object({ reason: z.string().trim().min(1).max(500).optional() })

export const listQuerySchema = z.object({
  /** The last id of the previous page (ids are UUIDv7: creation order). */
  cursor: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
})
export type ListQuery = z.output<typeof listQuerySchema>
