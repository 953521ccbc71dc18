/**
 * The payment variables, as a zod shape to merge into the one config schema (`configSchema.extend(paymentsConfigShape)`)
 * and document in README. A provider is configured when its credentials are set; nothing set means the sandbox.
 */
import { z } from 'zod'
import type { ProviderName } from './provider.ts'
import { YOOKASSA_TRUSTED_IPS } from './yookassa.ts'

const csv = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
const providerName = z.enum(['stripe', 'cloudpayments', 'yookassa', 'sandbox'])

/** `RUB=yookassa|cloudpayments;USD=stripe;*=stripe` → `{ RUB: ['yookassa','cloudpayments'], USD: ['stripe'], '*': ['stripe'] }`. */
const preferences = z.string().transform((text, ctx) => {
  const out: Record<string, ProviderName[]> = {}
  for (const entry of text.split(';').map((s) => s.trim()).filter(Boolean)) {
    const [currency = '', list = ''] = entry.split('=').map((s) => s.trim())
    const names = list.split('|').map((s) => s.trim())
    const parsed = z.array(providerName).safeParse(names)
    if (!/^([A-Za-z]{3}|\*)$/.test(currency) || !parsed.success) {
      ctx.addIssue({ code: 'custom', message: `expected CUR=provider|provider;… but got "${entry}"` })
      return z.NEVER
    }
    out[currency.toUpperCase()] = parsed.data
  }
  return out
})

export const paymentsConfigShape = {
  STRIPE_SECRET_KEY: z.string().startsWith('sk_').optional(),
  STRIPE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
  /** The Connect endpoint's signing secret (payout.* events); comma-separate to add an old one during rotation. */
  STRIPE_CONNECT_WEBHOOK_SECRET: csv.optional(),
  STRIPE_PUBLISHABLE_KEY: z.string().startsWith('pk_').optional(),
  /** Point the SDK elsewhere (a local fake); default api.stripe.com:443 over https. */
  STRIPE_API_HOST: z.string().min(1).optional(),
  STRIPE_API_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
  STRIPE_MAX_NETWORK_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
  /** Default: every currency but RUB. */
  STRIPE_CURRENCIES: csv.optional(),
  CLOUDPAYMENTS_PUBLIC_ID: z.string().min(1).optional(),
  CLOUDPAYMENTS_API_SECRET: z.string().min(1).optional(),
  CLOUDPAYMENTS_BASE_URL: z.url().default('https://api.cloudpayments.ru'),
  /** Default RUB, USD, EUR, GBP, KZT, BYN, CNY. */
  CLOUDPAYMENTS_CURRENCIES: csv.optional(),
  YOOKASSA_SHOP_ID: z.string().min(1).optional(),
  YOOKASSA_SECRET_KEY: z.string().min(1).optional(),
  YOOKASSA_BASE_URL: z.url().default('https://api.yookassa.ru/v3'),
  /** Notification source ranges; default YooKassa's published list. */
  YOOKASSA_TRUSTED_IPS: csv.default([...YOOKASSA_TRUSTED_IPS]),
  /** Default RUB. */
  YOOKASSA_CURRENCIES: csv.optional(),
  /** Per-call timeout for the REST adapters and the Stripe SDK. */
  PAYMENTS_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(20_000),
  /** Provider order per currency; merged over RUB=yookassa|cloudpayments;*=stripe. */
  PAYMENTS_PREFERENCES: preferences.optional(),
  /** Signs the sandbox's webhooks to itself; a fixed dev value by default (the sandbox is dev-only anyway). */
  PAYMENTS_SANDBOX_SECRET: z.string().min(16).default('kamhub-sandbox-payments-dev-secret'),
  /** Where the sandbox posts its webhooks; default `${PUBLIC_URL or http://127.0.0.1:PORT}/webhooks/sandbox`. */
  PAYMENTS_SANDBOX_CALLBACK_URL: z.url().optional(),
}

export const paymentsConfigSchema = z.object(paymentsConfigShape)
export type PaymentsConfig = z.output<typeof paymentsConfigSchema>
