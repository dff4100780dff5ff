// Migration 010: one execution/task model for every kind of background work, as Harbor has it.
// An execution is one run of something (a replication policy, a garbage collection, a retention
// policy, a webhook delivery, an audit-log purge), named by vendor_type and vendor_id; its tasks
// are the units that run as jobs. Replication's executions and tasks are copied in with their ids,
// so the URLs clients hold keep working.
//
// Expand/contract: replication_executions and replication_tasks stay (a node of the previous
// version still writes them during a rolling upgrade; what it starts there is not shown by the
// new nodes). A later migration drops them, once no version that writes them can be running.
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'
  const pk = (c: any) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey())

  await db.schema
    .createTable('executions')
    .addColumn('id', id as 'integer', pk)
    // REPLICATION | GARBAGE_COLLECTION | RETENTION | WEBHOOK | PURGE_AUDIT | ...
    .addColumn('vendor_type', 'text', (c) => c.notNull())
    // The policy it runs (0 for system work with no policy, such as garbage collection).
    .addColumn('vendor_id', ref as 'integer', (c) => c.notNull())
    // Pending | Running | Success | Error | Stopped
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_message', 'text', (c) => c.notNull().defaultTo(''))
    // MANUAL | SCHEDULE | EVENT | ... (the vendor's own words; replication: manual, scheduled, event_based, reconcile)
    .addColumn('trigger', 'text', (c) => c.notNull())
    // JSON: what the vendor keeps with the run (parameters, dry run, results).
    .addColumn('extra_attrs', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('start_time', 'text', (c) => c.notNull())
    .addColumn('end_time', 'text')
    .addColumn('update_time', 'text', (c) => c.notNull())
    .addColumn('concurrent', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
  await db.schema.createIndex('executions_vendor').on('executions').columns(['vendor_type', 'vendor_id', 'id']).execute()
  // At most one run in progress per vendor, whichever node starts it; kinds of work whose runs
  // may overlap (webhook deliveries: one run per event) say so with `concurrent`.
  await sql`create unique index executions_active on executions (vendor_type, vendor_id) where status = 'Running' and concurrent = 0`.execute(db)

  await db.schema
    .createTable('tasks')
    .addColumn('id', id as 'integer', pk)
    .addColumn('execution_id', ref as 'integer', (c) => c.notNull().references('executions.id').onDelete('cascade'))
    // Pending | Running | Success | Error | Stopped
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_message', 'text', (c) => c.notNull().defaultTo(''))
    // A vendor's kind of task, filterable (replication: the resource type).
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo(''))
    // What the task works on, filterable (replication: the source resource; retention: the repository).
    .addColumn('subject', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('extra_attrs', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('job_id', ref as 'integer')
    .addColumn('run_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('creation_time', 'text', (c) => c.notNull())
    .addColumn('start_time', 'text')
    .addColumn('end_time', 'text')
    .addColumn('update_time', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('tasks_execution').on('tasks').columns(['execution_id', 'status']).execute()

  const status = (col: string) =>
    sql.raw(`case ${col} when 'InProgress' then 'Running' when 'Succeed' then 'Success' when 'Failed' then 'Error' else ${col} end`)
  await sql`insert into executions (id, vendor_type, vendor_id, status, status_message, trigger, extra_attrs, start_time, end_time, update_time)
    select id, 'REPLICATION', policy_id, ${status('status')}, status_text, trigger, '{}', start_time, end_time, coalesce(end_time, start_time)
    from replication_executions`.execute(db)
  const json =
    dialect === 'postgres'
      ? sql`json_build_object('operation', operation, 'dst_resource', dst_resource)::text`
      : sql`json_object('operation', operation, 'dst_resource', dst_resource)`
  await sql`insert into tasks (id, execution_id, status, status_message, kind, subject, extra_attrs, job_id, run_count, creation_time, start_time, end_time, update_time)
    select t.id, t.execution_id, ${status('t.status')}, '', t.resource_type, t.src_resource, ${json}, t.job_id, case when t.start_time is null then 0 else 1 end,
      coalesce(t.start_time, e.start_time), t.start_time, t.end_time, coalesce(t.end_time, t.start_time, e.start_time)
    from replication_tasks t join replication_executions e on e.id = t.execution_id`.execute(db)
  if (dialect === 'postgres') {
    // Rows came in with their ids: new ones continue after them.
    for (const table of ['executions', 'tasks']) {
      await sql`select setval(pg_get_serial_sequence(${table}, 'id'), coalesce((select max(id) from ${sql.table(table)}), 0) + 1, false)`.execute(db)
    }
  }
}
