// Users: administration, self-registration, profiles and passwords. Privileged fields (the
// system-admin flag) change only through setSysadmin, never through create or a profile update.
import { BerthError } from '../../lib/errors.js'
import { inTransaction, type Stores } from '../../metadata/stores.js'
import type { Db } from '../../metadata/schema.js'
import type { User, UserProfile } from '../../metadata/user-store.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import type { Caller } from '../../auth/identity.js'
import { isSysadmin } from '../../auth/access.js'
import { passwordProblem, type Passwords } from '../../auth/password.js'
import type { Authenticator } from '../../auth/authenticator.js'
import type { AuditLog } from '../audit/audit-log.js'
import { actorOf, checkUsername, requireSignedIn, requireSysadmin, requireUser } from './guards.js'

export interface NewUserInput {
  username: string
  password: string
  email?: string | null
  realname?: string
  comment?: string
}

export interface UserServiceOptions {
  db: Db
  stores: Stores
  audit: AuditLog
  /** Whether self-registration is on now (a run-time setting). */
  selfRegistration: () => Promise<boolean>
  /** Whether users live in LDAP (then only admins create local users and passwords are LDAP's). */
  ldap: boolean
  /** Password hashing with its bounded capacity. */
  passwords: Passwords
  /** Checks a user's current password, counted like a login. */
  logins: Pick<Authenticator, 'confirmPassword'>
  /** Called after a change that may alter what cached credentials grant; resolves once every node has been told. */
  changed?: () => void | Promise<void>
}

/** The hashing lane of callers without a network address (the admin CLI). */
const LOCAL = 'local'

function notFound(): BerthError {
  return new BerthError('NOT_FOUND', 'user not found')
}

function checkEmail(email: string | null | undefined): void {
  if (email !== undefined && email !== null && email !== '' && !/^[^\s@]{1,64}@[^\s@]{1,255}$/.test(email)) {
    throw new BerthError('BAD_REQUEST', 'email is not a valid address')
  }
}

export class UserService {
  constructor(private readonly o: UserServiceOptions) {}

  private audit(caller: Caller, operation: string, username: string): void {
    this.o.audit.record({ ...actorOf(caller), operation, resourceType: 'user', resource: username, result: 'success' })
  }

  async list(caller: Caller, q: ListQuery): Promise<Listed<User>> {
    requireSysadmin(caller)
    return this.o.stores.users.list(q)
  }

  /** Users whose name contains `fragment`; callers see only ids and names (no e-mail or flags). */
  async search(caller: Caller, fragment: string, q: ListQuery): Promise<Listed<Pick<User, 'id' | 'username'>>> {
    requireSignedIn(caller)
    if (fragment === '') throw new BerthError('BAD_REQUEST', 'username is required')
    const found = await this.o.stores.users.list({ ...q, conditions: [{ key: 'username', op: 'fuzzy', value: fragment }], sort: [] })
    return { items: found.items.map((u) => ({ id: u.id, username: u.username })), total: found.total }
  }

  async get(caller: Caller, id: number): Promise<User> {
    const me = requireSignedIn(caller)
    if (!isSysadmin(me) && !(me.kind === 'user' && me.userId === id)) throw notFound()
    const user = await this.o.stores.users.getById(id)
    if (user === null) throw notFound()
    return user
  }

  async current(caller: Caller): Promise<User> {
    const me = requireUser(caller)
    const user = await this.o.stores.users.getById(me.userId)
    if (user === null) throw new BerthError('UNAUTHORIZED', 'authentication required')
    return user
  }

  /** Creates a user: administrators always (in db_auth), anyone when self-registration is on. */
  async create(caller: Caller, input: NewUserInput): Promise<User> {
    const selfRegistering = caller.kind === 'anonymous'
    if (selfRegistering) {
      if (!(await this.o.selfRegistration()) || this.o.ldap) throw new BerthError('UNAUTHORIZED', 'self-registration is disabled')
    } else {
      requireSysadmin(caller)
    }
    if (this.o.ldap) throw new BerthError('PRECONDITION', 'users come from LDAP in ldap_auth mode')
    checkUsername(input.username)
    checkEmail(input.email)
    const problem = passwordProblem(input.password)
    if (problem !== null) throw new BerthError('BAD_REQUEST', `password ${problem}`)
    if (input.email && (await this.o.stores.users.emailTaken(input.email))) throw new BerthError('CONFLICT', 'email is already in use')
    if ((await this.o.stores.robots.getByName(input.username)) !== null) throw new BerthError('CONFLICT', 'username is already in use')
    const user = await this.o.stores.users.createIfAbsent({
      username: input.username,
      email: input.email || null,
      realname: input.realname ?? '',
      comment: input.comment ?? '',
      passwordHash: await this.o.passwords.hash(input.password, caller.address ?? LOCAL),
      // Never from input: an administrator grants it afterwards through setSysadmin.
      sysadmin: false,
    })
    if (user === null) throw new BerthError('CONFLICT', 'username is already in use')
    this.audit(selfRegistering ? { kind: 'user', userId: user.id, username: user.username, sysadmin: false, groups: [], ...(caller.address !== undefined ? { address: caller.address } : {}) } : caller, 'create', user.username)
    return user
  }

  async updateProfile(caller: Caller, id: number, profile: UserProfile): Promise<void> {
    const user = await this.get(caller, id)
    checkEmail(profile.email)
    if (profile.email && (await this.o.stores.users.emailTaken(profile.email, id))) throw new BerthError('CONFLICT', 'email is already in use')
    await this.o.stores.users.update(id, { email: profile.email === '' ? null : profile.email, realname: profile.realname, comment: profile.comment })
    this.audit(caller, 'update', user.username)
  }

  /**
   * Users change their own password with the old one; administrators set anyone's. Every other
   * console session of the user ends with the change: a user's own change keeps the session that
   * made it, an administrator's reset ends them all.
   */
  async setPassword(caller: Caller, id: number, newPassword: string, oldPassword?: string): Promise<void> {
    const user = await this.get(caller, id)
    if (user.ldapDn !== null) throw new BerthError('PRECONDITION', 'the password of an LDAP user is changed in LDAP')
    const me = requireUser(caller)
    if (me.userId === id || !isSysadmin(me)) {
      if (oldPassword === undefined || !(await this.o.logins.confirmPassword(user, oldPassword, caller.address ?? LOCAL))) throw new BerthError('DENIED', 'the old password is not correct')
      if (oldPassword === newPassword) throw new BerthError('BAD_REQUEST', 'the new password must differ from the old one')
    }
    const problem = passwordProblem(newPassword)
    if (problem !== null) throw new BerthError('BAD_REQUEST', `password ${problem}`)
    const hash = await this.o.passwords.hash(newPassword, caller.address ?? LOCAL)
    const keep = me.userId === id ? me.session : undefined
    await inTransaction(this.o.db, async (t) => {
      await t.users.update(id, { passwordHash: hash })
      await t.sessions.deleteOfUser(id, keep)
    })
    await this.o.changed?.()
    this.audit(caller, 'update', user.username)
  }

  async setSysadmin(caller: Caller, id: number, sysadmin: boolean): Promise<void> {
    const me = requireSysadmin(caller)
    if (me.userId === id) throw new BerthError('DENIED', 'administrators cannot change their own administrator flag')
    const user = await this.o.stores.users.getById(id)
    if (user === null) throw notFound()
    await this.o.stores.users.update(id, { sysadmin })
    await this.o.changed?.()
    this.audit(caller, 'update', user.username)
  }

  async delete(caller: Caller, id: number): Promise<void> {
    const me = requireSysadmin(caller)
    if (me.userId === id) throw new BerthError('DENIED', 'administrators cannot delete themselves')
    const user = await this.o.stores.users.getById(id)
    if (user === null) throw notFound()
    await this.o.stores.users.delete(id)
    await this.o.changed?.()
    this.audit(caller, 'delete', user.username)
  }
}
