// Blob records and repository links: which repository may serve which stored blob.
import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from './stores.js'
import { missingDigests } from './missing-digests.js'
import { PreparedQuery } from './prepared.js'

export class BlobLinkStore {
  private readonly linked = new PreparedQuery<{ size: number }, [repository: string, digest: string]>((db) =>
    db
      .selectFrom('repository_blobs as rb')
      .innerJoin('repositories as r', 'r.id', 'rb.repository_id')
      .innerJoin('blobs as b', 'b.digest', 'rb.digest')
      .select('b.size')
      .where('r.name', '=', '')
      .where('rb.digest', '=', ''),
  )

  constructor(private readonly db: Kysely<Database>) {}

  /** Records stored content (idempotent). */
  async record(digest: string, size: number): Promise<void> {
    await this.db
      .insertInto('blobs')
      .values({ digest, size, created_at: nowIso() })
      .onConflict((oc) => oc.column('digest').doNothing())
      .execute()
  }

  /** Links a recorded blob into a repository (idempotent). */
  async link(repositoryId: number, digest: string): Promise<void> {
    await this.db
      .insertInto('repository_blobs')
      .values({ repository_id: repositoryId, digest, created_at: nowIso() })
      .onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing())
      .execute()
  }

  /** The size of a blob if it is linked into the named repository. */
  async get(repository: string, digest: string): Promise<{ size: number } | null> {
    const row = await this.linked.first(this.db, repository, digest)
    return row === undefined ? null : { size: Number(row.size) }
  }

  async unlink(repositoryId: number, digest: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('repository_blobs')
      .where('repository_id', '=', repositoryId)
      .where('digest', '=', digest)
      .executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  /** Names of repositories that link the blob, in byte order. */
  async repositoriesWith(digest: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('repository_blobs as rb')
      .innerJoin('repositories as r', 'r.id', 'rb.repository_id')
      .select('r.name')
      .where('rb.digest', '=', digest)
      .orderBy('r.name')
      .limit(limit)
      .execute()
    return rows.map((r) => r.name)
  }

  /** Of the given digests, those not linked into the repository. */
  missing(repositoryId: number, digests: string[]): Promise<string[]> {
    return missingDigests(this.db, 'repository_blobs', repositoryId, digests)
  }
}
