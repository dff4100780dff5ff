// Migration 017: an index of the failed executions, so that the administrators' overview lists
// the latest failures of every kind of background work (and counts them) without reading the
// whole history, which webhook deliveries make long. Partial: successful runs, the most, are not
// in it. Additive only: version N ignores the index.
import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index executions_failed on executions (id) where status = 'Error'`.execute(db)
}
