/**
 * The payment providers of this process, built once from config (src/core/payments/from-config.ts): every
 * provider whose credentials are set, or the sandbox when none are — refused in production unless
 * ALLOW_DEV_ADAPTERS. Also the payout lookup the ledger's payout run uses: an operator is paid by the provider
 * their payout method names, when that provider is configured here and can pay out.
 */
import type { Config } from '../../../core/config/schema.ts'
import type { Logger } from '../../../core/monitoring/logger.ts'
import type { FetchLike } from '../../../core/payments/http.ts'
import { paymentsFromConfig, type PaymentsFromConfig } from '../../../core/payments/from-config.ts'
import type { PaymentProvider, ProviderName } from '../../../core/payments/provider.ts'

export function paymentsRegistry(config: Config, options: { logger?: Logger; fetch?: FetchLike } = {}): PaymentsFromConfig {
  const { logger } = options
  return paymentsFromConfig(config, {
    ...(options.fetch ? { fetch: options.fetch } : {}),
    onFailover: (provider, error) => logger?.warn({ provider, err: error }, 'payment provider unavailable; trying the next one'),
    onSandboxDeliveryError: (error) => logger?.warn({ err: error }, 'sandbox payment webhook was not delivered'),
  })
}

/** deps.payoutProviderFor: the provider named by the operator's payout method (the payout run passes it). */
export function payoutProviderLookup(payments: PaymentsFromConfig) {
  return (_operatorId: string, currency: string, provider?: string): PaymentProvider | undefined => {
    const candidates = provider ? [payments.router.get(provider as ProviderName)] : payments.router.providersFor(currency)
    return candidates.find((p): p is PaymentProvider => Boolean(p?.payout && p.supports(currency)))
  }
}
