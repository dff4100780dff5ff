// What garbage collection asks of the database: unreferenced blobs, marks, the conditional
// decision to remove a batch, and untagged artifacts. The safety argument is in
// docs/lifecycle.md (Garbage collection); the registry's side of it is in blob-link-store.ts.
import type { Kysely } from 'kysely'
import type { Database, Db } from './schema.js'
import { DELETING } from './blob-link-store.js'

export interface BlobRow {
  digest: string
  size: number
}

export interface UntaggedArtifact {
  id: number
  repository: string
  digest: string
}

/** Digests or ids per statement: under both dialects' bound-parameter limits. */
const IN_BATCH = 1000

async function inBatches<T, R>(items: readonly T[], fn: (batch: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = []
  for (let i = 0; i < items.length; i += IN_BATCH) out.push(...(await fn(items.slice(i, i + IN_BATCH))))
  return out
}

export class GcStore {
  constructor(private readonly db: Db) {}

  private get k(): Kysely<Database> {
    return this.db.kysely
  }

  /**
   * Blobs no manifest references (no artifact's layer, config, child or own manifest), not
   * used by a push since `cutoff` (uploaded, touched, or linked into a repository), in digest
   * order after `after`. Blobs being removed are not listed.
   */
  async unreferenced(cutoff: string, after: string, limit: number): Promise<BlobRow[]> {
    const rows = await this.k
      .selectFrom('blobs as b')
      .select(['b.digest', 'b.size'])
      .where('b.digest', '>', after)
      .where((eb) => eb.or([eb('b.gc_mark', 'is', null), eb('b.gc_mark', '<>', DELETING)]))
      .where((eb) => eb(eb.fn.coalesce('b.touched_at', 'b.created_at'), '<', cutoff))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('artifact_references as ar').select('ar.digest').whereRef('ar.digest', '=', 'b.digest'))))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('artifacts as a').select('a.id').whereRef('a.digest', '=', 'b.digest'))))
      .where((eb) => eb.not(eb.exists(eb.selectFrom('repository_blobs as rb').select('rb.digest').whereRef('rb.digest', '=', 'b.digest').where('rb.created_at', '>=', cutoff))))
      .orderBy('b.digest')
      .limit(limit)
      .execute()
    return rows.map((r) => ({ digest: r.digest, size: Number(r.size) }))
  }

  /** Marks blobs as candidates of the run `mark` (a blob being removed keeps its state). */
  async mark(digests: string[], mark: string): Promise<void> {
    await inBatches(digests, async (batch) => {
      await this.k
        .updateTable('blobs')
        .set({ gc_mark: mark })
        .where('digest', 'in', batch)
        .where((eb) => eb.or([eb('gc_mark', 'is', null), eb('gc_mark', '<>', DELETING)]))
        .execute()
      return []
    })
  }

  /** Blobs still carrying `mark` (DELETING: those a run left half removed), in digest order after `after`. */
  async marked(mark: string, after: string, limit: number): Promise<BlobRow[]> {
    const rows = await this.k.selectFrom('blobs').select(['digest', 'size']).where('gc_mark', '=', mark).where('digest', '>', after).orderBy('digest').limit(limit).execute()
    return rows.map((r) => ({ digest: r.digest, size: Number(r.size) }))
  }

  /**
   * Decides about a batch of the run's candidates, in one transaction: locks the rows that
   * still carry `mark` (a push that claimed one meanwhile cleared it; on PostgreSQL one
   * claiming it now is waited for), then, reading afresh, keeps those that gained a reference,
   * a recent link or a touch, and sets the rest to DELETING and drops their links. Returns the
   * blobs to remove; their bytes go next, then `drop` removes the rows.
   */
  async condemn(digests: string[], mark: string, cutoff: string): Promise<BlobRow[]> {
    if (digests.length === 0) return []
    const pg = this.db.dialect === 'postgres'
    return this.k.transaction().execute(async (trx) => {
      const locked = await trx
        .selectFrom('blobs')
        .select(['digest', 'size', 'touched_at', 'created_at'])
        .where('digest', 'in', digests)
        .where('gc_mark', '=', mark)
        .orderBy('digest')
        .$if(pg, (q) => q.forUpdate())
        .execute()
      if (locked.length === 0) return []
      const names = locked.map((r) => r.digest)
      // New statements: on PostgreSQL (read committed) they see what committed while we waited.
      const keep = new Set<string>()
      for (const r of await trx.selectFrom('artifact_references').select('digest').where('digest', 'in', names).execute()) keep.add(r.digest)
      for (const r of await trx.selectFrom('artifacts').select('digest').where('digest', 'in', names).execute()) keep.add(r.digest)
      for (const r of await trx.selectFrom('repository_blobs').select('digest').where('digest', 'in', names).where('created_at', '>=', cutoff).execute()) keep.add(r.digest)
      for (const r of locked) if ((r.touched_at ?? r.created_at) >= cutoff) keep.add(r.digest)
      const garbage = locked.filter((r) => !keep.has(r.digest))
      const kept = names.filter((d) => keep.has(d))
      if (kept.length > 0) await trx.updateTable('blobs').set({ gc_mark: null }).where('digest', 'in', kept).where('gc_mark', '=', mark).execute()
      if (garbage.length > 0) {
        const gone = garbage.map((r) => r.digest)
        await trx.updateTable('blobs').set({ gc_mark: DELETING }).where('digest', 'in', gone).execute()
        await trx.deleteFrom('repository_blobs').where('digest', 'in', gone).execute()
      }
      return garbage.map((r) => ({ digest: r.digest, size: Number(r.size) }))
    })
  }

  /** Of these digests, those with no record. */
  async unrecorded(digests: string[]): Promise<string[]> {
    const found = new Set((await inBatches(digests, (batch) => this.k.selectFrom('blobs').select('digest').where('digest', 'in', batch).execute())).map((r) => r.digest))
    return digests.filter((d) => !found.has(d))
  }

  /**
   * Records bytes no record names (orphans of pushes that never committed) as being removed, so
   * that a push of the same digest waits for their removal like any other. Returns those recorded
   * here; a digest recorded meanwhile by a push is left to it.
   */
  async condemnOrphans(rows: BlobRow[]): Promise<BlobRow[]> {
    if (rows.length === 0) return []
    const old = '1970-01-01T00:00:00.000Z'
    const inserted = new Set(
      (
        await inBatches(rows, (batch) =>
          this.k
            .insertInto('blobs')
            .values(batch.map((r) => ({ digest: r.digest, size: r.size, created_at: old, touched_at: old, gc_mark: DELETING })))
            .onConflict((oc) => oc.column('digest').doNothing())
            .returning('digest')
            .execute(),
        )
      ).map((r) => r.digest),
    )
    return rows.filter((r) => inserted.has(r.digest))
  }

  /** Removes the records of blobs whose bytes are gone. */
  async drop(digests: string[]): Promise<void> {
    await inBatches(digests, async (batch) => {
      await this.k.deleteFrom('blobs').where('digest', 'in', batch).where('gc_mark', '=', DELETING).execute()
      return []
    })
  }

  /** Candidates a collection that ended early left marked: unmarked again. */
  async unmarkStale(current: string): Promise<void> {
    await this.k.updateTable('blobs').set({ gc_mark: null }).where('gc_mark', 'is not', null).where('gc_mark', '<>', DELETING).where('gc_mark', '<>', current).execute()
  }

  /**
   * Artifacts created before `cutoff` with no tag, not a child of an index in their repository
   * and not a referrer of an artifact there, in id order after `after`.
   */
  async untagged(cutoff: string, after: number, limit: number): Promise<UntaggedArtifact[]> {
    const rows = await this.k
      .selectFrom('artifacts as a')
      .innerJoin('repositories as r', 'r.id', 'a.repository_id')
      .select(['a.id', 'a.digest', 'r.name'])
      .where('a.id', '>', after)
      .where('a.created_at', '<', cutoff)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('tags as t').select('t.id').whereRef('t.artifact_id', '=', 'a.id'))))
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('artifact_references as ar')
              .innerJoin('artifacts as p', 'p.id', 'ar.artifact_id')
              .select('ar.digest')
              .whereRef('ar.digest', '=', 'a.digest')
              .where('ar.kind', '=', 'manifest')
              .whereRef('p.repository_id', '=', 'a.repository_id'),
          ),
        ),
      )
      .where((eb) =>
        eb.or([
          eb('a.subject_digest', 'is', null),
          eb.not(eb.exists(eb.selectFrom('artifacts as s').select('s.id').whereRef('s.repository_id', '=', 'a.repository_id').whereRef('s.digest', '=', 'a.subject_digest'))),
        ]),
      )
      .orderBy('a.id')
      .limit(limit)
      .execute()
    return rows.map((r) => ({ id: r.id, repository: r.name, digest: r.digest }))
  }

  /** Every untagged artifact created before `cutoff` (a dry run's starting set). */
  async untaggedAll(cutoff: string): Promise<number[]> {
    const rows = await this.k
      .selectFrom('artifacts as a')
      .select('a.id')
      .where('a.created_at', '<', cutoff)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('tags as t').select('t.id').whereRef('t.artifact_id', '=', 'a.id'))))
      .execute()
    return rows.map((r) => r.id)
  }

  /** For each artifact: the artifacts of its repository that hold it (indexes) or that it refers to (its subject). */
  async holders(ids: number[]): Promise<{ id: number; holder: number }[]> {
    return inBatches(ids, async (batch) => {
      const parents = await this.k
        .selectFrom('artifacts as c')
        .innerJoin('artifact_references as ar', (j) => j.onRef('ar.digest', '=', 'c.digest').on('ar.kind', '=', 'manifest'))
        .innerJoin('artifacts as p', (j) => j.onRef('p.id', '=', 'ar.artifact_id').onRef('p.repository_id', '=', 'c.repository_id'))
        .select(['c.id as id', 'p.id as holder'])
        .where('c.id', 'in', batch)
        .execute()
      const subjects = await this.k
        .selectFrom('artifacts as c')
        .innerJoin('artifacts as s', (j) => j.onRef('s.repository_id', '=', 'c.repository_id').onRef('s.digest', '=', 'c.subject_digest'))
        .select(['c.id as id', 's.id as holder'])
        .where('c.id', 'in', batch)
        .execute()
      return [...parents, ...subjects]
    })
  }

  /** The referrers of these artifacts (deleted with their subject). */
  async referrersOf(ids: number[]): Promise<number[]> {
    return inBatches(ids, async (batch) => {
      const rows = await this.k
        .selectFrom('artifacts as s')
        .innerJoin('artifacts as c', (j) => j.onRef('c.repository_id', '=', 's.repository_id').onRef('c.subject_digest', '=', 's.digest'))
        .select('c.id')
        .where('s.id', 'in', batch)
        .execute()
      return rows.map((r) => r.id)
    })
  }

  /** What these artifacts reference or are: their blobs, children and own manifests' digests. */
  async digestsOf(ids: number[]): Promise<string[]> {
    const refs = await inBatches(ids, (batch) => this.k.selectFrom('artifact_references').select('digest').where('artifact_id', 'in', batch).execute())
    const own = await inBatches(ids, (batch) => this.k.selectFrom('artifacts').select('digest').where('id', 'in', batch).execute())
    return [...new Set([...refs, ...own].map((r) => r.digest))]
  }

  /** For each digest, the artifacts that reference it or are it. */
  async users(digests: string[]): Promise<{ digest: string; id: number }[]> {
    const refs = await inBatches(digests, (batch) => this.k.selectFrom('artifact_references').select(['digest', 'artifact_id as id']).where('digest', 'in', batch).execute())
    const own = await inBatches(digests, (batch) => this.k.selectFrom('artifacts').select(['digest', 'id']).where('digest', 'in', batch).execute())
    return [...refs, ...own]
  }

  /** Of these blobs, those a collection with `cutoff` may remove once nothing references them. */
  async collectable(digests: string[], cutoff: string): Promise<BlobRow[]> {
    return inBatches(digests, async (batch) => {
      const rows = await this.k
        .selectFrom('blobs as b')
        .select(['b.digest', 'b.size'])
        .where('b.digest', 'in', batch)
        .where((eb) => eb.or([eb('b.gc_mark', 'is', null), eb('b.gc_mark', '<>', DELETING)]))
        .where((eb) => eb(eb.fn.coalesce('b.touched_at', 'b.created_at'), '<', cutoff))
        .where((eb) => eb.not(eb.exists(eb.selectFrom('repository_blobs as rb').select('rb.digest').whereRef('rb.digest', '=', 'b.digest').where('rb.created_at', '>=', cutoff))))
        .execute()
      return rows.map((r) => ({ digest: r.digest, size: Number(r.size) }))
    })
  }
}
