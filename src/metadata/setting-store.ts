// System settings changed through the API, as JSON values by key.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'

export class SettingStore {
  constructor(private readonly db: Kysely<Database>) {}

  async all(): Promise<Record<string, unknown>> {
    const rows = await this.db.selectFrom('settings').select(['key', 'value']).execute()
    return Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value) as unknown]))
  }

  async put(values: Record<string, unknown>): Promise<void> {
    const now = nowIso()
    for (const [key, value] of Object.entries(values)) {
      await this.db
        .insertInto('settings')
        .values({ key, value: JSON.stringify(value), updated_at: now })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_at: now }))
        .execute()
    }
  }
}
