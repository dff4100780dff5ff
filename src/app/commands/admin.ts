// berth admin reset-password: sets the password of a database user, `admin` included, when
// nobody can log in to do it. LDAP users keep their password in LDAP and are refused.
import { BerthError } from '../../lib/errors.js'
import type { UserPrincipal } from '../../auth/identity.js'
import { ADMIN } from '../../auth/admin-user.js'
import { hashPassword, passwordProblem } from '../../auth/password.js'
import type { User } from '../../metadata/user-store.js'
import type { Services } from '../services.js'
import { chosenPassword, PASSWORD_STDIN_OPTION, str, withServices, type Group, type Invocation } from './common.js'

/**
 * Sets the password of the user the CLI principal acts with (`admin`): UserService.setPassword
 * wants the old password of one's own account, which is just what is lost here.
 */
export async function setPasswordDirectly(services: Services, caller: UserPrincipal, user: User, password: string): Promise<void> {
  const problem = passwordProblem(password)
  if (problem !== null) throw new BerthError('BAD_REQUEST', `password ${problem}`)
  await services.stores.users.update(user.id, { passwordHash: await hashPassword(password) })
  services.audit.record({ username: caller.username, operation: 'update', resourceType: 'user', resource: user.username, result: 'success', clientIp: caller.address ?? 'cli' })
}

/** Sets a database user's password as the CLI principal: through the service, or directly for `admin`. */
export async function resetPassword(services: Services, caller: UserPrincipal, username: string, password: string): Promise<void> {
  const user = await services.stores.users.get(username)
  if (user === null) throw new BerthError('NOT_FOUND', `user ${username} not found`)
  if (user.ldapDn !== null) throw new BerthError('PRECONDITION', `${username} is an LDAP user: the password is changed in LDAP`)
  if (user.id === caller.userId) await setPasswordDirectly(services, caller, user, password)
  else await services.users.setPassword(caller, user.id, password)
}

async function resetPasswordCommand(inv: Invocation): Promise<void> {
  const username = str(inv.values, 'username') ?? ADMIN
  const { password, generated } = await chosenPassword(inv)
  await withServices(inv, (services, caller) => resetPassword(services, caller, username, password))
  inv.out(`the password of user "${username}" was reset\n`)
  if (generated) {
    inv.out(`password: ${password}\n`)
    inv.err('berth: the generated password is shown only this once\n')
  }
}

/** Makes a new token-signing key current on every node; tokens signed before stay valid until they expire. */
async function rotateTokenKeyCommand(inv: Invocation): Promise<void> {
  const kid = await withServices(inv, async (services, caller) => {
    const kid = await services.security.tokens.rotate()
    await services.shared.bus.publish('token-keys-changed', kid)
    services.audit.record({ username: caller.username, operation: 'update', resourceType: 'configuration', resource: 'token-signing-key', result: 'success', clientIp: 'cli' })
    return kid
  })
  inv.out(`new token-signing key ${kid}; tokens signed with the previous keys stay valid until they expire\n`)
}

export const adminGroup: Group = {
  name: 'admin',
  summary: 'recover administrator access, rotate keys',
  commands: [
    {
      name: 'reset-password',
      summary: "set a database user's password (default: admin)",
      usage: 'reset-password [--username NAME] [--password-stdin]',
      details: `Sets the password of a database user; LDAP users are refused (their password is LDAP's).
  --username NAME     whose password (default: admin)
  --password-stdin    read the new password from one line of stdin; it must have 8 to 128
                      characters with an upper-case letter, a lower-case letter and a digit.
                      Without it a password is generated and printed once.`,
      options: { username: { type: 'string', short: 'u' }, ...PASSWORD_STDIN_OPTION },
      args: [],
      run: resetPasswordCommand,
    },
    {
      name: 'rotate-token-key',
      summary: 'make a new key sign registry tokens',
      usage: 'rotate-token-key',
      details: `Creates a new token-signing key (sealed in the database with secret_key) and makes it the one
new tokens are signed with, on every node (at once with Redis; otherwise when a node first
sees a token with the new key id). Tokens signed with the previous keys stay valid until they
expire; the last three keys are kept.`,
      options: {},
      args: [],
      run: rotateTokenKeyCommand,
    },
  ],
}
