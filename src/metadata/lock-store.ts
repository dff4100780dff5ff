// Short locks in the database: what nodes that share a database but no Redis use to do a thing
// once across the cluster (fetch a blob from an upstream registry). A lock is a row with its
// holder's random token and the time it lapses; the holder extends it while it works and
// deletes it after. A holder that died leaves a row that lapses; the next taker replaces it.
// Same shape as the cache module's Locks, so either serves wherever a lock is needed.
import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

export interface DbLease {
  /** Keeps the lock `ms` longer; false when it lapsed and another holder may have it. */
  extend(ms: number): Promise<boolean>
  release(): Promise<void>
}

export class LockStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `name` for `ttlMs`, or null while another holder has it. */
  async acquire(name: string, ttlMs: number): Promise<DbLease | null> {
    const token = randomBytes(12).toString('base64url')
    const at = new Date(this.now()).toISOString()
    // A lapsed holder's row goes first; two takers racing for it meet at the primary key below.
    await this.db.deleteFrom('locks').where('name', '=', name).where('until', '<', at).execute()
    const r = await this.db
      .insertInto('locks')
      .values({ name, token, until: this.until(ttlMs) })
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst()
    if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return null
    return {
      extend: async (ms) => {
        const u = await this.db.updateTable('locks').set({ until: this.until(ms) }).where('name', '=', name).where('token', '=', token).executeTakeFirst()
        return Number(u.numUpdatedRows) > 0
      },
      release: async () => {
        await this.db.deleteFrom('locks').where('name', '=', name).where('token', '=', token).execute()
      },
    }
  }

  private until(ms: number): string {
    return new Date(this.now() + ms).toISOString()
  }
}
