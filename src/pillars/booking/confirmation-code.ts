/**
 * Confirmation codes travellers read out at the meeting point: 8 characters from an alphabet without look-alikes
 * (no 0/O, 1/I/L, U), from crypto.getRandomValues with rejection sampling — no modulo bias. 30^8 ≈ 6.6 × 10^11
 * codes; the unique index catches the (vanishing) collision and the caller retries.
 * Narrower than core's ticket alphabet (no L or U either): these codes are read aloud over a radio.
 */
import { randomString } from '../../core/auth/tickets.ts'

export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ'

export function confirmationCode(length = 8): string {
  return randomString(CODE_ALPHABET, length)
}
