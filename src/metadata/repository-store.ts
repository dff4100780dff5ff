// Repositories: created on first push, listed by the catalog in byte order.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { PreparedQuery } from './prepared.js'

export interface Repository {
  id: number
  projectId: number
  name: string
}

export interface Page {
  /** Maximum number of items. */
  limit: number
  /** Return items strictly after this one. */
  after?: string
}

/**
 * Which projects' repositories a reader may pull from: all of them, or public ones (when the
 * public role pulls), those where a user or one of their groups holds one of `roleIds`, and
 * those named (a robot's grants).
 */
export type ReadScope =
  | { all: true }
  | { all: false; publicProjects: boolean; userId?: number; groupIds?: number[]; roleIds?: number[]; projectIds?: number[] }

export class RepositoryStore {
  private readonly byName = new PreparedQuery<{ id: number; project_id: number; name: string }, [name: string]>((db) =>
    db.selectFrom('repositories').select(['id', 'project_id', 'name']).where('name', '=', ''),
  )

  constructor(private readonly db: Kysely<Database>) {}

  async get(name: string): Promise<Repository | null> {
    const row = await this.byName.first(this.db, name)
    return row === undefined ? null : { id: row.id, projectId: row.project_id, name: row.name }
  }

  async ensure(projectId: number, name: string): Promise<Repository> {
    const existing = await this.get(name)
    if (existing !== null) return existing
    const now = nowIso()
    await this.db
      .insertInto('repositories')
      .values({ project_id: projectId, name, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute()
    return (await this.get(name))!
  }

  async touch(id: number): Promise<void> {
    await this.db.updateTable('repositories').set({ updated_at: nowIso() }).where('id', '=', id).execute()
  }

  /**
   * Repository names in byte order, of the projects `scope` admits. The scope is part of the
   * query, so a page (and where the next one starts) holds only what the reader may see.
   */
  async list(page: Page, scope: ReadScope): Promise<string[]> {
    let q = this.db.selectFrom('repositories as r').select('r.name').orderBy('r.name').limit(page.limit)
    if (page.after !== undefined) q = q.where('r.name', '>', page.after)
    if (!scope.all) {
      const { publicProjects, userId, groupIds = [], roleIds = [], projectIds = [] } = scope
      q = q.where('r.project_id', 'in', (eb) =>
        eb
          .selectFrom('projects as p')
          .select('p.id')
          .where('p.deleted', '=', 0)
          .where((p) =>
            p.or([
              ...(publicProjects ? [p('p.public', '=', 1)] : []),
              ...(projectIds.length > 0 ? [p('p.id', 'in', projectIds)] : []),
              ...(roleIds.length > 0 && (userId !== undefined || groupIds.length > 0)
                ? [
                    p(
                      'p.id',
                      'in',
                      p
                        .selectFrom('project_members as m')
                        .select('m.project_id')
                        .where('m.role_id', 'in', roleIds)
                        .where((m) =>
                          m.or([
                            ...(userId !== undefined ? [m.and([m('m.entity_type', '=', 'u'), m('m.entity_id', '=', userId)])] : []),
                            ...(groupIds.length > 0 ? [m.and([m('m.entity_type', '=', 'g'), m('m.entity_id', 'in', groupIds)])] : []),
                          ]),
                        ),
                    ),
                  ]
                : []),
            ]),
          ),
      )
    }
    return (await q.execute()).map((r) => r.name)
  }
}
