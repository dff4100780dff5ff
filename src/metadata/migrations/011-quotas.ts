// Migration 011: per-project storage quotas. `project_blobs` holds each piece of content (layer,
// config, manifest) a project's artifacts reference, once per project, with how many artifacts
// reference it; `quota_usage` holds each project's limit and the sum of those sizes. Artifacts
// get `total_size` (manifest plus config and layers; an index plus its children), the size the
// API reports. Everything is back-filled from what is stored. Additive only: version N ignores
// the new tables (its pushes during a rolling upgrade are not counted until a recount).
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'

  await db.schema
    .createTable('project_blobs')
    .addColumn('project_id', ref as 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    // Artifacts of the project that reference the digest (as their manifest or as a blob).
    .addColumn('refs', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_blobs_pk', ['project_id', 'digest'])
    .execute()

  await db.schema
    .createTable('quota_usage')
    .addColumn('project_id', ref as 'integer', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    // Bytes; -1: no limit.
    .addColumn('hard', 'bigint', (c) => c.notNull().defaultTo(-1))
    .addColumn('used', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema.alterTable('artifacts').addColumn('total_size', 'bigint').execute()

  await sql`insert into project_blobs (project_id, digest, size, refs)
    select x.project_id, x.digest, coalesce(max(b.size), max(x.size), 0), count(*) from (
      select r.project_id, a.digest, a.size from artifacts a join repositories r on r.id = a.repository_id
      union all
      select r.project_id, ar.digest, null from artifact_references ar
        join artifacts a on a.id = ar.artifact_id join repositories r on r.id = a.repository_id
        where ar.kind = 'blob'
    ) x left join blobs b on b.digest = x.digest
    group by x.project_id, x.digest`.execute(db)
  const now = new Date().toISOString()
  await sql`insert into quota_usage (project_id, hard, used, created_at, updated_at)
    select p.id, -1, coalesce((select sum(pb.size) from project_blobs pb where pb.project_id = p.id), 0), ${now}, ${now}
    from projects p`.execute(db)

  // Images first (their blobs), then indexes (their children's totals), twice for an index of indexes.
  await sql`update artifacts set total_size = size + coalesce((select sum(b.size) from artifact_references ar
    join blobs b on b.digest = ar.digest where ar.artifact_id = artifacts.id and ar.kind = 'blob'), 0)`.execute(db)
  for (let pass = 0; pass < 2; pass++) {
    await sql`update artifacts set total_size = size + coalesce((select sum(b.size) from artifact_references ar
      join blobs b on b.digest = ar.digest where ar.artifact_id = artifacts.id and ar.kind = 'blob'), 0) + coalesce((select sum(c.total_size) from artifact_references ar
      join artifacts c on c.digest = ar.digest and c.repository_id = artifacts.repository_id
      where ar.artifact_id = artifacts.id and ar.kind = 'manifest'), 0)
      where exists (select 1 from artifact_references ar where ar.artifact_id = artifacts.id and ar.kind = 'manifest')`.execute(db)
  }
}
