// Projects: the first component of every repository name.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from './stores.js'
import { PreparedQuery } from './prepared.js'

export interface Project {
  id: number
  name: string
  public: boolean
}

export class ProjectStore {
  private readonly byName = new PreparedQuery<{ id: number; name: string; public: number }, [name: string]>((db) =>
    db.selectFrom('projects').select(['id', 'name', 'public']).where('name', '=', ''),
  )

  constructor(private readonly db: Kysely<Database>) {}

  async get(name: string): Promise<Project | null> {
    const row = await this.byName.first(this.db, name)
    return row === undefined ? null : { id: row.id, name: row.name, public: row.public === 1 }
  }

  /** Creates the project if missing; an existing project is left as it is. */
  async ensure(name: string, isPublic: boolean): Promise<Project> {
    const now = nowIso()
    await this.db
      .insertInto('projects')
      .values({ name, public: isPublic ? 1 : 0, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute()
    return (await this.get(name))!
  }
}
