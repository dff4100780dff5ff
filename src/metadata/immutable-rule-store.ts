// Tag immutability rules of projects (migration 012). The rule body is Harbor's JSON, kept as
// written after validation; this store neither parses nor checks it.
import type { Kysely, Selectable } from 'kysely'
import type { Database, ImmutableRuleTable } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { listPage, type Fields, type ListQuery, type Listed } from './list-query.js'

export interface ImmutableRuleRow {
  id: number
  projectId: number
  disabled: boolean
  priority: number
  /** Harbor's JSON of the rule without id, priority and disabled. */
  rule: string
  createdAt: string
  updatedAt: string
}

export const IMMUTABLE_RULE_FIELDS: Fields = {
  id: { column: 'id', type: 'int' },
  priority: { column: 'priority', type: 'int' },
  disabled: { column: 'disabled', type: 'bool' },
  creation_time: { column: 'created_at', type: 'time' },
  update_time: { column: 'updated_at', type: 'time' },
}

function toRow(r: Selectable<ImmutableRuleTable>): ImmutableRuleRow {
  return { id: r.id, projectId: r.project_id, disabled: r.disabled === 1, priority: r.priority, rule: r.rule, createdAt: r.created_at, updatedAt: r.updated_at }
}

export class ImmutableRuleStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(id: number): Promise<ImmutableRuleRow | null> {
    const r = await this.db.selectFrom('immutable_rules').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : toRow(r)
  }

  /** One project's rules, paged; by id unless `q` sorts otherwise. */
  async list(projectId: number, q: ListQuery): Promise<Listed<ImmutableRuleRow>> {
    const page = await listPage(this.db.selectFrom('immutable_rules').selectAll().where('project_id', '=', projectId), q, IMMUTABLE_RULE_FIELDS, { column: 'id', desc: false })
    return { items: page.items.map(toRow), total: page.total }
  }

  /** Every rule of a project (at most a handful: the service caps them), by id. */
  async all(projectId: number): Promise<ImmutableRuleRow[]> {
    return (await this.db.selectFrom('immutable_rules').selectAll().where('project_id', '=', projectId).orderBy('id').execute()).map(toRow)
  }

  async count(projectId: number): Promise<number> {
    const r = await this.db.selectFrom('immutable_rules').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', projectId).executeTakeFirst()
    return Number(r?.n ?? 0)
  }

  async create(projectId: number, input: { disabled: boolean; priority: number; rule: string }): Promise<number> {
    const now = nowIso()
    const r = await this.db
      .insertInto('immutable_rules')
      .values({ project_id: projectId, disabled: input.disabled ? 1 : 0, priority: input.priority, rule: input.rule, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    return r.id
  }

  /** Changes a rule of a project; false when the project has no such rule. */
  async update(projectId: number, id: number, change: { disabled?: boolean; priority?: number; rule?: string }): Promise<boolean> {
    const r = await this.db
      .updateTable('immutable_rules')
      .set({
        ...(change.disabled !== undefined ? { disabled: change.disabled ? 1 : 0 } : {}),
        ...(change.priority !== undefined ? { priority: change.priority } : {}),
        ...(change.rule !== undefined ? { rule: change.rule } : {}),
        updated_at: nowIso(),
      })
      .where('id', '=', id)
      .where('project_id', '=', projectId)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  /** Deletes a rule of a project; false when the project has no such rule. */
  async delete(projectId: number, id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('immutable_rules').where('id', '=', id).where('project_id', '=', projectId).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }
}
