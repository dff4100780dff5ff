// Migration 012: tag immutability rules, per project (Harbor's immutable_tag_rule). The rule's
// selectors, action and template are kept as Harbor's JSON in `rule`; `disabled` and `priority`
// are columns because they are changed and sorted on their own. Additive only: version N
// ignores the new table.
import type { Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'
  const pk = (c: any) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey())

  await db.schema
    .createTable('immutable_rules')
    .addColumn('id', id as 'integer', pk)
    .addColumn('project_id', ref as 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    // JSON: { action, template, params, tag_selectors, scope_selectors }, as Harbor's API writes it.
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('immutable_rules_project').on('immutable_rules').column('project_id').execute()
}
