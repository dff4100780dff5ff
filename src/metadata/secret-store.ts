// Sealed secrets by name. The first writer wins, so nodes starting together agree on one value.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'

export class SecretStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(name: string): Promise<string | null> {
    const r = await this.db.selectFrom('secrets').select('sealed').where('name', '=', name).executeTakeFirst()
    return r?.sealed ?? null
  }

  /** Secrets whose name starts with `prefix`, oldest first. */
  async list(prefix: string): Promise<{ name: string; sealed: string; createdAt: string }[]> {
    const rows = await this.db.selectFrom('secrets').select(['name', 'sealed', 'created_at']).where('name', 'like', `${prefix}%`).orderBy('created_at').orderBy('name').execute()
    return rows.filter((r) => r.name.startsWith(prefix)).map((r) => ({ name: r.name, sealed: r.sealed, createdAt: r.created_at }))
  }

  async delete(name: string): Promise<void> {
    await this.db.deleteFrom('secrets').where('name', '=', name).execute()
  }

  /** Stores `sealed` under `name` unless a value is there already; returns the value that is. */
  async putIfAbsent(name: string, sealed: string): Promise<string> {
    await this.db
      .insertInto('secrets')
      .values({ name, sealed, created_at: nowIso() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute()
    return (await this.get(name))!
  }
}
