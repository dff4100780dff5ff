// Upload sessions: a row per session, so any node can find and continue it.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from './stores.js'

export interface UploadRow {
  id: string
  repository: string
  size: number
  createdAt: string
  updatedAt: string
}

export class UploadStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(id: string, repository: string): Promise<void> {
    const now = nowIso()
    await this.db.insertInto('uploads').values({ id, repository, created_at: now, updated_at: now }).execute()
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
