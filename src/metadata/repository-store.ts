// Repositories: created on first push, listed by the catalog in byte order.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from './stores.js'
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

  async list(page: Page): Promise<string[]> {
    let q = this.db.selectFrom('repositories').select('name').orderBy('name').limit(page.limit)
    if (page.after !== undefined) q = q.where('name', '>', page.after)
    return (await q.execute()).map((r) => r.name)
  }
}
