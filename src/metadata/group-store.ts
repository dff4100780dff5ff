// LDAP groups known to Berth, by DN (stored lower-cased).
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'

export interface UserGroup {
  id: number
  name: string
  ldapDn: string
}

export class GroupStore {
  constructor(private readonly db: Kysely<Database>) {}

  async getById(id: number): Promise<UserGroup | null> {
    const r = await this.db.selectFrom('user_groups').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : { id: r.id, name: r.name, ldapDn: r.ldap_dn }
  }

  async ensure(ldapDn: string, name: string): Promise<UserGroup> {
    await this.db
      .insertInto('user_groups')
      .values({ name, ldap_dn: ldapDn, created_at: nowIso() })
      .onConflict((oc) => oc.column('ldap_dn').doNothing())
      .execute()
    const r = await this.db.selectFrom('user_groups').selectAll().where('ldap_dn', '=', ldapDn).executeTakeFirstOrThrow()
    return { id: r.id, name: r.name, ldapDn: r.ldap_dn }
  }

  /** Ids of the known groups among these DNs. */
  async idsOf(ldapDns: string[]): Promise<number[]> {
    if (ldapDns.length === 0) return []
    const rows = await this.db.selectFrom('user_groups').select('id').where('ldap_dn', 'in', ldapDns).execute()
    return rows.map((r) => r.id)
  }
}
