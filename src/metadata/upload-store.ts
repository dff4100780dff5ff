// Upload sessions: a row per session, so any node can find and continue it, and count a caller's.
import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'

export interface UploadRow {
  id: string
  repository: string
  size: number
  createdAt: string
  updatedAt: string
}

export class UploadStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(id: string, repository: string, owner: string | null = null): Promise<void> {
    const now = nowIso()
    await this.db.insertInto('uploads').values({ id, repository, owner, created_at: now, updated_at: now }).execute()
  }

  /**
   * Opens a session for `owner` unless they already have `max` open: false then. Count and insert
   * are one statement, so concurrent openings on one connection cannot both pass; statements
   * running at the same time on other connections can (PostgreSQL, read committed), each at most
   * once past the cap.
   */
  async createOwned(id: string, repository: string, owner: string, max: number): Promise<boolean> {
    const now = nowIso()
    const text = (v: string) => sql`cast(${v} as text)`
    const r = await sql`
      insert into "uploads" ("id", "repository", "owner", "created_at", "updated_at")
      select ${text(id)}, ${text(repository)}, ${text(owner)}, ${text(now)}, ${text(now)}
      where (select count(*) from "uploads" where "owner" = ${owner}) < ${max}`.execute(this.db)
    return Number(r.numAffectedRows ?? 0) > 0
  }

  async get(id: string): Promise<UploadRow | null> {
    const r = await this.db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : { id: r.id, repository: r.repository, size: Number(r.size), createdAt: r.created_at, updatedAt: r.updated_at }
  }

  /** Records a chunk: the new acknowledged size, only if the size is still `from`. */
  async advance(id: string, from: number, to: number): Promise<boolean> {
    const r = await this.db
      .updateTable('uploads')
      .set({ size: to, updated_at: nowIso() })
      .where('id', '=', id)
      .where('size', '=', from)
      .executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('uploads').where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  /** Sessions untouched since `before` (ISO time), oldest first. */
  async listIdle(before: string, limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('uploads').select('id').where('updated_at', '<', before).orderBy('updated_at').limit(limit).execute()
    return rows.map((r) => r.id)
  }
}
