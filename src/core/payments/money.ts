/**
 * Integer minor units ↔ the decimal strings providers speak ("100.00" RUB, "1000" JPY), per the ISO 4217 exponent
 * of the currency. Pure string arithmetic: no value ever passes through a float, so 0.1 + 0.2 problems cannot
 * reach a charge. Unknown currencies use exponent 2 (ISO's default for most codes).
 */
import { DomainError } from '../errors.ts'
import type { Money } from './provider.ts'

/** ISO 4217 currencies whose minor unit is not 1/100. */
const EXPONENTS: Record<string, number> = {
  // 0 decimals
  BIF: 0, CLP: 0, DJF: 0, GNF: 0, ISK: 0, JPY: 0, KMF: 0, KRW: 0, PYG: 0, RWF: 0, UGX: 0, UYI: 0, VND: 0,
  VUV: 0, XAF: 0, XOF: 0, XPF: 0,
  // 3 decimals
  BHD: 3, IQD: 3, JOD: 3, KWD: 3, LYD: 3, OMR: 3, TND: 3,
  // 4 decimals
  CLF: 4, UYW: 4,
}

export function currencyExponent(currency: string): number {
  const code = currency.toUpperCase()
  if (!/^[A-Z]{3}$/.test(code)) throw new DomainError('invalid', `Not an ISO 4217 currency code: ${currency}`)
  return EXPONENTS[code] ?? 2
}

/** 12345 RUB → "123.45"; 1000 JPY → "1000"; -5 USD → "-0.05". */
export function toDecimalString(money: Money): string {
  const { amount, currency } = money
  if (!Number.isSafeInteger(amount)) throw new DomainError('invalid', `Amount must be an integer of minor units: ${amount}`)
  const exponent = currencyExponent(currency)
  const negative = amount < 0
  const digits = String(Math.abs(amount))
  if (exponent === 0) return (negative ? '-' : '') + digits
  const padded = digits.padStart(exponent + 1, '0')
  const whole = padded.slice(0, -exponent)
  const fraction = padded.slice(-exponent)
  return `${negative ? '-' : ''}${whole}.${fraction}`
}

/**
 * "123.45" RUB → 12345. Accepts the decimal numbers providers put in JSON (100.5 → "100.5") as long as they print
 * without an exponent. Extra fraction digits are accepted only when they are zeros ("100.500" RUB); anything that
 * would need rounding is rejected rather than silently rounded.
 */
export function fromDecimalString(value: string | number, currency: string): number {
  const text = typeof value === 'number' ? String(value) : value.trim()
  const match = /^(-)?(\d+)(?:\.(\d*))?$/.exec(text)
  if (!match) throw new DomainError('invalid', `Not a decimal amount: ${text}`)
  const [, sign, whole = '0', fraction = ''] = match
  const exponent = currencyExponent(currency)
  if (/[^0]/.test(fraction.slice(exponent))) {
    throw new DomainError('invalid', `${text} has more decimals than ${currency.toUpperCase()} allows (${exponent})`)
  }
  const minor = (whole + fraction.slice(0, exponent).padEnd(exponent, '0')).replace(/^0+(?=\d)/, '')
  const amount = Number(minor)
  if (!Number.isSafeInteger(amount)) throw new DomainError('invalid', `Amount out of range: ${text}`)
  return sign && amount !== 0 ? -amount : amount
}

/** Money from a provider's decimal value and currency code. */
export function moneyFromDecimal(value: string | number, currency: string): Money {
  return { amount: fromDecimalString(value, currency), currency: currency.toUpperCase() }
}
