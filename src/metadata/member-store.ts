// Project members: users and LDAP groups with a role in a project. Every lookup by member id
// is scoped by project id, so an id from one project never reaches into another.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { listPage, type Fields, type ListQuery, type Listed } from './list-query.js'

export type EntityType = 'u' | 'g'

export interface Member {
  id: number
  projectId: number
  entityType: EntityType
  entityId: number
  entityName: string
  roleId: number
}

export const MEMBER_FIELDS: Fields = {
  entityname: { column: 'entity_name' },
  entity_type: { column: 'entity_type' },
  role_id: { column: 'role_id', type: 'int' },
  id: { column: 'id', type: 'int' },
}

export class MemberStore {
  constructor(private readonly db: Kysely<Database>) {}

  private query() {
    return this.db
      .selectFrom((eb) =>
        eb
          .selectFrom('project_members as m')
          .leftJoin('users as u', (j) => j.onRef('u.id', '=', 'm.entity_id').on('m.entity_type', '=', 'u'))
          .leftJoin('user_groups as g', (j) => j.onRef('g.id', '=', 'm.entity_id').on('m.entity_type', '=', 'g'))
          .select(['m.id', 'm.project_id', 'm.entity_type', 'm.entity_id', 'm.role_id'])
          .select((s) => s.fn.coalesce('u.username', 'g.name', s.val('')).as('entity_name'))
          .as('members'),
      )
      .selectAll()
  }

  async list(projectId: number, q: ListQuery): Promise<Listed<Member>> {
    const page = await listPage(this.query().where('project_id', '=', projectId), q, MEMBER_FIELDS, { column: 'id', desc: false })
    return { items: page.items.map(toMember), total: page.total }
  }

  async get(projectId: number, id: number): Promise<Member | null> {
    const r = await this.query().where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : toMember(r)
  }

  /** Adds a member; null when the entity is a member already. */
  async add(projectId: number, entityType: EntityType, entityId: number, roleId: number): Promise<number | null> {
    const now = nowIso()
    const r = await this.db
      .insertInto('project_members')
      .values({ project_id: projectId, entity_type: entityType, entity_id: entityId, role_id: roleId, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['project_id', 'entity_type', 'entity_id']).doNothing())
      .returning('id')
      .executeTakeFirst()
    return r?.id ?? null
  }

  async setRole(projectId: number, id: number, roleId: number): Promise<boolean> {
    const r = await this.db
      .updateTable('project_members')
      .set({ role_id: roleId, updated_at: nowIso() })
      .where('project_id', '=', projectId)
      .where('id', '=', id)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  async delete(projectId: number, id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('project_members').where('project_id', '=', projectId).where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  /** The role ids a user holds in a project, directly and through groups. */
  async rolesOf(projectId: number, userId: number, groupIds: number[]): Promise<number[]> {
    const rows = await this.db
      .selectFrom('project_members')
      .select('role_id')
      .where('project_id', '=', projectId)
      .where((m) =>
        m.or([
          m.and([m('entity_type', '=', 'u'), m('entity_id', '=', userId)]),
          ...(groupIds.length > 0 ? [m.and([m('entity_type', '=', 'g'), m('entity_id', 'in', groupIds)])] : []),
        ]),
      )
      .execute()
    return rows.map((r) => r.role_id)
  }
}

function toMember(r: { id: number; project_id: number; entity_type: EntityType; entity_id: number; role_id: number; entity_name: string | null }): Member {
  return { id: r.id, projectId: r.project_id, entityType: r.entity_type, entityId: r.entity_id, entityName: r.entity_name ?? '', roleId: r.role_id }
}
