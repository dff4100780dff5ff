// Migration 004: what the management API shows of repositories and artifacts: repository
// descriptions and pull counts, labels (global and per project) attached to artifacts, the
// indexes that keep big listings fast, and the system settings changed through the API.
// Additive only.
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'
  const pk = (c: any) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey())

  await db.schema.alterTable('repositories').addColumn('description', 'text', (c) => c.notNull().defaultTo('')).execute()
  await db.schema.alterTable('repositories').addColumn('pull_count', 'bigint', (c) => c.notNull().defaultTo(0)).execute()
  // `listed`: 0 for artifacts a listing shows under another one (a referrer under its subject, a
  // child under its index), kept up to date on push and delete, so that a page of a big
  // repository is an index range, not a subquery per row.
  await db.schema.alterTable('artifacts').addColumn('listed', 'integer', (c) => c.notNull().defaultTo(1)).execute()
  await sql`update artifacts set listed = 0 where subject_digest is not null or exists (
    select 1 from artifact_references ar join artifacts p on p.id = ar.artifact_id
    where ar.kind = 'manifest' and ar.digest = artifacts.digest and p.repository_id = artifacts.repository_id)`.execute(db)
  await db.schema.createIndex('artifacts_listing').on('artifacts').columns(['repository_id', 'listed', 'id']).execute()
  // Listed artifacts per repository, kept in step on push and delete: a listing's total without a count.
  await db.schema.alterTable('repositories').addColumn('artifact_count', 'bigint', (c) => c.notNull().defaultTo(0)).execute()
  await sql`update repositories set artifact_count = (select count(*) from artifacts a where a.repository_id = repositories.id and a.listed = 1)`.execute(db)
  // Tags of one artifact in name order, for tag listings.
  await db.schema.createIndex('tags_artifact_name').on('tags').columns(['artifact_id', 'name']).execute()

  // scope 'g' (global, project_id null) or 'p' (project).
  await db.schema
    .createTable('labels')
    .addColumn('id', id as 'integer', pk)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('color', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('project_id', ref as 'integer', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  // One name per scope: global names unique among globals, project names unique in their project.
  await db.schema.createIndex('labels_name').on('labels').columns(['scope', 'project_id', 'name']).unique().execute()
  await db.schema.createIndex('labels_global_name').on('labels').column('name').unique().where('scope' as never, '=', 'g' as never).execute()

  await db.schema
    .createTable('artifact_labels')
    .addColumn('artifact_id', ref as 'integer', (c) => c.notNull().references('artifacts.id').onDelete('cascade'))
    .addColumn('label_id', ref as 'integer', (c) => c.notNull().references('labels.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('artifact_labels_pk', ['artifact_id', 'label_id'])
    .execute()
  await db.schema.createIndex('artifact_labels_label').on('artifact_labels').column('label_id').execute()

  // Settings changed at run time (PUT /configurations); they win over berth.yml. JSON values.
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
}
