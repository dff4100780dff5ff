// Console sessions: a random id in an httpOnly cookie, stored as a hash in the database (so
// any node serves any session), and a CSRF token derived from the id with the shared CSRF key.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Stores } from '../metadata/stores.js'
import { nowIso } from '../metadata/stores.js'
import type { UserPrincipal } from './identity.js'
import { inAdminGroup, userPrincipal } from './authenticator.js'

export interface SessionsOptions {
  stores: Stores
  csrfKey: Buffer
  ttlMs: number
  /** Members of this LDAP group (normalised DN) are system administrators. */
  adminGroupDn?: string
  now?: () => number
}

function hashOf(id: string): string {
  return createHash('sha256').update(id).digest('base64url')
}

export class Sessions {
  constructor(private readonly o: SessionsOptions) {}

  private get now(): number {
    return (this.o.now ?? Date.now)()
  }

  /** Starts a session; returns its id (for the cookie) and its CSRF token. */
  async create(user: UserPrincipal): Promise<{ id: string; csrf: string }> {
    const id = randomBytes(32).toString('base64url')
    await this.o.stores.sessions.create(hashOf(id), { userId: user.userId, groups: user.groups, expiresAt: nowIso(new Date(this.now + this.o.ttlMs)) })
    return { id, csrf: this.csrfToken(id) }
  }

  /** The user of a live session; sliding expiry: a session used in the second half of its life is extended. */
  async resolve(id: string): Promise<UserPrincipal | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null
    const hash = hashOf(id)
    const s = await this.o.stores.sessions.get(hash, new Date(this.now))
    if (s === null) return null
    const user = await this.o.stores.users.getById(s.userId)
    if (user === null) return null
    if (Date.parse(s.expiresAt) - this.now < this.o.ttlMs / 2) await this.o.stores.sessions.extend(hash, nowIso(new Date(this.now + this.o.ttlMs)))
    return userPrincipal(user, s.groups, inAdminGroup(s.groups, this.o.adminGroupDn))
  }

  async destroy(id: string): Promise<void> {
    await this.o.stores.sessions.delete(hashOf(id))
  }

  csrfToken(sessionId: string): string {
    return createHmac('sha256', this.o.csrfKey).update(sessionId).digest('base64url')
  }

  /** Whether `token` is this session's CSRF token (constant-time). */
  csrfMatches(sessionId: string, token: string | undefined): boolean {
    if (token === undefined) return false
    const expected = Buffer.from(this.csrfToken(sessionId))
    const given = Buffer.from(token)
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
}
