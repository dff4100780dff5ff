// Migration 016: tag retention policies, one per project (Harbor's retention_policy). The policy
// (algorithm, rules, trigger) is kept as Harbor's JSON in `policy`; the project's `retention_id`
// metadata points at the row. Additive only: version N ignores the new table.
import type { Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'
  const pk = (c: any) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey())

  await db.schema
    .createTable('retention_policies')
    .addColumn('id', id as 'integer', pk)
    .addColumn('project_id', ref as 'integer', (c) => c.notNull().unique().references('projects.id').onDelete('cascade'))
    // JSON: { algorithm, rules, trigger }, as Harbor's API writes it (validated before).
    .addColumn('policy', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
}
