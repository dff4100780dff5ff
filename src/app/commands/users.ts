// berth users list|create|delete|set-admin: user administration through UserService, as `cli`.
import { BerthError } from '../../lib/errors.js'
import { ADMIN } from '../../auth/admin-user.js'
import type { User } from '../../metadata/user-store.js'
import type { Services } from '../services.js'
import { apiShapes, chosenPassword, flag, JSON_OPTION, listAll, PASSWORD_STDIN_OPTION, printList, str, UsageError, withServices, type Group, type Invocation } from './common.js'

async function userNamed(services: Services, username: string): Promise<User> {
  const user = await services.stores.users.get(username)
  if (user === null) throw new BerthError('NOT_FOUND', `user ${username} not found`)
  return user
}

async function list(inv: Invocation): Promise<void> {
  const users = await withServices(inv, (s, caller) => listAll((q) => s.users.list(caller, q)))
  const { userJson } = await apiShapes()
  printList(
    inv,
    users,
    ['ID', 'USERNAME', 'ADMIN', 'SOURCE', 'EMAIL', 'REALNAME', 'CREATED'],
    (u) => [String(u.id), u.username, u.sysadmin ? 'yes' : 'no', u.ldapDn === null ? 'db' : 'ldap', u.email ?? '', u.realname, u.createdAt],
    (u) => userJson(u),
  )
}

async function create(inv: Invocation): Promise<void> {
  const [username] = inv.positionals as [string]
  const { password, generated } = await chosenPassword(inv)
  const user = await withServices(inv, async (s, caller) => {
    const email = str(inv.values, 'email')
    const realname = str(inv.values, 'realname')
    const created = await s.users.create(caller, { username, password, ...(email !== undefined ? { email } : {}), ...(realname !== undefined ? { realname } : {}) })
    if (flag(inv.values, 'admin')) await s.users.setSysadmin(caller, created.id, true)
    return created
  })
  inv.out(`created user "${user.username}" (id ${user.id})${flag(inv.values, 'admin') ? ' as a system administrator' : ''}\n`)
  if (generated) {
    inv.out(`password: ${password}\n`)
    inv.err('berth: the generated password is shown only this once\n')
  }
}

async function remove(inv: Invocation): Promise<void> {
  const [username] = inv.positionals as [string]
  if (username === ADMIN) throw new BerthError('DENIED', `the ${ADMIN} user cannot be deleted`)
  await withServices(inv, async (s, caller) => s.users.delete(caller, (await userNamed(s, username)).id))
  inv.out(`deleted user "${username}"\n`)
}

async function setAdmin(inv: Invocation): Promise<void> {
  const [username, raw] = inv.positionals as [string, string]
  if (raw !== 'true' && raw !== 'false') throw new UsageError(`the second argument must be true or false, not ${JSON.stringify(raw)}`)
  const sysadmin = raw === 'true'
  if (username === ADMIN) throw new BerthError('DENIED', `the administrator flag of ${ADMIN} cannot be changed`)
  await withServices(inv, async (s, caller) => s.users.setSysadmin(caller, (await userNamed(s, username)).id, sysadmin))
  inv.out(`user "${username}" is ${sysadmin ? 'now' : 'no longer'} a system administrator\n`)
}

export const usersGroup: Group = {
  name: 'users',
  summary: 'manage users',
  commands: [
    {
      name: 'list',
      summary: 'list the users',
      usage: 'list [--json]',
      details: `  --json    print the users as a JSON array (the /api/v2.0/users shape)`,
      options: JSON_OPTION,
      args: [],
      run: list,
    },
    {
      name: 'create',
      summary: 'create a database user',
      usage: 'create <name> [--email E] [--realname R] [--admin] [--password-stdin]',
      details: `Only in db_auth mode: in ldap_auth, users come from LDAP.
  --email E           e-mail address
  --realname R        full name
  --admin             make the user a system administrator
  --password-stdin    read the password from one line of stdin (8 to 128 characters with an
                      upper-case letter, a lower-case letter and a digit); without it a
                      password is generated and printed once`,
      options: { email: { type: 'string' }, realname: { type: 'string' }, admin: { type: 'boolean' }, ...PASSWORD_STDIN_OPTION },
      args: ['name'],
      run: create,
    },
    {
      name: 'delete',
      summary: 'delete a user',
      usage: 'delete <name>',
      details: `Deletes a user (not admin): memberships and sessions go; the id is never reused.`,
      options: {},
      args: ['name'],
      run: remove,
    },
    {
      name: 'set-admin',
      summary: 'grant or revoke the system administrator flag',
      usage: 'set-admin <name> true|false',
      details: `Grants (true) or revokes (false) a user's system administrator flag (not admin's).`,
      options: {},
      args: ['name', 'true|false'],
      run: setAdmin,
    },
  ],
}
