// Artifacts (stored manifests), their references, tags and referrers.
import { PostgresAdapter, sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'
import type { Page } from './repository-store.js'
import { nowIso } from '../lib/clock.js'
import { missingDigests } from './missing-digests.js'
import { PreparedQuery } from './prepared.js'
import { QuotaStore, type Content, type UsageChange } from './quota-store.js'

export interface ArtifactRow {
  id: number
  digest: string
  mediaType: string
  size: number
}

export interface NewArtifact {
  digest: string
  mediaType: string
  artifactType: string | null
  size: number
  subjectDigest: string | null
  annotations: Record<string, string> | null
  blobs: string[]
  manifests: string[]
  /**
   * Stored by the proxy cache, which fetches what a manifest references when it is pulled: blobs
   * not stored yet count by the sizes the manifest gives them, and an index stored before its
   * children already lists them under it.
   */
  proxied?: { declaredSizes: ReadonlyMap<string, number> }
}

/** What a put did: the artifact's id, whether it is new, and if so the project's usage after it. */
export interface PutArtifact {
  id: number
  created: boolean
  /** Set when the artifact is new: the caller refuses the push when `used` passes `hard`. */
  usage?: UsageChange
}

export interface Referrer {
  digest: string
  mediaType: string
  size: number
  artifactType: string | null
  annotations: Record<string, string> | null
}

function artifactsOf(db: Kysely<Database>) {
  return db
    .selectFrom('artifacts as a')
    .innerJoin('repositories as r', 'r.id', 'a.repository_id')
    .select(['a.id', 'a.digest', 'a.media_type', 'a.size'])
    .where('r.name', '=', '')
}

export class ArtifactStore {
  private readonly byDigest = new PreparedQuery<RawArtifact, [repository: string, digest: string]>((db) =>
    artifactsOf(db).where('a.digest', '=', ''),
  )
  private readonly byTag = new PreparedQuery<RawArtifact, [repository: string, tag: string]>((db) =>
    artifactsOf(db).innerJoin('tags as t', 't.artifact_id', 'a.id').where('t.name', '=', ''),
  )

  private readonly quotas: QuotaStore

  constructor(private readonly db: Kysely<Database>) {
    this.quotas = new QuotaStore(db)
  }

  async getByDigest(repository: string, digest: string): Promise<ArtifactRow | null> {
    return toRow(await this.byDigest.first(this.db, repository, digest))
  }

  async getByTag(repository: string, tag: string): Promise<ArtifactRow | null> {
    return toRow(await this.byTag.first(this.db, repository, tag))
  }

  /**
   * Inserts the artifact and its references (idempotent on repository + digest), and counts its
   * content in its project's quota usage (in the caller's transaction).
   */
  async put(repositoryId: number, a: NewArtifact): Promise<PutArtifact> {
    const blobs = await this.blobSizes([...new Set(a.blobs)])
    for (const [digest, size] of blobs) if (size === 0) blobs.set(digest, a.proxied?.declaredSizes.get(digest) ?? 0)
    const listed = a.subjectDigest === null && (a.proxied === undefined || (await this.referencedBy(repositoryId, a.digest, 'manifest')) === null)
    const children = [...new Set(a.manifests)]
    const childTotals =
      children.length === 0
        ? 0
        : Number(
            (
              await this.db
                .selectFrom('artifacts')
                .select(sql<number>`coalesce(sum(coalesce(total_size, size)), 0)`.as('n'))
                .where('repository_id', '=', repositoryId)
                .where('digest', 'in', children)
                .executeTakeFirst()
            )?.n ?? 0,
          )
    const totalSize = a.size + [...blobs.values()].reduce((x, y) => x + y, 0) + childTotals
    const inserted = await this.db
      .insertInto('artifacts')
      .values({
        repository_id: repositoryId,
        digest: a.digest,
        media_type: a.mediaType,
        artifact_type: a.artifactType,
        size: a.size,
        total_size: totalSize,
        subject_digest: a.subjectDigest,
        annotations: a.annotations === null ? null : JSON.stringify(a.annotations),
        listed: listed ? 1 : 0,
        created_at: nowIso(),
      })
      .onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing())
      .returning('id')
      .executeTakeFirst()
    if (inserted === undefined) {
      const row = await this.db
        .selectFrom('artifacts')
        .select('id')
        .where('repository_id', '=', repositoryId)
        .where('digest', '=', a.digest)
        .executeTakeFirstOrThrow()
      return { id: row.id, created: false }
    }
    const refs = [
      ...[...new Set(a.blobs)].map((digest) => ({ artifact_id: inserted.id, digest, kind: 'blob' as const })),
      ...[...new Set(a.manifests)].map((digest) => ({ artifact_id: inserted.id, digest, kind: 'manifest' as const })),
    ]
    for (let i = 0; i < refs.length; i += 300) {
      await this.db.insertInto('artifact_references').values(refs.slice(i, i + 300)).execute()
    }
    let listedDelta = listed ? 1 : 0
    // The children of an index are listed under it from now on.
    if (a.manifests.length > 0) {
      const r = await this.db.updateTable('artifacts').set({ listed: 0 }).where('repository_id', '=', repositoryId).where('digest', 'in', [...new Set(a.manifests)]).where('listed', '=', 1).executeTakeFirst()
      listedDelta -= Number(r.numUpdatedRows)
    }
    await this.countListed(repositoryId, listedDelta)
    const content: Content[] = [{ digest: a.digest, size: a.size }, ...[...blobs].map(([digest, size]) => ({ digest, size }))]
    const usage = await this.quotas.add(await this.projectOf(repositoryId), content)
    return { id: inserted.id, created: true, usage }
  }

  /** Stored sizes of blobs by digest (a digest not recorded counts 0). */
  private async blobSizes(digests: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>(digests.map((d) => [d, 0]))
    for (let i = 0; i < digests.length; i += 300) {
      const rows = await this.db.selectFrom('blobs').select(['digest', 'size']).where('digest', 'in', digests.slice(i, i + 300)).execute()
      for (const r of rows) out.set(r.digest, Number(r.size))
    }
    return out
  }

  private async projectOf(repositoryId: number): Promise<number> {
    const r = await this.db.selectFrom('repositories').select('project_id').where('id', '=', repositoryId).executeTakeFirstOrThrow()
    return r.project_id
  }

  /** Points a tag at an artifact, creating or moving it. */
  async tag(repositoryId: number, artifactId: number, name: string): Promise<void> {
    const now = nowIso()
    await this.db
      .insertInto('tags')
      .values({ repository_id: repositoryId, artifact_id: artifactId, name, created_at: now, updated_at: now })
      .onConflict((oc) => oc.columns(['repository_id', 'name']).doUpdateSet({ artifact_id: artifactId, updated_at: now }))
      .execute()
  }

  async untag(repositoryId: number, name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('tags').where('repository_id', '=', repositoryId).where('name', '=', name).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  }

  /**
   * Deletes an artifact with its tags and references, and its referrers in the repository
   * (signatures, SBOMs: they describe nothing once it is gone), as Harbor does.
   */
  async delete(repositoryId: number, digest: string): Promise<boolean> {
    const referrers = await this.db.selectFrom('artifacts').select('digest').where('repository_id', '=', repositoryId).where('subject_digest', '=', digest).execute()
    for (const r of referrers) await this.delete(repositoryId, r.digest)
    const row = await this.db
      .selectFrom('artifacts')
      .select(['id', 'listed'])
      .where('repository_id', '=', repositoryId)
      .where('digest', '=', digest)
      .executeTakeFirst()
    if (row === undefined) return false
    let listedDelta = row.listed === 1 ? -1 : 0
    const children = await this.db.selectFrom('artifact_references').select('digest').where('artifact_id', '=', row.id).where('kind', '=', 'manifest').execute()
    const blobs = await this.db.selectFrom('artifact_references').select('digest').where('artifact_id', '=', row.id).where('kind', '=', 'blob').execute()
    await this.quotas.release(await this.projectOf(repositoryId), new Map([digest, ...blobs.map((b) => b.digest)].map((d) => [d, 1])))
    await this.db.deleteFrom('tags').where('artifact_id', '=', row.id).execute()
    await this.db.deleteFrom('artifact_references').where('artifact_id', '=', row.id).execute()
    await this.db.deleteFrom('artifacts').where('id', '=', row.id).execute()
    // A child no other index of the repository holds is listed on its own again.
    for (const { digest: child } of children) {
      if ((await this.referencedBy(repositoryId, child, 'manifest')) === null) {
        const r = await this.db.updateTable('artifacts').set({ listed: 1 }).where('repository_id', '=', repositoryId).where('digest', '=', child).where('subject_digest', 'is', null).where('listed', '=', 0).executeTakeFirst()
        listedDelta += Number(r.numUpdatedRows)
      }
    }
    await this.countListed(repositoryId, listedDelta)
    return true
  }

  /** Keeps repositories.artifact_count (listed artifacts) in step, so listings need not count. */
  private async countListed(repositoryId: number, delta: number): Promise<void> {
    if (delta !== 0) await this.db.updateTable('repositories').set({ artifact_count: sql`artifact_count + ${delta}` }).where('id', '=', repositoryId).execute()
  }

  /** Of the given manifest digests, those not stored in the repository. */
  missing(repositoryId: number, digests: string[]): Promise<string[]> {
    return missingDigests(this.db, 'artifacts', repositoryId, digests)
  }

  /**
   * Whether the artifact has a tag, after locking its row (PostgreSQL) so that no tag can be
   * added until the caller's transaction ends; false also when there is no such artifact.
   */
  async lockTagged(repositoryId: number, digest: string): Promise<boolean> {
    const pg = this.db.getExecutor().adapter instanceof PostgresAdapter
    const row = await this.db
      .selectFrom('artifacts')
      .select('id')
      .where('repository_id', '=', repositoryId)
      .where('digest', '=', digest)
      .$if(pg, (q) => q.forUpdate())
      .executeTakeFirst()
    if (row === undefined) return false
    return (await this.db.selectFrom('tags').select('id').where('artifact_id', '=', row.id).limit(1).executeTakeFirst()) !== undefined
  }

  /**
   * Locks the named artifacts of the repository (FOR SHARE on PostgreSQL) until the caller's
   * transaction ends, so an index about to reference them cannot lose one to a concurrent
   * untagged deletion (which locks its artifact first and then finds the index).
   */
  async lockShared(repositoryId: number, digests: string[]): Promise<void> {
    if (digests.length === 0 || !(this.db.getExecutor().adapter instanceof PostgresAdapter)) return
    const unique = [...new Set(digests)].sort()
    for (let i = 0; i < unique.length; i += 500) {
      await this.db.selectFrom('artifacts').select('id').where('repository_id', '=', repositoryId).where('digest', 'in', unique.slice(i, i + 500)).forShare().execute()
    }
  }

  /** A manifest in the repository that references `digest` (as a blob or a child), if any. */
  async referencedBy(repositoryId: number, digest: string, kind: 'blob' | 'manifest'): Promise<string | null> {
    const row = await this.db
      .selectFrom('artifact_references as ar')
      .innerJoin('artifacts as a', 'a.id', 'ar.artifact_id')
      .select('a.digest')
      .where('a.repository_id', '=', repositoryId)
      .where('ar.digest', '=', digest)
      .where('ar.kind', '=', kind)
      .executeTakeFirst()
    return row?.digest ?? null
  }

  /** The tags of the artifact `digest` in the repository, in byte order. */
  async tagsOf(repositoryId: number, digest: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('tags as t')
      .innerJoin('artifacts as a', 'a.id', 't.artifact_id')
      .select('t.name')
      .where('a.repository_id', '=', repositoryId)
      .where('a.digest', '=', digest)
      .orderBy('t.name')
      .execute()
    return rows.map((r) => r.name)
  }

  /**
   * Sets the last pull time of an artifact (by repository name and digest) and, when it was
   * pulled by tag, of that tag. Only moves forward: an older batch from a slower node never
   * takes a pull time back.
   */
  async setPulled(repository: string, digest: string, tag: string | undefined, at: string): Promise<void> {
    const repo = this.db.selectFrom('repositories').select('id').where('name', '=', repository)
    await this.db
      .updateTable('artifacts')
      .set({ pull_time: at })
      .where('repository_id', '=', repo)
      .where('digest', '=', digest)
      .where((eb) => eb.or([eb('pull_time', 'is', null), eb('pull_time', '<', at)]))
      .execute()
    if (tag !== undefined) {
      const artifact = this.db.selectFrom('artifacts').select('id').where('repository_id', '=', repo).where('digest', '=', digest)
      await this.db
        .updateTable('tags')
        .set({ pull_time: at })
        .where('repository_id', '=', repo)
        .where('name', '=', tag)
        .where('artifact_id', '=', artifact)
        .where((eb) => eb.or([eb('pull_time', 'is', null), eb('pull_time', '<', at)]))
        .execute()
    }
  }

  async listTags(repositoryId: number, page: Page): Promise<string[]> {
    let q = this.db.selectFrom('tags').select('name').where('repository_id', '=', repositoryId).orderBy('name').limit(page.limit)
    if (page.after !== undefined) q = q.where('name', '>', page.after)
    return (await q.execute()).map((r) => r.name)
  }

  /**
   * The tags a delete of `digest` takes away: the artifact's own and its referrers' (deleted
   * with it). Without `digest`: every tag of the repository.
   */
  async tagsGoingWith(repositoryId: number, digest?: string): Promise<string[]> {
    let q = this.db.selectFrom('tags as t').innerJoin('artifacts as a', 'a.id', 't.artifact_id').select('t.name').where('t.repository_id', '=', repositoryId)
    if (digest !== undefined) q = q.where((eb) => eb.or([eb('a.digest', '=', digest), eb('a.subject_digest', '=', digest)]))
    return (await q.orderBy('t.name').execute()).map((r) => r.name)
  }

  /** Manifests in the repository whose subject is `digest`, optionally of one artifactType. */
  async referrers(repositoryId: number, digest: string, artifactType?: string): Promise<Referrer[]> {
    let q = this.db
      .selectFrom('artifacts')
      .select(['digest', 'media_type', 'size', 'artifact_type', 'annotations'])
      .where('repository_id', '=', repositoryId)
      .where('subject_digest', '=', digest)
      .orderBy('id')
    if (artifactType !== undefined) q = q.where('artifact_type', '=', artifactType)
    return (await q.execute()).map((r) => ({
      digest: r.digest,
      mediaType: r.media_type,
      size: Number(r.size),
      artifactType: r.artifact_type,
      annotations: r.annotations === null ? null : (JSON.parse(r.annotations) as Record<string, string>),
    }))
  }
}

type RawArtifact = { id: number; digest: string; media_type: string; size: number }

function toRow(row: RawArtifact | undefined): ArtifactRow | null {
  return row === undefined ? null : { id: row.id, digest: row.digest, mediaType: row.media_type, size: Number(row.size) }
}
