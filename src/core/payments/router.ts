/**
 * Chooses which configured provider takes a payment, and fails over when one is down. The order for a currency is
 * its preference list (default: RUB → YooKassa then CloudPayments, everything else → Stripe), then any other
 * configured provider that supports the currency. The sandbox is chosen only when it is the sole provider
 * configured, or when a preference names it.
 *
 * Failover happens only on an outage (DomainError 'unavailable'/'timeout', or a raw network error): a decline or a
 * bad request is an answer, and trying elsewhere would charge a traveller the first provider refused. An outage
 * may be ambiguous (the first provider may have created a hold and failed to say so), but such a hold is never
 * confirmed — the traveller only sees the winner's client action — so it lapses on its own without moving money.
 */
import { DomainError } from '../errors.ts'
import { isProviderOutage } from './http.ts'
import type { CreateHoldInput, HoldCreated, PaymentProvider, ProviderName } from './provider.ts'

/** Currency code (or '*' for any other) → providers in order of preference (PAYMENTS_PREFERENCES). */
export type ProviderPreferences = Record<string, ProviderName[]>

export const DEFAULT_PREFERENCES: ProviderPreferences = {
  RUB: ['yookassa', 'cloudpayments'],
  '*': ['stripe'],
}

export interface PaymentRouterOptions {
  /** Merged over DEFAULT_PREFERENCES per currency key. */
  preferences?: ProviderPreferences
  /** Called for each provider skipped because of an outage (log it, count it). */
  onFailover?: (provider: ProviderName, error: unknown) => void
}

export interface HoldWon {
  provider: ProviderName
  hold: HoldCreated
  /** Providers tried first and found down, in order. */
  skipped: ProviderName[]
}

export interface PaymentRouter {
  readonly providers: readonly PaymentProvider[]
  /** The configured provider of that name (capture/refund/webhooks go back to the provider that took the payment). */
  get(name: ProviderName): PaymentProvider | undefined
  /** Providers able to take this currency, best first; empty when none is. */
  providersFor(currency: string): PaymentProvider[]
  createHoldWithFailover(input: CreateHoldInput): Promise<HoldWon>
}

export function paymentRouter(providers: PaymentProvider[], options: PaymentRouterOptions = {}): PaymentRouter {
  const preferences: ProviderPreferences = { ...DEFAULT_PREFERENCES }
  for (const [currency, names] of Object.entries(options.preferences ?? {})) preferences[currency.toUpperCase()] = names
  const byName = new Map<ProviderName, PaymentProvider>()
  for (const provider of providers) {
    if (byName.has(provider.name)) throw new Error(`Payment provider ${provider.name} is configured twice`)
    byName.set(provider.name, provider)
  }
  const onlySandbox = providers.length === 1 && providers[0]!.name === 'sandbox'

  function providersFor(currency: string): PaymentProvider[] {
    const code = currency.toUpperCase()
    if (onlySandbox) return providers[0]!.supports(code) ? [providers[0]!] : []
    const preferred = (preferences[code] ?? preferences['*'] ?? []).flatMap((name) => byName.get(name) ?? [])
    const rest = providers.filter((p) => p.name !== 'sandbox' && !preferred.includes(p))
    return [...preferred, ...rest].filter((p) => p.supports(code))
  }

  return {
    providers,
    get: (name) => byName.get(name),
    providersFor,

    async createHoldWithFailover(input) {
      const candidates = providersFor(input.amount.currency)
      if (candidates.length === 0) {
        throw new DomainError('unprocessable', `No payment provider is configured for ${input.amount.currency.toUpperCase()}`)
      }
      const skipped: ProviderName[] = []
      let lastOutage: unknown
      for (const provider of candidates) {
        try {
          return { provider: provider.name, hold: await provider.createHold(input), skipped }
        } catch (error) {
          if (!isProviderOutage(error)) throw error
          skipped.push(provider.name)
          lastOutage = error
          options.onFailover?.(provider.name, error)
        }
      }
      throw lastOutage instanceof DomainError
        ? new DomainError('unavailable', `No payment provider could take the payment (${skipped.join(', ')} down)`)
        : lastOutage
    },
  }
}
