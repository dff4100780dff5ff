// What the management API lists of a project's content: repositories with counts, artifacts
// with their tags, children and referrers. Listings are paged in SQL and counted separately,
// so a page of 100 costs the same in a repository of 100 or of 100,000 artifacts.
import { sql, type Kysely } from 'kysely'
import { BerthError } from '../lib/errors.js'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { QuotaStore } from './quota-store.js'
import { applyQuery, containing, type Fields, type ListQuery, type Listed } from './list-query.js'

export interface RepositoryDetail {
  id: number
  projectId: number
  name: string
  description: string
  artifactCount: number
  pullCount: number
  createdAt: string
  updatedAt: string
}

export interface ArtifactDetail {
  id: number
  repositoryId: number
  digest: string
  mediaType: string
  artifactType: string | null
  size: number
  subjectDigest: string | null
  annotations: Record<string, string> | null
  createdAt: string
  /** When a client last pulled it (written in batches); null when never. */
  pullTime: string | null
}

export interface TagDetail {
  id: number
  repositoryId: number
  artifactId: number
  name: string
  createdAt: string
  updatedAt: string
  /** When a client last pulled the artifact by this tag; null when never. */
  pullTime: string | null
}

/** An accessory (Harbor's artifact_accessory): an artifact describing another of its repository. */
export interface AccessoryDetail {
  id: number
  artifactId: number
  subjectDigest: string
  type: string
  digest: string
  size: number
  createdAt: string
}

export const ACCESSORY_FIELDS: Fields = {
  type: { column: 'x.type' },
  digest: { column: 'a.digest' },
  id: { column: 'x.id', type: 'int' },
  creation_time: { column: 'x.created_at', type: 'time' },
}

export const REPOSITORY_FIELDS: Fields = {
  name: { column: 'r.name' },
  id: { column: 'r.id', type: 'int' },
  creation_time: { column: 'r.created_at', type: 'time' },
  update_time: { column: 'r.updated_at', type: 'time' },
  pull_count: { column: 'r.pull_count', type: 'int' },
}

export const ARTIFACT_FIELDS: Fields = {
  digest: { column: 'a.digest' },
  media_type: { column: 'a.media_type' },
  artifact_type: { column: 'a.artifact_type' },
  id: { column: 'a.id', type: 'int' },
  size: { column: 'a.total_size', type: 'int' },
  push_time: { column: 'a.created_at', type: 'time' },
  pull_time: { column: 'a.pull_time', type: 'time' },
}

export const TAG_FIELDS: Fields = {
  name: { column: 't.name' },
  id: { column: 't.id', type: 'int' },
  push_time: { column: 't.updated_at', type: 'time' },
  pull_time: { column: 't.pull_time', type: 'time' },
}

type RepoRow = { id: number; project_id: number; name: string; description: string; pull_count: number; created_at: string; updated_at: string; artifact_count: number }
type ArtifactRowRaw = { id: number; repository_id: number; digest: string; media_type: string; artifact_type: string | null; size: number; total_size: number | null; subject_digest: string | null; annotations: string | null; created_at: string; pull_time: string | null }

function toRepository(r: RepoRow): RepositoryDetail {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    artifactCount: Number(r.artifact_count),
    pullCount: Number(r.pull_count),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }
}

function toArtifact(r: ArtifactRowRaw): ArtifactDetail {
  return {
    id: r.id,
    repositoryId: r.repository_id,
    digest: r.digest,
    mediaType: r.media_type,
    artifactType: r.artifact_type,
    // What Harbor reports: manifest plus config and layers (an index: plus its children).
    size: Number(r.total_size ?? r.size),
    subjectDigest: r.subject_digest,
    annotations: r.annotations === null ? null : (JSON.parse(r.annotations) as Record<string, string>),
    createdAt: r.created_at,
    pullTime: r.pull_time,
  }
}

function toAccessory(r: { id: number; artifact_id: number; subject_digest: string; type: string; created_at: string; digest: string; size: number; total_size: number | null }): AccessoryDetail {
  return { id: r.id, artifactId: r.artifact_id, subjectDigest: r.subject_digest, type: r.type, digest: r.digest, size: Number(r.total_size ?? r.size), createdAt: r.created_at }
}

async function count(q: { executeTakeFirst(): Promise<unknown> }): Promise<number> {
  return Number(((await q.executeTakeFirst()) as { n?: number } | undefined)?.n ?? 0)
}

export class CatalogStore {
  constructor(private readonly db: Kysely<Database>) {}

  private repositories() {
    return this.db.selectFrom('repositories as r').select(['r.id', 'r.project_id', 'r.name', 'r.description', 'r.pull_count', 'r.artifact_count', 'r.created_at', 'r.updated_at'])
  }

  /** Listed artifacts per repository (the kept count). */
  async artifactCounts(repositoryIds: number[]): Promise<Map<number, number>> {
    if (repositoryIds.length === 0) return new Map()
    const rows = await this.db.selectFrom('repositories').select(['id', 'artifact_count']).where('id', 'in', repositoryIds).execute()
    return new Map(rows.map((r) => [r.id, Number(r.artifact_count)]))
  }

  async listRepositories(projectId: number, q: ListQuery): Promise<Listed<RepositoryDetail>> {
    const base = this.repositories().where('r.project_id', '=', projectId)
    const total = await count(applyQuery(this.db.selectFrom('repositories as r').where('r.project_id', '=', projectId), { ...q, sort: [] }, REPOSITORY_FIELDS, { column: 'r.name', desc: false }).clearOrderBy().select(sql<number>`count(*)`.as('n')))
    const rows = await applyQuery(base, q, REPOSITORY_FIELDS, { column: 'r.name', desc: false }).limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute()
    return { items: rows.map(toRepository), total }
  }

  async getRepository(name: string): Promise<RepositoryDetail | null> {
    const r = await this.repositories().where('r.name', '=', name).executeTakeFirst()
    return r === undefined ? null : toRepository(r)
  }

  async setDescription(repositoryId: number, description: string): Promise<void> {
    await this.db.updateTable('repositories').set({ description, updated_at: nowIso() }).where('id', '=', repositoryId).execute()
  }

  async addPulls(repository: string, pulls: number): Promise<void> {
    await this.db.updateTable('repositories').set({ pull_count: sql`pull_count + ${pulls}` }).where('name', '=', repository).execute()
  }

  /**
   * Deletes a repository with everything in it (the blobs stay for GC), giving its content back to
   * the project's quota; returns the digests of the artifacts a listing showed.
   */
  async deleteRepository(repositoryId: number): Promise<string[]> {
    const listed = await this.db.selectFrom('artifacts').select('digest').where('repository_id', '=', repositoryId).where('listed', '=', 1).execute()
    const artifactIds = this.db.selectFrom('artifacts').select('id').where('repository_id', '=', repositoryId)
    const repo = await this.db.selectFrom('repositories').select('project_id').where('id', '=', repositoryId).executeTakeFirst()
    if (repo !== undefined) {
      // Each artifact references its own manifest and its blobs: that many references go.
      const manifests = await this.db.selectFrom('artifacts').select('digest').where('repository_id', '=', repositoryId).execute()
      const blobs = await this.db.selectFrom('artifact_references').select('digest').where('artifact_id', 'in', artifactIds).where('kind', '=', 'blob').execute()
      const times = new Map<string, number>()
      for (const { digest } of [...manifests, ...blobs]) times.set(digest, (times.get(digest) ?? 0) + 1)
      await new QuotaStore(this.db).release(repo.project_id, times)
    }
    await this.db.deleteFrom('tags').where('repository_id', '=', repositoryId).execute()
    await this.db.deleteFrom('artifact_labels').where('artifact_id', 'in', artifactIds).execute()
    await this.db.deleteFrom('artifact_references').where('artifact_id', 'in', artifactIds).execute()
    await this.db.deleteFrom('accessories').where('repository_id', '=', repositoryId).execute()
    await this.db.deleteFrom('artifacts').where('repository_id', '=', repositoryId).execute()
    await this.db.deleteFrom('repository_blobs').where('repository_id', '=', repositoryId).execute()
    await this.db.deleteFrom('repositories').where('id', '=', repositoryId).execute()
    return listed.map((r) => r.digest)
  }

  /**
   * The artifacts a listing shows: those that are neither a referrer (a signature, an SBOM: shown
   * as accessories of their subject) nor a child of an index in the same repository (shown as
   * the index's references), as Harbor lists them. `tag` filters by tag name (substring).
   */
  async listArtifacts(repositoryId: number, q: ListQuery): Promise<Listed<ArtifactDetail>> {
    const tagCondition = q.conditions.find((c) => c.key === 'tags')
    const rest = { ...q, conditions: q.conditions.filter((c) => c.key !== 'tags') }
    let base = this.db.selectFrom('artifacts as a').where('a.repository_id', '=', repositoryId).where('a.listed', '=', 1)
    if (tagCondition !== undefined) {
      const value = tagCondition.op === 'eq' || tagCondition.op === 'fuzzy' ? tagCondition.value : null
      if (value === null) throw new BerthError('BAD_REQUEST', 'tags takes tags=name, tags=~part, tags=* (tagged) or tags=nil (untagged)')
      if (tagCondition.op === 'eq' && value === '*') base = base.where((eb) => eb.exists(eb.selectFrom('tags as t').select('t.id').whereRef('t.artifact_id', '=', 'a.id')))
      else if (tagCondition.op === 'eq' && value === 'nil') base = base.where((eb) => eb.not(eb.exists(eb.selectFrom('tags as t').select('t.id').whereRef('t.artifact_id', '=', 'a.id'))))
      else base = base.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('tags as t')
            .select('t.id')
            .whereRef('t.artifact_id', '=', 'a.id')
            .where(tagCondition.op === 'eq' ? sql<boolean>`t.name = ${value}` : containing('t.name', value)),
        ),
      )
    }
    // Unfiltered, the total is the repository's kept count; filtered, it is counted.
    const total =
      q.conditions.length === 0
        ? ((await this.artifactCounts([repositoryId])).get(repositoryId) ?? 0)
        : await count(applyQuery(base, { ...rest, sort: [] }, ARTIFACT_FIELDS, { column: 'a.id', desc: true }).clearOrderBy().select(sql<number>`count(*)`.as('n')))
    // The page's ids first (an index-only walk past the offset), then those rows: fetching whole
    // rows while skipping the offset would read every skipped row from the table.
    const ids = (await applyQuery(base.select('a.id'), rest, ARTIFACT_FIELDS, { column: 'a.id', desc: true }).limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute()).map((r) => r.id)
    const rows = ids.length === 0 ? [] : ((await this.db.selectFrom('artifacts as a').selectAll('a').where('a.id', 'in', ids).execute()) as ArtifactRowRaw[])
    const byId = new Map(rows.map((r) => [r.id, r]))
    return { items: ids.map((id) => toArtifact(byId.get(id)!)), total }
  }

  async getArtifact(repositoryId: number, digest: string): Promise<ArtifactDetail | null> {
    const r = await this.db.selectFrom('artifacts as a').selectAll('a').where('a.repository_id', '=', repositoryId).where('a.digest', '=', digest).executeTakeFirst()
    return r === undefined ? null : toArtifact(r as ArtifactRowRaw)
  }

  /** Tags of several artifacts, by artifact id, in name order. */
  async tagsOf(artifactIds: number[]): Promise<Map<number, TagDetail[]>> {
    const out = new Map<number, TagDetail[]>()
    if (artifactIds.length === 0) return out
    const rows = await this.db.selectFrom('tags').selectAll().where('artifact_id', 'in', artifactIds).orderBy('name').execute()
    for (const r of rows) {
      const list = out.get(r.artifact_id) ?? []
      list.push({ id: r.id, repositoryId: r.repository_id, artifactId: r.artifact_id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at, pullTime: r.pull_time })
      out.set(r.artifact_id, list)
    }
    return out
  }

  async listTags(artifactId: number, q: ListQuery): Promise<Listed<TagDetail>> {
    const base = this.db.selectFrom('tags as t').where('t.artifact_id', '=', artifactId)
    const total = await count(applyQuery(base, { ...q, sort: [] }, TAG_FIELDS, { column: 't.name', desc: false }).clearOrderBy().select(sql<number>`count(*)`.as('n')))
    // Names first, from the (artifact_id, name) index alone, then the page's rows (see listArtifacts).
    const names = (await applyQuery(base.select('t.name'), q, TAG_FIELDS, { column: 't.name', desc: false }).limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute()).map((r) => r.name)
    const rows = names.length === 0 ? [] : await this.db.selectFrom('tags').selectAll().where('artifact_id', '=', artifactId).where('name', 'in', names).execute()
    const byName = new Map(rows.map((r) => [r.name, r]))
    return {
      items: names.map((n) => byName.get(n)!).map((r) => ({ id: r.id, repositoryId: r.repository_id, artifactId: r.artifact_id, name: r.name, createdAt: r.created_at, updatedAt: r.updated_at, pullTime: r.pull_time })),
      total,
    }
  }

  private accessories(repositoryId: number) {
    return this.db
      .selectFrom('accessories as x')
      .innerJoin('artifacts as a', 'a.id', 'x.artifact_id')
      .select(['x.id', 'x.artifact_id', 'x.subject_digest', 'x.type', 'x.created_at', 'a.digest', 'a.size', 'a.total_size'])
      .where('x.repository_id', '=', repositoryId)
  }

  /** Accessories (signatures, SBOMs...) of several artifacts of one repository, by subject digest, oldest first. */
  async accessoriesOf(repositoryId: number, digests: string[]): Promise<Map<string, AccessoryDetail[]>> {
    const out = new Map<string, AccessoryDetail[]>()
    if (digests.length === 0) return out
    const rows = await this.accessories(repositoryId).where('x.subject_digest', 'in', digests).orderBy('x.id').execute()
    for (const r of rows) {
      const list = out.get(r.subject_digest) ?? []
      list.push(toAccessory(r))
      out.set(r.subject_digest, list)
    }
    return out
  }

  /** One page of the accessories of `digest` (q: type, digest; sorted by id, creation_time). */
  async listAccessories(repositoryId: number, digest: string, q: ListQuery): Promise<Listed<AccessoryDetail>> {
    const base = this.db.selectFrom('accessories as x').innerJoin('artifacts as a', 'a.id', 'x.artifact_id').where('x.repository_id', '=', repositoryId).where('x.subject_digest', '=', digest)
    const total = await count(applyQuery(base, { ...q, sort: [] }, ACCESSORY_FIELDS, { column: 'x.id', desc: false }).clearOrderBy().select(sql<number>`count(*)`.as('n')))
    const rows = await applyQuery(this.accessories(repositoryId).where('x.subject_digest', '=', digest), q, ACCESSORY_FIELDS, { column: 'x.id', desc: false }).limit(q.pageSize).offset((q.page - 1) * q.pageSize).execute()
    return { items: rows.map(toAccessory), total }
  }

  /** Ids of the artifacts with these digests in a repository (children of an index). */
  async idsOf(repositoryId: number, digests: string[]): Promise<Map<string, number>> {
    if (digests.length === 0) return new Map()
    const rows = await this.db.selectFrom('artifacts').select(['id', 'digest']).where('repository_id', '=', repositoryId).where('digest', 'in', digests).execute()
    return new Map(rows.map((r) => [r.digest, r.id]))
  }
}
