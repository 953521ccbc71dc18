import { describe, expect, it } from 'vitest'
import { ConfigError } from '../config/schema.ts'
import { paymentsConfigSchema } from './config.ts'
import { paymentsFromConfig, type PaymentsEnvironment } from './from-config.ts'

function environment(env: Record<string, string>, extra: Partial<PaymentsEnvironment> = {}): PaymentsEnvironment {
  return { ...paymentsConfigSchema.parse(env), production: false, ALLOW_DEV_ADAPTERS: false, PORT: 8787, ...extra }
}

describe('paymentsFromConfig', () => {
  it('with no provider credentials, development gets the sandbox for every currency, posting to /webhooks/sandbox', () => {
    const { router, sandbox } = paymentsFromConfig(environment({}, { PUBLIC_URL: 'https://dev.example' }))
    expect(sandbox).toBeDefined()
    expect(router.providersFor('RUB').map((p) => p.name)).toEqual(['sandbox'])
  })

  it('production refuses the sandbox unless ALLOW_DEV_ADAPTERS', () => {
    expect(() => paymentsFromConfig(environment({}, { production: true }))).toThrow(ConfigError)
    expect(paymentsFromConfig(environment({}, { production: true, ALLOW_DEV_ADAPTERS: true })).sandbox).toBeDefined()
  })

  it('builds every configured provider and routes RUB and USD by the defaults', () => {
    const { router, sandbox } = paymentsFromConfig(
      environment(
        {
          STRIPE_SECRET_KEY: 'sk_test_1',
          STRIPE_WEBHOOK_SECRET: 'whsec_1',
          CLOUDPAYMENTS_PUBLIC_ID: 'pk_1',
          CLOUDPAYMENTS_API_SECRET: 'secret',
          YOOKASSA_SHOP_ID: '1',
          YOOKASSA_SECRET_KEY: 'live_x',
        },
        { production: true },
      ),
    )
    expect(sandbox).toBeUndefined()
    expect(router.providersFor('RUB').map((p) => p.name)).toEqual(['yookassa', 'cloudpayments'])
    expect(router.providersFor('USD').map((p) => p.name)).toEqual(['stripe', 'cloudpayments'])
  })

  it('a half-configured provider stops start-up naming the missing variable, without echoing the secret', () => {
    const error = (() => {
      try {
        paymentsFromConfig(environment({ STRIPE_SECRET_KEY: 'sk_live_very_secret' }))
      } catch (e) {
        return e as Error
      }
    })()
    expect(error).toBeInstanceOf(ConfigError)
    expect(error!.message).toContain('STRIPE_WEBHOOK_SECRET')
    expect(error!.message).not.toContain('sk_live_very_secret')
  })

  it('PAYMENTS_PREFERENCES reorders providers; a malformed value is a config error', () => {
    const env = environment({
      CLOUDPAYMENTS_PUBLIC_ID: 'pk_1',
      CLOUDPAYMENTS_API_SECRET: 'secret',
      YOOKASSA_SHOP_ID: '1',
      YOOKASSA_SECRET_KEY: 'x',
      PAYMENTS_PREFERENCES: 'RUB=cloudpayments|yookassa',
    })
    expect(paymentsFromConfig(env).router.providersFor('RUB').map((p) => p.name)).toEqual(['cloudpayments', 'yookassa'])
    expect(paymentsConfigSchema.safeParse({ PAYMENTS_PREFERENCES: 'RUB=paypal' }).success).toBe(false)
    expect(paymentsConfigSchema.safeParse({ YOOKASSA_TRUSTED_IPS: '185.71.76.0/27, 2a02:5180::/32' }).data?.YOOKASSA_TRUSTED_IPS).toEqual([
      '185.71.76.0/27',
      '2a02:5180::/32',
    ])
  })
})
