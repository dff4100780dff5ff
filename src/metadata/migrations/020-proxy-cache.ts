// Migration 020: proxy-cache projects. A project may name the registry it caches (Harbor's
// registry_id; null for an ordinary project), and short locks live in the database for nodes that
// share no Redis: a fetch from an upstream registry is made once across the nodes. Additive only:
// an older version ignores the column and the table.
import type { Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('projects').addColumn('registry_id', 'integer').execute()
  await db.schema.createIndex('projects_registry').on('projects').column('registry_id').execute()
  await db.schema
    .createTable('locks')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('token', 'text', (c) => c.notNull())
    // ISO time: the lock lapses then unless its holder extends it.
    .addColumn('until', 'text', (c) => c.notNull())
    .execute()
}
