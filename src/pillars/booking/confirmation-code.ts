/**
 * Confirmation codes travellers read out at the meeting point: 8 characters from an alphabet without look-alikes
 * (no 0/O, 1/I/L, U), from crypto.getRandomValues with rejection sampling — no modulo bias. 30^8 ≈ 6.6 × 10^11
 * codes; the unique index catches the (vanishing) collision and the caller retries.
 *
 * TODO(integrator): src/core/auth/tickets.ts (another worktree) exports its own confirmationCode(); switch to it
 * once merged if its alphabet suits codes read aloud.
 */
export const CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTVWXYZ'
const LIMIT = 256 - (256 % CODE_ALPHABET.length)

export function confirmationCode(length = 8): string {
  let code = ''
  const buffer = new Uint8Array(length * 2)
  while (code.length < length) {
    crypto.getRandomValues(buffer)
    for (const byte of buffer) {
      if (byte >= LIMIT) continue // the top of the byte range would favour the first symbols
      code += CODE_ALPHABET[byte % CODE_ALPHABET.length]
      if (code.length === length) break
    }
  }
  return code
}
