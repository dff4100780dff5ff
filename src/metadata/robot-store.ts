// Robot accounts: machine credentials with explicit permissions. The level ('system' or
// 'project') is a stored column: a robot is never judged by its name.
import type { Kysely, Selectable } from 'kysely'
import type { Database, RobotTable } from './schema.js'
import { nowIso } from './stores.js'
import { listPage, type Fields, type ListQuery, type Listed } from './list-query.js'

export interface RobotAccess {
  resource: string
  action: string
}

export interface RobotPermission {
  /** 'project': permissions in projects; 'system': Harbor's system resources (system robots only). */
  kind: 'project' | 'system'
  /** A project name, or '*' for every project (system robots only); '/' for kind 'system'. */
  namespace: string
  access: RobotAccess[]
}

export interface Robot {
  id: number
  name: string
  description: string
  level: 'system' | 'project'
  projectId: number | null
  secretHash: string
  permissions: RobotPermission[]
  disabled: boolean
  duration: number
  expiresAt: string | null
  createdAt: string
  updatedAt: string
}

export type NewRobot = Omit<Robot, 'id' | 'createdAt' | 'updatedAt'>

/** Keys of `q` and `sort` on robot lists; the secret hash is not among them. */
export const ROBOT_FIELDS: Fields = {
  name: { column: 'name' },
  level: { column: 'level' },
  project_id: { column: 'project_id', type: 'int' },
  disabled: { column: 'disabled', type: 'bool' },
  id: { column: 'id', type: 'int' },
  creation_time: { column: 'created_at', type: 'time' },
  expires_at: { column: 'expires_at', type: 'time' },
}

function toRobot(r: Selectable<RobotTable>): Robot {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    level: r.level,
    projectId: r.project_id,
    secretHash: r.secret_hash,
    permissions: JSON.parse(r.permissions) as RobotPermission[],
    disabled: r.disabled === 1,
    duration: r.duration,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

export class RobotStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(id: number): Promise<Robot | null> {
    const r = await this.db.selectFrom('robots').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : toRobot(r)
  }

  async getByName(name: string): Promise<Robot | null> {
    const r = await this.db.selectFrom('robots').selectAll().where('name', '=', name).executeTakeFirst()
    return r === undefined ? null : toRobot(r)
  }

  /** Robots matching `q`, optionally only those of some projects. */
  async list(q: ListQuery, projectIds?: number[]): Promise<Listed<Robot>> {
    let base = this.db.selectFrom('robots').selectAll()
    if (projectIds !== undefined) base = base.where('project_id', 'in', projectIds.length > 0 ? projectIds : [-1])
    const page = await listPage(base, q, ROBOT_FIELDS, { column: 'id', desc: false })
    return { items: page.items.map(toRobot), total: page.total }
  }

  /** Creates a robot; null when the name is taken. */
  async create(r: NewRobot): Promise<Robot | null> {
    const now = nowIso()
    const inserted = await this.db
      .insertInto('robots')
      .values({
        name: r.name,
        description: r.description,
        level: r.level,
        project_id: r.projectId,
        secret_hash: r.secretHash,
        permissions: JSON.stringify(r.permissions),
        disabled: r.disabled ? 1 : 0,
        duration: r.duration,
        expires_at: r.expiresAt,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('id')
      .executeTakeFirst()
    return inserted === undefined ? null : this.get(inserted.id)
  }

  async update(id: number, change: Partial<Pick<Robot, 'description' | 'permissions' | 'disabled' | 'duration' | 'expiresAt' | 'secretHash'>>): Promise<boolean> {
    const set: Record<string, unknown> = { updated_at: nowIso() }
    if (change.description !== undefined) set.description = change.description
    if (change.permissions !== undefined) set.permissions = JSON.stringify(change.permissions)
    if (change.disabled !== undefined) set.disabled = change.disabled ? 1 : 0
    if (change.duration !== undefined) set.duration = change.duration
    if (change.expiresAt !== undefined) set.expires_at = change.expiresAt
    if (change.secretHash !== undefined) set.secret_hash = change.secretHash
    const r = await this.db.updateTable('robots').set(set).where('id', '=', id).executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('robots').where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }
}
