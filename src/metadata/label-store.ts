// Labels: global ones (administrators') and project ones, attached to artifacts.
import type { Kysely, Selectable } from 'kysely'
import type { Database, LabelTable } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { listPage, type Fields, type ListQuery, type Listed } from './list-query.js'

export interface Label {
  id: number
  name: string
  description: string
  color: string
  scope: 'g' | 'p'
  projectId: number | null
  createdAt: string
  updatedAt: string
}

export type LabelInput = Pick<Label, 'name' | 'description' | 'color'>

export const LABEL_FIELDS: Fields = {
  name: { column: 'name' },
  id: { column: 'id', type: 'int' },
  creation_time: { column: 'created_at', type: 'time' },
}

function toLabel(r: Selectable<LabelTable>): Label {
  return { id: r.id, name: r.name, description: r.description, color: r.color, scope: r.scope, projectId: r.project_id, createdAt: r.created_at, updatedAt: r.updated_at }
}

export class LabelStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(id: number): Promise<Label | null> {
    const r = await this.db.selectFrom('labels').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : toLabel(r)
  }

  /** Global labels (projectId null) or one project's labels. */
  async list(projectId: number | null, q: ListQuery): Promise<Listed<Label>> {
    const base = projectId === null ? this.db.selectFrom('labels').selectAll().where('scope', '=', 'g') : this.db.selectFrom('labels').selectAll().where('project_id', '=', projectId)
    const page = await listPage(base, q, LABEL_FIELDS, { column: 'name', desc: false })
    return { items: page.items.map(toLabel), total: page.total }
  }

  /** Creates a label; null when its scope already has one by that name. */
  async create(projectId: number | null, l: LabelInput): Promise<Label | null> {
    const now = nowIso()
    const existing = await (projectId === null
      ? this.db.selectFrom('labels').select('id').where('scope', '=', 'g').where('name', '=', l.name)
      : this.db.selectFrom('labels').select('id').where('project_id', '=', projectId).where('name', '=', l.name)
    ).executeTakeFirst()
    if (existing !== undefined) return null
    const r = await this.db
      .insertInto('labels')
      .values({ name: l.name, description: l.description, color: l.color, scope: projectId === null ? 'g' : 'p', project_id: projectId, created_at: now, updated_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    return this.get(r.id)
  }

  async update(id: number, l: Partial<LabelInput>): Promise<boolean> {
    const r = await this.db
      .updateTable('labels')
      .set({ ...l, updated_at: nowIso() })
      .where('id', '=', id)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  async delete(id: number): Promise<boolean> {
    await this.db.deleteFrom('artifact_labels').where('label_id', '=', id).execute()
    const r = await this.db.deleteFrom('labels').where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  /** Attaches a label; false when it was attached already. */
  async attach(artifactId: number, labelId: number): Promise<boolean> {
    const r = await this.db
      .insertInto('artifact_labels')
      .values({ artifact_id: artifactId, label_id: labelId, created_at: nowIso() })
      .onConflict((oc) => oc.columns(['artifact_id', 'label_id']).doNothing())
      .executeTakeFirst()
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0
  }

  async detach(artifactId: number, labelId: number): Promise<boolean> {
    const r = await this.db.deleteFrom('artifact_labels').where('artifact_id', '=', artifactId).where('label_id', '=', labelId).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  /** Labels of several artifacts, by artifact id. */
  async labelsOf(artifactIds: number[]): Promise<Map<number, Label[]>> {
    const out = new Map<number, Label[]>()
    if (artifactIds.length === 0) return out
    const rows = await this.db
      .selectFrom('artifact_labels as al')
      .innerJoin('labels as l', 'l.id', 'al.label_id')
      .selectAll('l')
      .select('al.artifact_id')
      .where('al.artifact_id', 'in', artifactIds)
      .orderBy('l.name')
      .execute()
    for (const r of rows) {
      const list = out.get(r.artifact_id) ?? []
      list.push(toLabel(r))
      out.set(r.artifact_id, list)
    }
    return out
  }
}
