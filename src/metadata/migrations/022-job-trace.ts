// Migration 022: a job remembers the trace of what enqueued it (a W3C traceparent, null when that
// was not traced), so that its run continues that trace: a push's replication shows in the push's
// trace. Additive only: an older version ignores the column and writes null.
import type { Kysely } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('trace_parent', 'text').execute()
}
