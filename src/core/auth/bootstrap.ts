/**
 * The first admin. With ADMIN_EMAIL and ADMIN_PASSWORD set, start-up creates that admin unless an account with the
 * email already exists — an existing account is left exactly as it is (its password and role are not touched), so
 * the variables can stay set across restarts. Safe when several processes start at once (insert-or-nothing).
 * The password is never logged.
 */
import { ConfigError } from '../config/schema.ts'
import { PASSWORD_MAX_LENGTH } from './password.ts'
import { createUser, normaliseEmail, type AuthDeps } from './service.ts'
import { findUserByEmail } from './repo.ts'

export type BootstrapOutcome = 'disabled' | 'created' | 'exists'

export async function bootstrapAdmin(deps: AuthDeps): Promise<BootstrapOutcome> {
  const { ADMIN_EMAIL, ADMIN_PASSWORD } = deps.config
  if (!ADMIN_EMAIL) return 'disabled'
  if (!ADMIN_PASSWORD) throw new ConfigError('Invalid configuration:\n  ADMIN_PASSWORD: required when ADMIN_EMAIL is set')
  if (ADMIN_PASSWORD.length > PASSWORD_MAX_LENGTH) {
    throw new ConfigError(`Invalid configuration:\n  ADMIN_PASSWORD: at most ${PASSWORD_MAX_LENGTH} characters`)
  }
  const email = normaliseEmail(ADMIN_EMAIL)
  // Look first so a restart does not pay for a KDF run it would throw away.
  if (await findUserByEmail(deps.db.orm, email)) return 'exists'
  const created = await createUser(deps, { email, password: ADMIN_PASSWORD, role: 'admin', displayName: 'Administrator' })
  if (!created) return 'exists'
  deps.logger.info({ userId: created.id, email }, 'bootstrap admin created')
  return 'created'
}
