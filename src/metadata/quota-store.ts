// Per-project storage quotas: each project's limit and usage (quota_usage), and the content its
// artifacts reference, each digest once per project with a reference count (project_blobs).
// The artifact and catalog stores call add/release in the transaction that writes or deletes
// artifacts, so usage moves with the content, never after it. Row locks taken by the upserts
// (digests in sorted order, then the usage row) make concurrent pushes on PostgreSQL wait for
// each other at the usage row instead of both passing the limit.
import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'
import { nowIso } from '../lib/clock.js'
import { applyQuery, type Fields, type ListQuery, type Listed } from './list-query.js'

/** No limit, as Harbor writes it. */
export const UNLIMITED = -1

export interface Quota {
  /** The quota's id: the project's id. */
  projectId: number
  projectName: string
  ownerName: string
  hard: number
  used: number
  createdAt: string
  updatedAt: string
}

/** A project's usage after a change, and the bytes the change added (negative: freed). */
export interface UsageChange {
  used: number
  hard: number
  delta: number
}

/** One piece of content an artifact references: its manifest, config or a layer. */
export interface Content {
  digest: string
  size: number
}

export const QUOTA_FIELDS: Fields = {
  id: { column: 'q.project_id', type: 'int' },
  reference_id: { column: 'q.project_id', type: 'int', sortable: false },
  'hard.storage': { column: 'q.hard', type: 'int' },
  'used.storage': { column: 'q.used', type: 'int' },
  creation_time: { column: 'q.created_at', type: 'time' },
  update_time: { column: 'q.updated_at', type: 'time' },
}

type Row = { project_id: number; name: string; owner_name: string | null; hard: number; used: number; created_at: string; updated_at: string }

function toQuota(r: Row): Quota {
  return { projectId: r.project_id, projectName: r.name, ownerName: r.owner_name ?? '', hard: Number(r.hard), used: Number(r.used), createdAt: r.created_at, updatedAt: r.updated_at }
}

export class QuotaStore {
  constructor(private readonly db: Kysely<Database>) {}

  private quotas() {
    return this.db
      .selectFrom('quota_usage as q')
      .innerJoin('projects as p', 'p.id', 'q.project_id')
      .leftJoin('users as u', 'u.id', 'p.owner_id')
      .select(['q.project_id', 'p.name', 'u.username as owner_name', 'q.hard', 'q.used', 'q.created_at', 'q.updated_at'])
      .where('p.deleted', '=', 0)
  }

  /** Gives a project its quota row with limit `hard` (idempotent: an existing row is left as it is). */
  async ensure(projectId: number, hard: number): Promise<void> {
    const now = nowIso()
    await this.db
      .insertInto('quota_usage')
      .values({ project_id: projectId, hard, used: 0, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('project_id').doNothing())
      .execute()
  }

  /** The quota of a project that is not deleted. */
  async get(projectId: number): Promise<Quota | null> {
    const r = await this.quotas().where('q.project_id', '=', projectId).executeTakeFirst()
    return r === undefined ? null : toQuota(r)
  }

  async list(q: ListQuery): Promise<Listed<Quota>> {
    const filtered = applyQuery(this.quotas(), { ...q, sort: [] }, QUOTA_FIELDS, { column: 'q.project_id', desc: false }).clearOrderBy()
    const counted = await filtered.clearSelect().select(sql<number>`count(*)`.as('n')).executeTakeFirst()
    const rows = await applyQuery(this.quotas(), q, QUOTA_FIELDS, { column: 'q.project_id', desc: false })
      .limit(q.pageSize)
      .offset((q.page - 1) * q.pageSize)
      .execute()
    return { items: rows.map(toQuota), total: Number(counted?.n ?? 0) }
  }

  /** Sets a project's limit; false when the project has no quota (or is deleted). */
  async setHard(projectId: number, hard: number): Promise<boolean> {
    const r = await this.db
      .updateTable('quota_usage')
      .set({ hard, updated_at: nowIso() })
      .where('project_id', '=', projectId)
      .where(({ exists, selectFrom }) => exists(selectFrom('projects').select('id').where('id', '=', projectId).where('deleted', '=', 0)))
      .executeTakeFirst()
    return Number(r.numUpdatedRows) > 0
  }

  /**
   * Counts one more artifact referencing each piece of `content` in the project; content the
   * project did not reference yet adds its size to the usage. Returns the usage after the change:
   * the caller refuses it (and rolls back) when it passes the limit.
   */
  async add(projectId: number, content: Content[]): Promise<UsageChange> {
    const unique = new Map<string, number>()
    for (const c of content) unique.set(c.digest, c.size)
    // Sorted, so two transactions lock shared digests in the same order (no deadlock).
    const digests = [...unique.keys()].sort()
    let delta = 0
    for (let i = 0; i < digests.length; i += 300) {
      const rows = await this.db
        .insertInto('project_blobs')
        .values(digests.slice(i, i + 300).map((digest) => ({ project_id: projectId, digest, size: unique.get(digest)!, refs: 1 })))
        .onConflict((oc) => oc.columns(['project_id', 'digest']).doUpdateSet({ refs: sql`project_blobs.refs + 1` }))
        .returning(['refs', 'size'])
        .execute()
      for (const r of rows) if (Number(r.refs) === 1) delta += Number(r.size)
    }
    return this.charge(projectId, delta)
  }

  /**
   * Counts `times` fewer artifacts referencing each digest in the project; a digest no artifact
   * references any more leaves the project and gives its size back.
   */
  async release(projectId: number, times: Map<string, number>): Promise<UsageChange> {
    let freed = 0
    for (const digest of [...times.keys()].sort()) {
      const r = await this.db
        .updateTable('project_blobs')
        .set({ refs: sql`refs - ${times.get(digest)!}` })
        .where('project_id', '=', projectId)
        .where('digest', '=', digest)
        .returning(['refs', 'size'])
        .executeTakeFirst()
      if (r !== undefined && Number(r.refs) <= 0) {
        await this.db.deleteFrom('project_blobs').where('project_id', '=', projectId).where('digest', '=', digest).execute()
        freed += Number(r.size)
      }
    }
    return this.charge(projectId, -freed)
  }

  /** Adds `delta` bytes to the usage in one statement (the row lock orders concurrent writers). */
  private async charge(projectId: number, delta: number): Promise<UsageChange> {
    if (delta === 0) {
      // Nothing changes: no need to lock the row (pushes of content the project has do not queue).
      const row = await this.db.selectFrom('quota_usage').select(['used', 'hard']).where('project_id', '=', projectId).executeTakeFirst()
      return { used: Number(row?.used ?? 0), hard: Number(row?.hard ?? UNLIMITED), delta }
    }
    const now = nowIso()
    const r = await this.db
      .insertInto('quota_usage')
      .values({ project_id: projectId, hard: UNLIMITED, used: delta, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('project_id').doUpdateSet({ used: sql`quota_usage.used + ${delta}`, updated_at: now }))
      .returning(['used', 'hard'])
      .executeTakeFirstOrThrow()
    return { used: Number(r.used), hard: Number(r.hard), delta }
  }

  /** Forgets a deleted project's quota and content. */
  async remove(projectId: number): Promise<void> {
    await this.db.deleteFrom('project_blobs').where('project_id', '=', projectId).execute()
    await this.db.deleteFrom('quota_usage').where('project_id', '=', projectId).execute()
  }
}
