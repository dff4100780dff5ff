// The first start creates the `admin` user. There is no default password: the configured one
// (admin.password / BERTH_ADMIN_PASSWORD) is used, or a random one is generated and shown once.
import { BerthError } from '../lib/errors.js'
import type { Stores } from '../metadata/stores.js'
import { generatePassword, hashPassword, passwordProblem } from './password.js'

export const ADMIN = 'admin'

/**
 * Creates `admin` if there is none. Returns the generated password when one was made (the
 * caller shows it once), else null. A configured password that breaks the policy is refused.
 */
export async function ensureAdmin(stores: Stores, configured: string): Promise<string | null> {
  if (configured !== '') {
    const problem = passwordProblem(configured)
    if (problem !== null) throw new BerthError('CONFIG_INVALID', `config key admin.password: ${problem}`, { key: 'admin.password' })
  }
  if ((await stores.users.get(ADMIN)) !== null) return null
  const password = configured !== '' ? configured : generatePassword()
  const created = await stores.users.createIfAbsent({
    username: ADMIN,
    email: null,
    realname: 'system admin',
    comment: 'created on first start',
    passwordHash: await hashPassword(password),
    sysadmin: true,
  })
  return created !== null && configured === '' ? password : null
}
