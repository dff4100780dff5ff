// Projects: the first component of every repository name, with visibility and an owner.
import { sql, type Kysely, type Selectable } from 'kysely'
import type { Database, ProjectTable } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { QuotaStore, UNLIMITED } from './quota-store.js'
import { PreparedQuery } from './prepared.js'
import { listPage, type Fields, type ListQuery, type Listed } from './list-query.js'

export interface Project {
  id: number
  name: string
  public: boolean
  /** The registry a proxy-cache project caches; absent for an ordinary project. */
  registryId?: number
}

type ProjectRow = { id: number; name: string; public: number; registry_id: number | null }

function projectOf(row: ProjectRow): Project {
  const p: Project = { id: row.id, name: row.name, public: row.public === 1 }
  if (row.registry_id !== null) p.registryId = Number(row.registry_id)
  return p
}

/** A project's CVE allowlist: CVE ids and when it stops applying (unix seconds; null: never). */
export interface CveAllowlist {
  expiresAt: number | null
  items: string[]
  createdAt: string
  updatedAt: string
}

export interface ProjectDetail extends Project {
  ownerId: number | null
  /** Harbor's metadata keys other than `public`, with Harbor's string values. */
  metadata: Record<string, string>
  cveAllowlist: CveAllowlist | null
  ownerName: string | null
  repoCount: number
  createdAt: string
  updatedAt: string
}

/** Who is asking for a list: everything (sysadmin), or public projects plus those of a user's memberships. */
export type ProjectScope = { all: true } | { all: false; userId?: number; groupIds?: number[] }

export const PROJECT_FIELDS: Fields = {
  name: { column: 'projects.name' },
  project_id: { column: 'projects.id', type: 'int' },
  public: { column: 'projects.public', type: 'bool' },
  owner_id: { column: 'projects.owner_id', type: 'int', sortable: false },
  creation_time: { column: 'projects.created_at', type: 'time' },
  update_time: { column: 'projects.updated_at', type: 'time' },
}

export class ProjectStore {
  // A deleted project keeps its row under a tombstone name ("<name>#<id>"): never found by name.
  private readonly byName = new PreparedQuery<ProjectRow, [name: string]>((db) =>
    db.selectFrom('projects').select(['id', 'name', 'public', 'registry_id']).where('name', '=', '').where(sql<boolean>`deleted = 0`),
  )

  constructor(private readonly db: Kysely<Database>) {}

  async get(name: string): Promise<Project | null> {
    const row = await this.byName.first(this.db, name)
    return row === undefined ? null : projectOf(row)
  }

  async getById(id: number): Promise<Project | null> {
    const row = await this.db.selectFrom('projects').select(['id', 'name', 'public', 'registry_id']).where('id', '=', id).where('deleted', '=', 0).executeTakeFirst()
    return row === undefined ? null : projectOf(row)
  }

  /** Names of the (not deleted) proxy-cache projects that cache the registry, at most `limit`. */
  async usingRegistry(registryId: number, limit = 20): Promise<string[]> {
    const rows = await this.db.selectFrom('projects').select('name').where('registry_id', '=', registryId).where('deleted', '=', 0).orderBy('name').limit(limit).execute()
    return rows.map((r) => r.name)
  }

  /**
   * Creates the project if missing (with storage limit `hard`); an existing project is left as it
   * is, except that an ownerless one gets `ownerId`.
   */
  async ensure(name: string, isPublic: boolean, ownerId: number | null = null, hard = UNLIMITED): Promise<Project> {
    await this.create(name, isPublic, ownerId, hard)
    if (ownerId !== null) await this.db.updateTable('projects').set({ owner_id: ownerId }).where('name', '=', name).where('owner_id', 'is', null).execute()
    return (await this.get(name))!
  }

  /**
   * Creates a project with its quota (`hard` bytes, -1: no limit), a proxy cache of `registryId`
   * when given; null when the name is taken.
   */
  async create(name: string, isPublic: boolean, ownerId: number | null, hard = UNLIMITED, registryId: number | null = null): Promise<Project | null> {
    const now = nowIso()
    const r = await this.db
      .insertInto('projects')
      .values({ name, public: isPublic ? 1 : 0, owner_id: ownerId, created_at: now, updated_at: now, registry_id: registryId })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst()
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return null
    const project = await this.get(name)
    if (project !== null) await new QuotaStore(this.db).ensure(project.id, hard)
    return project
  }

  async setPublic(id: number, isPublic: boolean): Promise<void> {
    await this.db.updateTable('projects').set({ public: isPublic ? 1 : 0, updated_at: nowIso() }).where('id', '=', id).execute()
  }

  /** Sets metadata keys (other than `public`) to the given values; null removes a key. */
  async setMetadata(id: number, values: Record<string, string | null>): Promise<void> {
    const now = nowIso()
    for (const [name, value] of Object.entries(values)) {
      if (value === null) {
        await this.db.deleteFrom('project_metadata').where('project_id', '=', id).where('name', '=', name).execute()
        continue
      }
      await this.db
        .insertInto('project_metadata')
        .values({ project_id: id, name, value, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['project_id', 'name']).doUpdateSet({ value, updated_at: now }))
        .execute()
    }
    if (Object.keys(values).length > 0) await this.db.updateTable('projects').set({ updated_at: now }).where('id', '=', id).execute()
  }

  /** Replaces the project's CVE allowlist. */
  async setCveAllowlist(id: number, list: { expiresAt: number | null; items: string[] }): Promise<void> {
    const now = nowIso()
    const items = JSON.stringify(list.items)
    await this.db
      .insertInto('project_cve_allowlists')
      .values({ project_id: id, expires_at: list.expiresAt, items, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('project_id').doUpdateSet({ expires_at: list.expiresAt, items, updated_at: now }))
      .execute()
    await this.db.updateTable('projects').set({ updated_at: now }).where('id', '=', id).execute()
  }

  /**
   * Deletes a project that has no repositories; false when it has some (or is gone). The row
   * stays, renamed to `name#id` and marked deleted, so that its id is never given to another
   * project (whose members would otherwise read its audit entries); its members and robots go.
   */
  async deleteIfEmpty(id: number): Promise<boolean> {
    const r = await this.db
      .updateTable('projects')
      .set({ deleted: 1, public: 0, name: sql<string>`name || '#' || ${sql.ref('id')}`, updated_at: nowIso() })
      .where('id', '=', id)
      .where('deleted', '=', 0)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('repositories').select('id').where('project_id', '=', id))))
      .executeTakeFirst()
    if (Number(r.numUpdatedRows) === 0) return false
    await this.db.deleteFrom('project_members').where('project_id', '=', id).execute()
    await this.db.deleteFrom('robots').where('project_id', '=', id).execute()
    await this.db.deleteFrom('project_metadata').where('project_id', '=', id).execute()
    await new QuotaStore(this.db).remove(id)
    await this.db.deleteFrom('project_cve_allowlists').where('project_id', '=', id).execute()
    return true
  }

  async detail(ids: number[]): Promise<ProjectDetail[]> {
    if (ids.length === 0) return []
    const rows = await this.detailQuery().where('projects.id', 'in', ids).execute()
    return this.withMetadata(rows)
  }

  /**
   * Details from rows, with the repository counts, metadata and allowlists of all of them read in
   * three queries. The counts are grouped over the page's projects only: a count per row in the
   * listing's select list was run for every row, and PostgreSQL ran each as a sequential scan of
   * all repositories when one project held most of them (200 ms for a page of 25 at 10,000).
   */
  private async withMetadata(rows: DetailRow[]): Promise<ProjectDetail[]> {
    if (rows.length === 0) return []
    const ids = rows.map((r) => r.id)
    const counts = await this.db.selectFrom('repositories').select(['project_id', sql<number>`count(*)`.as('n')]).where('project_id', 'in', ids).groupBy('project_id').execute()
    const repoCount = new Map(counts.map((c) => [Number(c.project_id), Number(c.n)]))
    const meta = await this.db.selectFrom('project_metadata').select(['project_id', 'name', 'value']).where('project_id', 'in', ids).orderBy('name').execute()
    const lists = await this.db.selectFrom('project_cve_allowlists').selectAll().where('project_id', 'in', ids).execute()
    return rows.map((r) => {
      const metadata: Record<string, string> = {}
      for (const m of meta) if (Number(m.project_id) === r.id) metadata[m.name] = m.value
      const l = lists.find((x) => Number(x.project_id) === r.id)
      const cveAllowlist =
        l === undefined ? null : { expiresAt: l.expires_at === null ? null : Number(l.expires_at), items: JSON.parse(l.items) as string[], createdAt: l.created_at, updatedAt: l.updated_at }
      return { ...toDetail(r, repoCount.get(r.id) ?? 0), metadata, cveAllowlist }
    })
  }

  async list(q: ListQuery, scope: ProjectScope): Promise<Listed<ProjectDetail>> {
    let base = this.detailQuery()
    if (!scope.all) {
      const { userId, groupIds = [] } = scope
      base = base.where((eb) =>
        eb.or([
          eb('projects.public', '=', 1),
          eb(
            'projects.id',
            'in',
            eb
              .selectFrom('project_members')
              .select('project_id')
              .where((m) =>
                m.or([
                  m.and([m('entity_type', '=', 'u'), m('entity_id', '=', userId ?? -1)]),
                  ...(groupIds.length > 0 ? [m.and([m('entity_type', '=', 'g'), m('entity_id', 'in', groupIds)])] : []),
                ]),
              ),
          ),
        ]),
      )
    }
    const page = await listPage(base, q, PROJECT_FIELDS, { column: 'projects.name', desc: false })
    return { items: await this.withMetadata(page.items), total: page.total }
  }

  private detailQuery() {
    return this.db
      .selectFrom('projects')
      .where('projects.deleted', '=', 0)
      .leftJoin('users', 'users.id', 'projects.owner_id')
      .select([
        'projects.id',
        'projects.name',
        'projects.public',
        'projects.owner_id',
        'projects.created_at',
        'projects.updated_at',
        'projects.registry_id',
        'users.username as owner_name',
      ])
  }
}

type DetailRow = Pick<Selectable<ProjectTable>, 'id' | 'name' | 'public' | 'owner_id' | 'created_at' | 'updated_at' | 'registry_id'> & {
  owner_name: string | null
}

function toDetail(r: DetailRow, repoCount: number): Omit<ProjectDetail, 'metadata' | 'cveAllowlist'> {
  return {
    ...projectOf(r),
    ownerId: r.owner_id,
    ownerName: r.owner_name,
    repoCount,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}
