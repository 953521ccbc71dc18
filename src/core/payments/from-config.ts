/**
 * Builds the payment router from config: every provider whose credentials are set, or the sandbox when none are
 * (refused in production unless ALLOW_DEV_ADAPTERS, like the other dev adapters). Half-configured providers (a key
 * without its webhook secret) stop start-up naming the missing variable, rather than failing at the first webhook.
 */
import { ConfigError } from '../config/schema.ts'
import { cloudPaymentsProvider } from './cloudpayments.ts'
import type { PaymentsConfig } from './config.ts'
import type { FetchLike } from './http.ts'
import type { PaymentProvider } from './provider.ts'
import { paymentRouter, type PaymentRouter, type PaymentRouterOptions } from './router.ts'
import { SANDBOX_IS_DEV_ONLY, sandboxProvider, type SandboxProvider } from './sandbox.ts'
import { stripeProvider } from './stripe.ts'
import { yooKassaProvider } from './yookassa.ts'

export interface PaymentsEnvironment extends PaymentsConfig {
  production: boolean
  ALLOW_DEV_ADAPTERS: boolean
  PUBLIC_URL?: string | undefined
  PORT: number
}

export interface PaymentsFromConfig {
  router: PaymentRouter
  /** Present when the sandbox was built: the sandbox route calls approve/decline on it. */
  sandbox?: SandboxProvider
}

export function paymentsFromConfig(
  config: PaymentsEnvironment,
  deps: { fetch?: FetchLike; onFailover?: PaymentRouterOptions['onFailover']; onSandboxDeliveryError?: (error: Error) => void } = {},
): PaymentsFromConfig {
  const problems: string[] = []
  const pair = (a: string, aSet: unknown, b: string, bSet: unknown) => {
    if (Boolean(aSet) !== Boolean(bSet)) problems.push(`  ${aSet ? b : a}: ${a} and ${b} go together`)
    return Boolean(aSet && bSet)
  }
  const providers: PaymentProvider[] = []
  const timeoutMs = config.PAYMENTS_TIMEOUT_MS

  if (pair('STRIPE_SECRET_KEY', config.STRIPE_SECRET_KEY, 'STRIPE_WEBHOOK_SECRET', config.STRIPE_WEBHOOK_SECRET)) {
    providers.push(
      stripeProvider({
        secretKey: config.STRIPE_SECRET_KEY!,
        webhookSecret: config.STRIPE_WEBHOOK_SECRET!,
        maxNetworkRetries: config.STRIPE_MAX_NETWORK_RETRIES,
        timeoutMs,
        ...(config.STRIPE_CONNECT_WEBHOOK_SECRET ? { additionalWebhookSecrets: config.STRIPE_CONNECT_WEBHOOK_SECRET } : {}),
        ...(config.STRIPE_PUBLISHABLE_KEY ? { publishableKey: config.STRIPE_PUBLISHABLE_KEY } : {}),
        ...(config.STRIPE_API_HOST ? { host: config.STRIPE_API_HOST } : {}),
        ...(config.STRIPE_API_PORT ? { port: config.STRIPE_API_PORT } : {}),
        ...(config.STRIPE_API_PROTOCOL ? { protocol: config.STRIPE_API_PROTOCOL } : {}),
        ...(config.STRIPE_CURRENCIES ? { currencies: config.STRIPE_CURRENCIES } : {}),
        ...(deps.fetch ? { fetch: deps.fetch as typeof fetch } : {}),
      }),
    )
  }
  if (pair('CLOUDPAYMENTS_PUBLIC_ID', config.CLOUDPAYMENTS_PUBLIC_ID, 'CLOUDPAYMENTS_API_SECRET', config.CLOUDPAYMENTS_API_SECRET)) {
    providers.push(
      cloudPaymentsProvider({
        publicId: config.CLOUDPAYMENTS_PUBLIC_ID!,
        apiSecret: config.CLOUDPAYMENTS_API_SECRET!,
        baseUrl: config.CLOUDPAYMENTS_BASE_URL,
        timeoutMs,
        ...(config.CLOUDPAYMENTS_CURRENCIES ? { currencies: config.CLOUDPAYMENTS_CURRENCIES } : {}),
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      }),
    )
  }
  if (pair('YOOKASSA_SHOP_ID', config.YOOKASSA_SHOP_ID, 'YOOKASSA_SECRET_KEY', config.YOOKASSA_SECRET_KEY)) {
    try {
      providers.push(
        yooKassaProvider({
          shopId: config.YOOKASSA_SHOP_ID!,
          secretKey: config.YOOKASSA_SECRET_KEY!,
          baseUrl: config.YOOKASSA_BASE_URL,
          trustedIps: config.YOOKASSA_TRUSTED_IPS,
          timeoutMs,
          ...(config.YOOKASSA_CURRENCIES ? { currencies: config.YOOKASSA_CURRENCIES } : {}),
          ...(deps.fetch ? { fetch: deps.fetch } : {}),
        }),
      )
    } catch (error) {
      problems.push(`  YOOKASSA_TRUSTED_IPS: ${(error as Error).message}`)
    }
  }
  if (problems.length) throw new ConfigError(`Invalid payments configuration:\n${problems.join('\n')}`)

  let sandbox: SandboxProvider | undefined
  if (providers.length === 0) {
    if (SANDBOX_IS_DEV_ONLY && config.production && !config.ALLOW_DEV_ADAPTERS) {
      throw new ConfigError(
        'Sandbox payments are a development adapter and are refused in production: set STRIPE_*, CLOUDPAYMENTS_* or YOOKASSA_* (or ALLOW_DEV_ADAPTERS=true)',
      )
    }
    const base = (config.PUBLIC_URL ?? `http://127.0.0.1:${config.PORT}`).replace(/\/$/, '')
    sandbox = sandboxProvider({
      signingSecret: config.PAYMENTS_SANDBOX_SECRET,
      callbackUrl: config.PAYMENTS_SANDBOX_CALLBACK_URL ?? `${base}/webhooks/sandbox`,
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
      ...(deps.onSandboxDeliveryError ? { onDeliveryError: deps.onSandboxDeliveryError } : {}),
    })
    providers.push(sandbox)
  }
  const router = paymentRouter(providers, {
    ...(config.PAYMENTS_PREFERENCES ? { preferences: config.PAYMENTS_PREFERENCES } : {}),
    ...(deps.onFailover ? { onFailover: deps.onFailover } : {}),
  })
  return { router, ...(sandbox ? { sandbox } : {}) }
}
