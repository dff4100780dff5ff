// Users of the database identity provider.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from './stores.js'

export interface User {
  id: number
  username: string
  email: string | null
  realname: string
  comment: string
  passwordHash: string
  sysadmin: boolean
}

export type NewUser = Omit<User, 'id'>

export class UserStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(username: string): Promise<User | null> {
    const r = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
    if (r === undefined) return null
    return {
      id: r.id,
      username: r.username,
      email: r.email,
      realname: r.realname,
      comment: r.comment,
      passwordHash: r.password_hash,
      sysadmin: r.sysadmin === 1,
    }
  }

  /** Creates a user unless the name is taken; returns whether it was created. */
  async createIfAbsent(u: NewUser): Promise<boolean> {
    const now = nowIso()
    const r = await this.db
      .insertInto('users')
      .values({
        username: u.username,
        email: u.email,
        realname: u.realname,
        comment: u.comment,
        password_hash: u.passwordHash,
        sysadmin: u.sysadmin ? 1 : 0,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .executeTakeFirst()
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0
  }
}
