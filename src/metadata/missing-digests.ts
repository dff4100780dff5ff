// Which of a list of digests a repository lacks, in a table keyed by (repository_id, digest).
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

/** Digests per query: well under SQLite's and PostgreSQL's bound-parameter limits. */
const BATCH = 500

export async function missingDigests(
  db: Kysely<Database>,
  table: 'artifacts' | 'repository_blobs',
  repositoryId: number,
  digests: string[],
): Promise<string[]> {
  const unique = [...new Set(digests)]
  const found = new Set<string>()
  for (let i = 0; i < unique.length; i += BATCH) {
    const rows = await db
      .selectFrom(table)
      .select('digest')
      .where('repository_id', '=', repositoryId)
      .where('digest', 'in', unique.slice(i, i + BATCH))
      .execute()
    for (const r of rows) found.add(r.digest)
  }
  return unique.filter((d) => !found.has(d))
}
