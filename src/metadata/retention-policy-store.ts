// Tag retention policies (migration 016), one per project, and what a retention run reads about a
// repository: its listed artifacts with their tags, push and pull times. The policy body is
// Harbor's JSON, kept as written after validation; this store neither parses nor checks it.
import type { Kysely, Selectable } from 'kysely'
import type { Database, RetentionPolicyTable } from './schema.js'
import { nowIso } from '../lib/clock.js'

export interface RetentionPolicyRow {
  id: number
  projectId: number
  /** Harbor's JSON of the policy without id and scope. */
  policy: string
  createdAt: string
  updatedAt: string
}

/** A listed artifact of a repository (not a child of an index, not an accessory), as retention judges it. */
export interface RetentionCandidate {
  digest: string
  tags: string[]
  /** The artifact's push time: its creation or the last time one of its tags was pushed (ms since epoch). */
  pushedAt: number
  /** Its last pull (ms since epoch); 0 when never pulled. */
  pulledAt: number
  /** The digests of its children when it is an index. */
  children: string[]
}

function toRow(r: Selectable<RetentionPolicyTable>): RetentionPolicyRow {
  return { id: Number(r.id), projectId: Number(r.project_id), policy: r.policy, createdAt: r.created_at, updatedAt: r.updated_at }
}

const ms = (iso: string | null): number => (iso === null ? 0 : Date.parse(iso) || 0)

export class RetentionPolicyStore {
  constructor(private readonly db: Kysely<Database>) {}

  async get(id: number): Promise<RetentionPolicyRow | null> {
    const r = await this.db.selectFrom('retention_policies').selectAll().where('id', '=', id).executeTakeFirst()
    return r === undefined ? null : toRow(r)
  }

  async getByProject(projectId: number): Promise<RetentionPolicyRow | null> {
    const r = await this.db.selectFrom('retention_policies').selectAll().where('project_id', '=', projectId).executeTakeFirst()
    return r === undefined ? null : toRow(r)
  }

  /** Adds the project's policy; null when the project has one already (the unique index decides races). */
  async create(projectId: number, policy: string): Promise<number | null> {
    const now = nowIso()
    const r = await this.db
      .insertInto('retention_policies')
      .values({ project_id: projectId, policy, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('project_id').doNothing())
      .returning('id')
      .executeTakeFirst()
    return r === undefined ? null : Number(r.id)
  }

  async update(id: number, policy: string): Promise<boolean> {
    const r = await this.db.updateTable('retention_policies').set({ policy, updated_at: nowIso() }).where('id', '=', id).executeTakeFirst()
    return Number(r.numUpdatedRows) === 1
  }

  async delete(id: number): Promise<boolean> {
    const r = await this.db.deleteFrom('retention_policies').where('id', '=', id).executeTakeFirst()
    return Number(r.numDeletedRows) === 1
  }

  /** The repositories of a project (full names, in byte order) with their ids. */
  async repositories(projectId: number): Promise<{ id: number; name: string }[]> {
    const rows = await this.db.selectFrom('repositories').select(['id', 'name']).where('project_id', '=', projectId).orderBy('name').execute()
    return rows.map((r) => ({ id: Number(r.id), name: r.name }))
  }

  /** The digests of the repository's unlisted artifacts (index children, accessories) that have a tag. */
  async taggedUnlisted(repositoryId: number): Promise<Set<string>> {
    const rows = await this.db
      .selectFrom('artifacts as a')
      .innerJoin('tags as t', 't.artifact_id', 'a.id')
      .select('a.digest')
      .where('a.repository_id', '=', repositoryId)
      .where('a.listed', '=', 0)
      .execute()
    return new Set(rows.map((r) => r.digest))
  }

  /** The listed artifacts of a repository with their tags and times, in no particular order. */
  async candidates(repositoryId: number): Promise<RetentionCandidate[]> {
    const artifacts = await this.db
      .selectFrom('artifacts')
      .select(['id', 'digest', 'created_at', 'pull_time'])
      .where('repository_id', '=', repositoryId)
      .where('listed', '=', 1)
      .orderBy('id')
      .execute()
    const tags = await this.db.selectFrom('tags').select(['artifact_id', 'name', 'updated_at']).where('repository_id', '=', repositoryId).orderBy('name').execute()
    const children = await this.db
      .selectFrom('artifact_references as ar')
      .innerJoin('artifacts as a', 'a.id', 'ar.artifact_id')
      .select(['ar.artifact_id', 'ar.digest'])
      .where('a.repository_id', '=', repositoryId)
      .where('a.listed', '=', 1)
      .where('ar.kind', '=', 'manifest')
      .execute()
    const byId = new Map<number, RetentionCandidate>()
    for (const a of artifacts) byId.set(Number(a.id), { digest: a.digest, tags: [], pushedAt: ms(a.created_at), pulledAt: ms(a.pull_time), children: [] })
    for (const t of tags) {
      const c = byId.get(Number(t.artifact_id))
      if (c === undefined) continue
      c.tags.push(t.name)
      c.pushedAt = Math.max(c.pushedAt, ms(t.updated_at))
    }
    for (const r of children) byId.get(Number(r.artifact_id))?.children.push(r.digest)
    return [...byId.values()]
  }
}
