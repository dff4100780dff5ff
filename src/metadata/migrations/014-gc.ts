// Migration 014: what online garbage collection needs on each blob. `touched_at` is when a push
// last used the blob (uploaded, linked, mounted, asked for by HEAD); null means its created_at.
// `gc_mark` is null, the id of the collection that found the blob unreferenced (a candidate), or
// 'deleting' once a collection has committed to removing it (its bytes go next, then the row).
// Additive only: a node of the previous version neither reads nor writes them (see lifecycle.md).
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('blobs').addColumn('touched_at', 'text').execute()
  await db.schema.alterTable('blobs').addColumn('gc_mark', 'text').execute()
  // Only marked blobs are looked up by their mark, a page at a time in digest order: a partial
  // index that serves the order too stays small.
  await sql`create index blobs_gc_mark on blobs (gc_mark, digest) where gc_mark is not null`.execute(db)
  // "Is this blob some artifact's own manifest?" across repositories.
  await db.schema.createIndex('artifacts_digest').on('artifacts').column('digest').execute()
}
