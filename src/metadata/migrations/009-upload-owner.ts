// Migration 009: who opened each upload session (the user or robot name), so that open sessions
// can be counted per caller across nodes. Additive only: sessions opened by an older version
// have no owner and count for nobody.
import type { Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('uploads').addColumn('owner', 'text').execute()
  await db.schema.createIndex('uploads_owner').on('uploads').column('owner').execute()
}
