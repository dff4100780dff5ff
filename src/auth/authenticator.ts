// Turns credentials into principals: database users, LDAP users and robot accounts, with the
// failed-login lockout in front and a short cache of verified credentials behind (a password
// hash costs ~100 ms by design; clients using Basic auth send it with every request).
import { createHash, randomBytes } from 'node:crypto'
import { BerthError } from '../lib/errors.js'
import { LruCache } from '../cache/lru-cache.js'
import type { Stores } from '../metadata/stores.js'
import type { User } from '../metadata/user-store.js'
import type { Robot } from '../metadata/robot-store.js'
import { normaliseDn, type Directory, type Principal, type RobotPrincipal, type UserPrincipal } from './identity.js'
import type { Passwords } from './password.js'
import { LoginGuard } from './login-guard.js'
import type { RobotSecrets } from './robot-secret.js'
import { ADMIN } from './admin-user.js'

export type AuthMode = 'db_auth' | 'ldap_auth'

export interface LoginEvent {
  kind: 'user' | 'robot'
  username: string
  address: string
  ok: boolean
}

export interface AuthenticatorOptions {
  stores: Stores
  mode: AuthMode
  directory?: Directory
  guard: LoginGuard
  /** Password hashing with its own bounded capacity. */
  passwords: Passwords
  /** Checks robot secrets (keyed with a key all nodes share). */
  robotSecrets: RobotSecrets
  /** Called for every login attempt that reached a password check (for the audit log). */
  onLogin?: (e: LoginEvent) => void
  cacheMs?: number
  now?: () => number
}


export function userPrincipal(u: Pick<User, 'id' | 'username' | 'sysadmin'>, groups: string[] = [], admin = false): UserPrincipal {
  return { kind: 'user', userId: u.id, username: u.username, sysadmin: u.sysadmin || admin, groups }
}

export function inAdminGroup(groups: string[], adminGroupDn: string | undefined): boolean {
  if (adminGroupDn === undefined || adminGroupDn === '') return false
  const admin = normaliseDn(adminGroupDn)
  return groups.some((g) => normaliseDn(g) === admin)
}

export function robotPrincipal(r: Robot): RobotPrincipal {
  return { kind: 'robot', robotId: r.id, username: r.name, system: r.level === 'system', permissions: r.permissions }
}

/** Why a robot may not log in, or null when it may. */
export function robotProblem(r: Robot, now: number): string | null {
  if (r.disabled) return 'robot account is disabled'
  if (r.expiresAt !== null && Date.parse(r.expiresAt) <= now) return 'robot account has expired'
  return null
}

export class Authenticator {
  private readonly cache = new LruCache<{ principal: Principal; until: number }>(10_000, () => 1)
  private readonly inFlight = new Map<string, Promise<Principal | null>>()

  constructor(private readonly o: AuthenticatorOptions) {}

  private get now(): number {
    return (this.o.now ?? Date.now)()
  }

  /**
   * Checks a user name and password (or a robot name and secret). UNAUTHORIZED when they are
   * wrong, TOOMANYREQUESTS while the name or address is locked out, has too many checks in
   * flight, or the password hashing queue is full.
   */
  async login(username: string, password: string, address: string): Promise<Principal> {
    // The lockout comes first: a remembered login must not get around it.
    await this.o.guard.check(username, address)
    const key = createHash('sha256').update(`${username}\0${password}`).digest('base64url')
    const hit = this.cache.get(key)
    if (hit !== undefined && hit.until > this.now) return hit.principal
    // The same credentials sent many times at once (a client's parallel requests before the
    // first answer) share one check: one hash, one attempt, one audit entry.
    let pending = this.inFlight.get(key)
    if (pending === undefined) {
      pending = this.firstCheck(key, username, password, address).finally(() => this.inFlight.delete(key))
      this.inFlight.set(key, pending)
    }
    const principal = await pending
    if (principal === null) throw new BerthError('UNAUTHORIZED', 'invalid username or password')
    return principal
  }

  private async firstCheck(key: string, username: string, password: string, address: string): Promise<Principal | null> {
    const principal = await this.counted(username, address, () => this.check(username, password, address))
    // For a failed attempt the kind is a label in the audit log only, never a permission.
    this.o.onLogin?.({ kind: principal?.kind ?? (username.startsWith('robot$') ? 'robot' : 'user'), username, address, ok: principal !== null })
    if (principal !== null) this.cache.set(key, { principal, until: this.now + (this.o.cacheMs ?? 30_000) })
    return principal
  }

  /**
   * Checks a signed-in user's current password (before a change of password): counted by the
   * login guard like a login, so a stolen session cannot try passwords without limit.
   */
  async confirmPassword(user: Pick<User, 'username' | 'passwordHash'>, password: string, address: string): Promise<boolean> {
    return this.counted(user.username, address, async () => password !== '' && (await this.o.passwords.verify(password, user.passwordHash, address)))
  }

  /**
   * Runs one password check under a reserved login attempt: a falsy answer is a failure, a
   * truthy one a success, and an error (directory down, hashing queue full) counts as neither.
   */
  private async counted<T>(username: string, address: string, check: () => Promise<T>): Promise<T> {
    const attempt = await this.o.guard.begin(username, address)
    let result: T
    try {
      result = await check()
    } catch (err) {
      await attempt.abandoned()
      throw err
    }
    await (result ? attempt.succeeded() : attempt.failed())
    return result
  }

  /** Forgets cached credentials, after a password, role or robot change. */
  forget(): void {
    this.cache.clear()
    this.inFlight.clear()
  }

  /**
   * Every failed check of a well-formed login costs one password hash, whether the name is a
   * user, a robot (whose generated secret is checked with a fast hash) or nothing at all, so the
   * time of a failure does not tell which names exist.
   */
  private async check(username: string, password: string, address: string): Promise<Principal | null> {
    // No account has a name with control characters (nor could PostgreSQL look one up with NUL).
    if (username === '' || password === '' || username.length > 255 || password.length > 1024 || /[\x00-\x1f\x7f]/.test(username)) return null
    const robot = await this.o.stores.robots.getByName(username)
    if (robot !== null) {
      const usable = robotProblem(robot, this.now) === null
      if (usable && (await this.o.robotSecrets.verify(password, robot.secretHash, address))) return robotPrincipal(robot)
      // A chosen secret was checked with scrypt already; a generated one (a fast keyed hash) was not.
      if (!usable || !robot.secretHash.startsWith('scrypt$')) await this.o.passwords.decoyCheck(password, address)
      return null
    }
    if (this.o.mode === 'ldap_auth' && username !== ADMIN) return this.checkLdap(username, password)
    const user = await this.o.stores.users.get(username)
    if (user === null || user.ldapDn !== null) {
      await this.o.passwords.decoyCheck(password, address)
      return null
    }
    return (await this.o.passwords.verify(password, user.passwordHash, address)) ? userPrincipal(user) : null
  }

  /** LDAP users are mirrored into the users table on first login, so they can be members and own things. */
  private async checkLdap(username: string, password: string): Promise<Principal | null> {
    const directory = this.o.directory
    if (directory === undefined) throw new BerthError('INTERNAL', 'ldap_auth is configured without a directory')
    const found = await directory.authenticate(username, password)
    if (found === null) return null
    const profile = { email: found.email, realname: found.realname }
    let user = await this.o.stores.users.get(found.username)
    if (user === null) {
      user = await this.o.stores.users.createIfAbsent({ username: found.username, ...profile, comment: 'from LDAP', passwordHash: '!ldap', sysadmin: false, ldapDn: found.dn })
      user ??= await this.o.stores.users.get(found.username)
    } else if (user.ldapDn !== found.dn || user.email !== found.email || user.realname !== found.realname) {
      await this.o.stores.users.update(user.id, { ...profile, ldapDn: found.dn })
    }
    if (user === null) return null
    return userPrincipal(user, found.groups, found.admin)
  }
}
