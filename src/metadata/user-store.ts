// Users: database accounts, and LDAP accounts mirrored on first login (their password stays in LDAP).
import { sql, type Kysely, type Selectable } from 'kysely'
import type { Database, UserTable } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { listPage, type Fields, type ListQuery, type Listed } from './list-query.js'

export interface User {
  id: number
  username: string
  email: string | null
  realname: string
  comment: string
  passwordHash: string
  sysadmin: boolean
  ldapDn: string | null
  createdAt: string
  updatedAt: string
}

export type NewUser = Pick<User, 'username' | 'email' | 'realname' | 'comment' | 'passwordHash' | 'sysadmin'> & { ldapDn?: string | null }

/** What a profile update may change; privileged fields have their own methods. */
export type UserProfile = Partial<Pick<User, 'email' | 'realname' | 'comment'>>

/** Keys of `q` and `sort` on user lists; the password hash is not among them. */
export const USER_FIELDS: Fields = {
  username: { column: 'username' },
  email: { column: 'email' },
  realname: { column: 'realname' },
  user_id: { column: 'id', type: 'int' },
  sysadmin_flag: { column: 'sysadmin', type: 'bool' },
  creation_time: { column: 'created_at', type: 'time' },
  update_time: { column: 'updated_at', type: 'time' },
}

function toUser(r: Selectable<UserTable>): User {
  return {
    id: r.id,
    username: r.username,
    email: r.email,
    realname: r.realname,
    comment: r.comment,
    passwordHash: r.password_hash,
    sysadmin: r.sysadmin === 1,
    ldapDn: r.ldap_dn,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export class UserStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(username: string): Promise<User | null> {
    const r = await this.db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst()
    return r === undefined ? null : toUser(r)
  }

  async getById(id: number): Promise<User | null> {
    const r = await this.db.selectFrom('users').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst()
    return r === undefined ? null : toUser(r)
  }

  /** The first system administrator: the owner of projects no user created (Harbor's rule). */
  async firstAdminId(): Promise<number | null> {
    const r = await this.db.selectFrom('users').select('id').where('sysadmin', '=', 1).where('deleted', '=', 0).orderBy('id').limit(1).executeTakeFirst()
    return r === undefined ? null : r.id
  }

  async list(q: ListQuery): Promise<Listed<User>> {
    const page = await listPage(this.db.selectFrom('users').selectAll().where('deleted', '=', 0), q, USER_FIELDS, { column: 'id', desc: false })
    return { items: page.items.map(toUser), total: page.total }
  }

  /** Creates a user unless the name is taken; returns the new user, or null when the name was taken. */
  async createIfAbsent(u: NewUser): Promise<User | null> {
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
        ldap_dn: u.ldapDn ?? null,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('username').doNothing())
      .executeTakeFirst()
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0 ? this.get(u.username) : null
  }

  /** Updates the profile fields given, and any of password hash, sysadmin flag and LDAP DN. */
  async update(id: number, change: UserProfile & { passwordHash?: string; sysadmin?: boolean; ldapDn?: string | null }): Promise<boolean> {
    const set: Record<string, unknown> = { updated_at: nowIso() }
    if (change.email !== undefined) set.email = change.email
    if (change.realname !== undefined) set.realname = change.realname
    if (change.comment !== undefined) set.comment = change.comment
    if (change.passwordHash !== undefined) set.password_hash = change.passwordHash
    if (change.sysadmin !== undefined) set.sysadmin = change.sysadmin ? 1 : 0
    if (change.ldapDn !== undefined) set.ldap_dn = change.ldapDn
    const r = await this.db.updateTable('users').set(set).where('id', '=', id).executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  /**
   * Deletes a user: memberships and sessions go; the row stays, renamed to `name#id`, without
   * e-mail or usable password and marked deleted, so that the id is never given to another
   * user (who would otherwise inherit owned projects and audit entries). The name is free again.
   */
  async delete(id: number): Promise<boolean> {
    const r = await this.db
      .updateTable('users')
      .set({ deleted: 1, username: sql<string>`username || '#' || ${sql.ref('id')}`, email: null, password_hash: '!deleted', ldap_dn: null, sysadmin: 0, updated_at: nowIso() })
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .executeTakeFirst()
    if (Number(r.numUpdatedRows) === 0) return false
    await this.db.deleteFrom('project_members').where('entity_type', '=', 'u').where('entity_id', '=', id).execute()
    await this.db.deleteFrom('sessions').where('user_id', '=', id).execute()
    return true
  }

  async emailTaken(email: string, exceptId = -1): Promise<boolean> {
    const r = await this.db.selectFrom('users').select('id').where('email', '=', email).where('id', '!=', exceptId).executeTakeFirst()
    return r !== undefined
  }
}
