// Robot accounts: machine credentials with explicit permissions. The level ('system' or
// 'project') is a stored column: a robot is never judged by its name, and a grant binds to a
// project's id, never to its name (a project deleted and created again is another project).
import { sql, type Kysely, type Selectable } from 'kysely'
import type { Database, RobotTable } from './schema.js'
import { nowIso } from '../lib/clock.js'
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
  /**
   * The project the grant binds to (project ids are never reused). null: no project ('*', or a
   * project that was gone when the grant was bound). Absent only in rows written by a version
   * that matched grants by name; they are bound when read (bindByName).
   */
  projectId?: number | null
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
  const permissions = JSON.parse(r.permissions) as RobotPermission[]
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    level: r.level,
    projectId: r.project_id,
    secretHash: r.secret_hash,
    permissions,
    disabled: r.disabled === 1,
    duration: r.duration,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

/** Whether some grant still names its project only (written by a version that matched by name). */
export function unbound(permissions: RobotPermission[]): boolean {
  return permissions.some((p) => p.namespace !== '*' && p.projectId === undefined)
}

/**
 * Binds grants that name their project only to a project id, with the benefit of the doubt going
 * to refusal: a grant binds to the live project of its name only if that project already existed
 * when the robot was last written, and no project of that name was deleted after the robot was
 * created (the grant may have been meant for that one). Otherwise it binds to nothing, and an
 * administrator grants it again. Used by migration 008 and for rows an older node writes during
 * a rolling upgrade.
 */
export async function bindByName(db: Kysely<Database>, robot: Pick<Robot, 'permissions' | 'createdAt' | 'updatedAt'>): Promise<RobotPermission[]> {
  const out: RobotPermission[] = []
  for (const p of robot.permissions) {
    if (p.projectId !== undefined) out.push(p)
    else if (p.namespace === '*') out.push({ ...p, projectId: null })
    else {
      const live = await db.selectFrom('projects').select(['id', 'created_at']).where('name', '=', p.namespace).where('deleted', '=', 0).executeTakeFirst()
      // Deleted projects are renamed to name#id, and live names never contain '#'.
      const prefix = `${p.namespace}#`
      const deletedSince = await db
        .selectFrom('projects')
        .select('id')
        .where('deleted', '=', 1)
        .where(sql<string>`substr(name, 1, ${prefix.length})`, '=', prefix)
        .where('updated_at', '>=', robot.createdAt)
        .executeTakeFirst()
      const ok = live !== undefined && live.created_at <= robot.updatedAt && deletedSince === undefined
      out.push({ ...p, projectId: ok ? live.id : null })
    }
  }
  return out
}

export class RobotStore {
  constructor(private readonly db: Kysely<Database>) {}

  /** The robot of a row, its grants bound to project ids. */
  private async robotOf(r: Selectable<RobotTable>): Promise<Robot> {
    const robot = toRobot(r)
    return unbound(robot.permissions) ? { ...robot, permissions: await bindByName(this.db, robot) } : robot
  }

  async get(id: number): Promise<Robot | null> {
    const r = await this.db.selectFrom('robots').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : this.robotOf(r)
  }

  async getByName(name: string): Promise<Robot | null> {
    const r = await this.db.selectFrom('robots').selectAll().where('name', '=', name).executeTakeFirst()
    return r === undefined ? null : this.robotOf(r)
  }

  /** Robots matching `q`, optionally only those of some projects. */
  async list(q: ListQuery, projectIds?: number[]): Promise<Listed<Robot>> {
    let base = this.db.selectFrom('robots').selectAll()
    if (projectIds !== undefined) base = base.where('project_id', 'in', projectIds.length > 0 ? projectIds : [-1])
    const page = await listPage(base, q, ROBOT_FIELDS, { column: 'id', desc: false })
    return { items: await Promise.all(page.items.map((r) => this.robotOf(r))), total: page.total }
  }

  /** The current names of the live projects among `ids` (for showing grants by name). */
  async projectNames(ids: number[]): Promise<Map<number, string>> {
    const names = new Map<number, string>()
    const unique = [...new Set(ids)]
    // In slices, so that no statement carries more parameters than a database takes.
    for (let i = 0; i < unique.length; i += 500) {
      const rows = await this.db.selectFrom('projects').select(['id', 'name']).where('id', 'in', unique.slice(i, i + 500)).where('deleted', '=', 0).execute()
      for (const r of rows) names.set(r.id, r.name)
    }
    return names
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
