// Migration 005: the durable job service. Jobs are rows with a lease and a heartbeat (any
// node's workers claim them), their log lines, paused queues, cron schedules (fired by the node
// that wins a compare-and-set on the next run time) and the worker pools that are alive.
// Additive only.
import type { Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'
  const pk = (c: any) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey())

  // state: pending | running | success | error (retries exhausted: the dead letter) | stopped.
  await db.schema
    .createTable('jobs')
    .addColumn('id', id as 'integer', pk)
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'text')
    .addColumn('stop_requested', 'integer', (c) => c.notNull().defaultTo(0))
    // Enqueueing the same work twice (one event seen by two nodes) makes one job.
    .addColumn('dedupe_key', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute()
  await db.schema.createIndex('jobs_claim').on('jobs').columns(['state', 'run_at', 'id']).execute()
  await db.schema.createIndex('jobs_type_state').on('jobs').columns(['type', 'state']).execute()
  await db.schema.createIndex('jobs_dedupe').on('jobs').column('dedupe_key').unique().execute()

  await db.schema
    .createTable('job_logs')
    .addColumn('id', id as 'integer', pk)
    .addColumn('job_id', ref as 'integer', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('line', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('job_logs_job').on('job_logs').columns(['job_id', 'id']).execute()

  await db.schema
    .createTable('job_queues')
    .addColumn('type', 'text', (c) => c.primaryKey())
    .addColumn('paused', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  // vendor_type/vendor_id: what the schedule belongs to (Harbor's names), e.g. a replication policy.
  await db.schema
    .createTable('schedules')
    .addColumn('id', id as 'integer', pk)
    .addColumn('vendor_type', 'text', (c) => c.notNull())
    .addColumn('vendor_id', ref as 'integer', (c) => c.notNull())
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('job_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('next_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('schedules_vendor').on('schedules').columns(['vendor_type', 'vendor_id']).unique().execute()
  await db.schema.createIndex('schedules_due').on('schedules').column('next_at').execute()

  await db.schema
    .createTable('worker_pools')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('concurrency', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('heartbeat_at', 'text', (c) => c.notNull())
    .execute()
}
