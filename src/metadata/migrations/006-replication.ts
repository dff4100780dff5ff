// Migration 006: replication. Registries (credentials sealed with secret_key), policies,
// executions and their tasks, and the path of Berth instances each replicated artifact
// travelled (so that no instance sends it back along that path). Additive only.
import type { Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'
  const pk = (c: any) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey())

  await db.schema
    .createTable('registries')
    .addColumn('id', id as 'integer', pk)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('credential_type', 'text', (c) => c.notNull().defaultTo('basic'))
    .addColumn('access_key', 'text', (c) => c.notNull().defaultTo(''))
    // Sealed with secret_key (SecretBox); '' when there is none.
    .addColumn('access_secret', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('insecure', 'integer', (c) => c.notNull().defaultTo(0))
    // A Berth peer's instance id, learnt from its systeminfo: the name it has on replication paths.
    .addColumn('instance_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  // src_registry_id null: this registry is the source (push); dest_registry_id null: it is the destination (pull).
  await db.schema
    .createTable('replication_policies')
    .addColumn('id', id as 'integer', pk)
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('src_registry_id', ref as 'integer', (c) => c.references('registries.id'))
    .addColumn('dest_registry_id', ref as 'integer', (c) => c.references('registries.id'))
    .addColumn('dest_namespace', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('dest_namespace_replace_count', 'integer', (c) => c.notNull().defaultTo(-1))
    .addColumn('trigger_type', 'text', (c) => c.notNull())
    .addColumn('cron', 'text', (c) => c.notNull().defaultTo(''))
    // JSON: [{type, value, decoration}]
    .addColumn('filters', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('replicate_deletion', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('override', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    // KiB/s per task; -1 unlimited (Harbor's speed).
    .addColumn('speed', 'integer', (c) => c.notNull().defaultTo(-1))
    .addColumn('copy_by_chunk', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('replication_executions')
    .addColumn('id', id as 'integer', pk)
    .addColumn('policy_id', ref as 'integer', (c) => c.notNull().references('replication_policies.id').onDelete('cascade'))
    // InProgress | Succeed | Failed | Stopped
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_text', 'text', (c) => c.notNull().defaultTo(''))
    // manual | scheduled | event_based | reconcile
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('end_time', 'text')
    .execute()
  await db.schema.createIndex('replication_executions_policy').on('replication_executions').columns(['policy_id', 'status']).execute()
  // At most one execution in progress per policy, whichever node starts it.
  await db.schema
    .createIndex('replication_executions_active')
    .on('replication_executions')
    .column('policy_id')
    .unique()
    .where('status' as never, '=', 'InProgress' as never)
    .execute()

  await db.schema
    .createTable('replication_tasks')
    .addColumn('id', id as 'integer', pk)
    .addColumn('execution_id', ref as 'integer', (c) => c.notNull().references('replication_executions.id').onDelete('cascade'))
    // Pending | InProgress | Succeed | Failed | Stopped
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('src_resource', 'text', (c) => c.notNull())
    .addColumn('dst_resource', 'text', (c) => c.notNull())
    .addColumn('job_id', ref as 'integer')
    .addColumn('start_time', 'text')
    .addColumn('end_time', 'text')
    .execute()
  await db.schema.createIndex('replication_tasks_execution').on('replication_tasks').columns(['execution_id', 'status']).execute()

  await db.schema
    .createTable('artifact_paths')
    .addColumn('repository_id', ref as 'integer', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull())
    // Comma-separated instance ids, oldest first.
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('artifact_paths_pk', ['repository_id', 'digest'])
    .execute()
}
