// Blob records and repository links: which repository may serve which stored blob, and the
// marks garbage collection leaves on blobs (see docs/lifecycle.md, Garbage collection).
import { PostgresAdapter, type Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { missingDigests } from './missing-digests.js'
import { PreparedQuery } from './prepared.js'

/** The mark of a blob garbage collection is removing: its bytes may be gone any moment. */
export const DELETING = 'deleting'

/** A linked blob as a pull or a HEAD sees it, with what garbage collection needs to know. */
export interface LinkedBlob {
  size: number
  /** When a push last used it (ISO time). */
  touchedAt: string
  gcMark: string | null
}

/** Digests per statement: well under both dialects' bound-parameter limits. */
const BATCH = 500

export class BlobLinkStore {
  private readonly linked = new PreparedQuery<{ size: number; touched_at: string | null; created_at: string; gc_mark: string | null }, [repository: string, digest: string]>((db) =>
    db
      .selectFrom('repository_blobs as rb')
      .innerJoin('repositories as r', 'r.id', 'rb.repository_id')
      .innerJoin('blobs as b', 'b.digest', 'rb.digest')
      .select(['b.size', 'b.touched_at', 'b.created_at', 'b.gc_mark'])
      .where('r.name', '=', '')
      .where('rb.digest', '=', ''),
  )

  constructor(private readonly db: Kysely<Database>) {}

  /** Records stored content (idempotent). */
  async record(digest: string, size: number): Promise<void> {
    const now = nowIso()
    await this.db
      .insertInto('blobs')
      .values({ digest, size, created_at: now, touched_at: now })
      .onConflict((oc) => oc.column('digest').doNothing())
      .execute()
  }

  /**
   * Links a recorded blob into a repository (idempotent), claiming it for the push (see `claim`).
   * False, linking nothing, when there is no such blob or garbage collection is removing it.
   */
  async link(repositoryId: number, digest: string): Promise<boolean> {
    if ((await this.claim([digest])).length === 0) return false
    await this.db
      .insertInto('repository_blobs')
      .values({ repository_id: repositoryId, digest, created_at: nowIso() })
      .onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing())
      .execute()
    return true
  }

  /**
   * Tells garbage collection a push uses these blobs now: each is touched (so it is fresh for
   * the collection's time window) and loses a collection's candidate mark. Returns the digests
   * claimed; a blob that does not exist or is being removed ('deleting') is not. On PostgreSQL
   * the update row-locks each blob until the caller's transaction ends, so a collection deciding
   * about it meanwhile waits and then sees the claim.
   */
  async claim(digests: string[]): Promise<string[]> {
    const now = nowIso()
    const claimed: string[] = []
    const unique = [...new Set(digests)].sort()
    for (let i = 0; i < unique.length; i += BATCH) {
      const rows = await this.db
        .updateTable('blobs')
        .set({ touched_at: now, gc_mark: null })
        .where('digest', 'in', unique.slice(i, i + BATCH))
        .where((eb) => eb.or([eb('gc_mark', 'is', null), eb('gc_mark', '<>', DELETING)]))
        .returning('digest')
        .execute()
      for (const r of rows) claimed.push(r.digest)
    }
    return claimed
  }

  /**
   * The blobs a manifest is about to reference that garbage collection is removing. Locks each
   * row against a collection (FOR SHARE on PostgreSQL, so pushes sharing a layer do not wait for
   * each other) until the caller's transaction ends: a collection that comes later waits, then
   * sees the manifest's references and keeps the blobs. Call it before checking the links.
   */
  async lockInUse(digests: string[]): Promise<string[]> {
    const deleting: string[] = []
    const unique = [...new Set(digests)].sort()
    const pg = this.db.getExecutor().adapter instanceof PostgresAdapter
    for (let i = 0; i < unique.length; i += BATCH) {
      const rows = await this.db
        .selectFrom('blobs')
        .select(['digest', 'gc_mark'])
        .where('digest', 'in', unique.slice(i, i + BATCH))
        .$if(pg, (q) => q.forShare())
        .execute()
      for (const r of rows) if (r.gc_mark === DELETING) deleting.push(r.digest)
    }
    return deleting
  }

  /** A blob linked into the named repository, with its garbage-collection state. */
  async get(repository: string, digest: string): Promise<LinkedBlob | null> {
    const row = await this.linked.first(this.db, repository, digest)
    return row === undefined ? null : { size: Number(row.size), touchedAt: row.touched_at ?? row.created_at, gcMark: row.gc_mark }
  }

  /** Whether a blob's record exists, and whether garbage collection is removing it. */
  async state(digest: string): Promise<'absent' | 'present' | 'deleting'> {
    const row = await this.db.selectFrom('blobs').select('gc_mark').where('digest', '=', digest).executeTakeFirst()
    return row === undefined ? 'absent' : row.gc_mark === DELETING ? 'deleting' : 'present'
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
