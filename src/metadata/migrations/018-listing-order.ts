// Migration 018: the console's artifact list shows the newest push first. Without an index in
// that order, a page of 25 sorted all of a repository's listed artifacts (130 ms at 100,000 on
// either database); with this one it is a backward walk of the index from the page's offset,
// the id as the tie-breaker the listing sorts by last (list-query.ts). Additive only.
import type { Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.createIndex('artifacts_listing_pushed').on('artifacts').columns(['repository_id', 'listed', 'created_at', 'id']).execute()
}
