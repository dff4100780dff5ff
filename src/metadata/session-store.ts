// Console sessions, by a hash of their id, so any node can serve any session.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'

export interface Session {
  userId: number
  groups: string[]
  expiresAt: string
  /** When the user signed in; a session has an absolute lifetime from then however it is used. */
  createdAt: string
}

export class SessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(idHash: string, s: Session): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({ id_hash: idHash, user_id: s.userId, groups: JSON.stringify(s.groups), expires_at: s.expiresAt, created_at: s.createdAt })
      .execute()
  }

  /** A session that has not expired, and (with `createdAfter`) was started after that time. */
  async get(idHash: string, now: Date = new Date(), createdAfter?: Date): Promise<Session | null> {
    let q = this.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).where('expires_at', '>', nowIso(now))
    if (createdAfter !== undefined) q = q.where('created_at', '>', nowIso(createdAfter))
    const r = await q.executeTakeFirst()
    return r === undefined ? null : { userId: r.user_id, groups: JSON.parse(r.groups) as string[], expiresAt: r.expires_at, createdAt: r.created_at }
  }

  async extend(idHash: string, expiresAt: string): Promise<void> {
    await this.db.updateTable('sessions').set({ expires_at: expiresAt }).where('id_hash', '=', idHash).execute()
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute()
  }

  /** Ends every session of a user but `keepIdHash` (the one that made the change, when there is one). */
  async deleteOfUser(userId: number, keepIdHash?: string): Promise<number> {
    let q = this.db.deleteFrom('sessions').where('user_id', '=', userId)
    if (keepIdHash !== undefined) q = q.where('id_hash', '!=', keepIdHash)
    const r = await q.executeTakeFirst()
    return Number(r.numDeletedRows)
  }

  async purgeExpired(now: Date = new Date()): Promise<number> {
    const r = await this.db.deleteFrom('sessions').where('expires_at', '<=', nowIso(now)).executeTakeFirst()
    return Number(r.numDeletedRows)
  }
}
