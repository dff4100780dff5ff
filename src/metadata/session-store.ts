// Console sessions, by a hash of their id, so any node can serve any session.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from './stores.js'

export interface Session {
  userId: number
  groups: string[]
  expiresAt: string
}

export class SessionStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(idHash: string, s: Session): Promise<void> {
    await this.db
      .insertInto('sessions')
      .values({ id_hash: idHash, user_id: s.userId, groups: JSON.stringify(s.groups), expires_at: s.expiresAt, created_at: nowIso() })
      .execute()
  }

  /** A session that has not expired. */
  async get(idHash: string, now: Date = new Date()): Promise<Session | null> {
    const r = await this.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).where('expires_at', '>', nowIso(now)).executeTakeFirst()
    return r === undefined ? null : { userId: r.user_id, groups: JSON.parse(r.groups) as string[], expiresAt: r.expires_at }
  }

  async extend(idHash: string, expiresAt: string): Promise<void> {
    await this.db.updateTable('sessions').set({ expires_at: expiresAt }).where('id_hash', '=', idHash).execute()
  }

  async delete(idHash: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute()
  }

  async purgeExpired(now: Date = new Date()): Promise<number> {
    const r = await this.db.deleteFrom('sessions').where('expires_at', '<=', nowIso(now)).executeTakeFirst()
    return Number(r.numDeletedRows)
  }
}
