import { describe, expect, it } from 'vitest'
import { DomainError } from '../errors.ts'
import { currencyExponent, fromDecimalString, toDecimalString } from './money.ts'

describe('money: minor units ↔ provider decimals', () => {
  it('uses the ISO 4217 exponent of each currency', () => {
    expect([currencyExponent('RUB'), currencyExponent('usd'), currencyExponent('EUR')]).toEqual([2, 2, 2])
    expect([currencyExponent('JPY'), currencyExponent('KRW')]).toEqual([0, 0])
    expect([currencyExponent('KWD'), currencyExponent('CLF')]).toEqual([3, 4])
  })

  it('formats minor units with the right number of decimals, including zero and sub-unit amounts', () => {
    expect(toDecimalString({ amount: 12345, currency: 'RUB' })).toBe('123.45')
    expect(toDecimalString({ amount: 0, currency: 'RUB' })).toBe('0.00')
    expect(toDecimalString({ amount: 1, currency: 'USD' })).toBe('0.01')
    expect(toDecimalString({ amount: 100, currency: 'EUR' })).toBe('1.00')
    expect(toDecimalString({ amount: 1000, currency: 'JPY' })).toBe('1000')
    expect(toDecimalString({ amount: 1, currency: 'KWD' })).toBe('0.001')
    expect(toDecimalString({ amount: -5, currency: 'USD' })).toBe('-0.05')
    expect(toDecimalString({ amount: Number.MAX_SAFE_INTEGER, currency: 'RUB' })).toBe('90071992547409.91')
  })

  it('parses decimals exactly where a float would drift (0.29 × 100 = 28.999…)', () => {
    expect(0.29 * 100).not.toBe(29) // the trap this module exists for
    expect(fromDecimalString('0.29', 'RUB')).toBe(29)
    expect(fromDecimalString('1.005', 'KWD')).toBe(1005)
    expect(fromDecimalString('19.99', 'USD')).toBe(1999)
    expect(fromDecimalString('100', 'RUB')).toBe(10000)
    expect(fromDecimalString('100.5', 'RUB')).toBe(10050)
    expect(fromDecimalString('100.', 'RUB')).toBe(10000)
    expect(fromDecimalString(' 2.00 ', 'RUB')).toBe(200)
    expect(fromDecimalString('1000', 'JPY')).toBe(1000)
    expect(fromDecimalString('-0.05', 'USD')).toBe(-5)
    expect(fromDecimalString('-0.00', 'USD')).toBe(0)
  })

  it('accepts the JSON numbers CloudPayments answers with', () => {
    expect(fromDecimalString(100.5, 'RUB')).toBe(10050)
    expect(fromDecimalString(1234567.89, 'RUB')).toBe(123456789)
    expect(fromDecimalString(0.3, 'RUB')).toBe(30)
  })

  it('round-trips every amount it formats', () => {
    for (const amount of [0, 1, 9, 10, 99, 100, 101, 12345, 99999999, Number.MAX_SAFE_INTEGER]) {
      for (const currency of ['RUB', 'JPY', 'KWD', 'CLF']) {
        expect(fromDecimalString(toDecimalString({ amount, currency }), currency)).toBe(amount)
      }
    }
  })

  it('refuses what would need rounding, garbage, non-integers and unsafe magnitudes', () => {
    const bad: Array<() => unknown> = [
      () => fromDecimalString('1.001', 'RUB'),
      () => fromDecimalString('1.5', 'JPY'),
      () => fromDecimalString('1e3', 'RUB'),
      () => fromDecimalString(1e21, 'RUB'),
      () => fromDecimalString('', 'RUB'),
      () => fromDecimalString('1,00', 'RUB'),
      () => fromDecimalString('99999999999999999', 'RUB'),
      () => toDecimalString({ amount: 1.5, currency: 'RUB' }),
      () => toDecimalString({ amount: 1, currency: 'RUBLES' }),
    ]
    for (const call of bad) expect(call).toThrow(DomainError)
    expect(fromDecimalString('1.000', 'RUB')).toBe(100) // trailing zeros are not rounding
  })
})
