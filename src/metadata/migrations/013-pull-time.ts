// Migration 013: when each artifact, and each tag, was last pulled (Harbor's pull_time), written
// in batches by the pull recorder. Additive only: an older version ignores the columns.
import type { Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('artifacts').addColumn('pull_time', 'text').execute()
  await db.schema.alterTable('tags').addColumn('pull_time', 'text').execute()
}
