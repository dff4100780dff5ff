// Migration 015: webhook policies, Harbor's notification policies. Each belongs to a project and
// names its targets (address, notify type, payload format, and an auth header and signing secret
// sealed with secret_key) and the event types it wants. Deliveries are executions of vendor type
// WEBHOOK (migration 010), one per event and policy, a task per target. Additive only.
import type { Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'
  const pk = (c: any) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey())

  await db.schema
    .createTable('webhook_policies')
    .addColumn('id', id as 'integer', pk)
    .addColumn('project_id', ref as 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    // JSON: [{type, address, auth_header (sealed), signing_secret (sealed), skip_cert_verify, payload_format}]
    .addColumn('targets', 'text', (c) => c.notNull())
    // JSON: ["PUSH_ARTIFACT", ...]
    .addColumn('event_types', 'text', (c) => c.notNull())
    .addColumn('creator', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('webhook_policies_project_name', ['project_id', 'name'])
    .execute()
}
