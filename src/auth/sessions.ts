// Console sessions: a random id in an httpOnly cookie, stored as a hash in the database (so
// any node serves any session), and a CSRF token derived from the id with the shared CSRF key.
// Every request reads the session and its user from the database, so a session ended or a
// user changed on one node holds on every node at once; nothing is cached per node.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { Stores } from '../metadata/stores.js'
import { nowIso } from '../lib/clock.js'
import type { UserPrincipal } from './identity.js'
import { inAdminGroup, userPrincipal } from './authenticator.js'

export interface SessionsOptions {
  stores: Stores
  csrfKey: Buffer
  /** Idle lifetime: a session unused for this long ends. */
  ttlMs: number
  /** Absolute lifetime: a session this old ends, however recently it was used. */
  maxAgeMs: number
  /** Members of this LDAP group (normalised DN) are system administrators. */
  adminGroupDn?: string
  now?: () => number
}

/** The stored key of a session id (only a hash is kept, so a database leak hands out no session). */
export function hashOf(id: string): string {
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
    const now = this.now
    await this.o.stores.sessions.create(hashOf(id), {
      userId: user.userId,
      groups: user.groups,
      expiresAt: nowIso(new Date(now + Math.min(this.o.ttlMs, this.o.maxAgeMs))),
      createdAt: nowIso(new Date(now)),
    })
    return { id, csrf: this.csrfToken(id) }
  }

  /**
   * The user of a live session, as they are now (a revoked administrator flag is gone at once).
   * Sliding expiry: a session used in the second half of its idle life is extended, never past
   * its absolute lifetime, which is also checked on its own (sessions started by an older version
   * carry no capped expiry).
   */
  async resolve(id: string): Promise<UserPrincipal | null> {
    if (!/^[A-Za-z0-9_-]{43}$/.test(id)) return null
    const hash = hashOf(id)
    const now = this.now
    const s = await this.o.stores.sessions.get(hash, new Date(now), new Date(now - this.o.maxAgeMs))
    if (s === null) return null
    const user = await this.o.stores.users.getById(s.userId)
    if (user === null) return null
    const expires = Date.parse(s.expiresAt)
    const next = Math.min(now + this.o.ttlMs, Date.parse(s.createdAt) + this.o.maxAgeMs)
    if (expires - now < this.o.ttlMs / 2 && next > expires) await this.o.stores.sessions.extend(hash, nowIso(new Date(next)))
    return { ...userPrincipal(user, s.groups, inAdminGroup(s.groups, this.o.adminGroupDn)), session: hash }
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
