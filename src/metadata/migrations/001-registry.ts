// Migration 001: projects, repositories, blobs and their links, artifacts, tags, upload sessions.
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  // Names compare byte-wise on both dialects, so tag and catalog order is the same everywhere.
  const name = (c: any) => (dialect === 'postgres' ? c.modifyFront(sql`collate "C"`) : c)
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'

  await db.schema
    .createTable('projects')
    .addColumn('id', id as 'integer', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => name(c).notNull().unique())
    .addColumn('public', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('repositories')
    .addColumn('id', id as 'integer', (c) => c.primaryKey())
    .addColumn('project_id', ref as 'integer', (c) => c.notNull().references('projects.id'))
    .addColumn('name', 'text', (c) => name(c).notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('repositories_project').on('repositories').columns(['project_id', 'name']).execute()

  await db.schema
    .createTable('blobs')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('repository_blobs')
    .addColumn('repository_id', ref as 'integer', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull().references('blobs.digest'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_blobs_pk', ['repository_id', 'digest'])
    .execute()
  await db.schema.createIndex('repository_blobs_digest').on('repository_blobs').column('digest').execute()

  await db.schema
    .createTable('artifacts')
    .addColumn('id', id as 'integer', (c) => c.primaryKey())
    .addColumn('repository_id', ref as 'integer', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('artifact_type', 'text')
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('subject_digest', 'text')
    .addColumn('annotations', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('artifacts_repository_digest', ['repository_id', 'digest'])
    .execute()
  await db.schema.createIndex('artifacts_subject').on('artifacts').columns(['repository_id', 'subject_digest']).execute()

  await db.schema
    .createTable('artifact_references')
    .addColumn('artifact_id', ref as 'integer', (c) => c.notNull().references('artifacts.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('artifact_references_pk', ['artifact_id', 'kind', 'digest'])
    .execute()
  await db.schema.createIndex('artifact_references_digest').on('artifact_references').columns(['digest', 'kind']).execute()

  await db.schema
    .createTable('tags')
    .addColumn('id', id as 'integer', (c) => c.primaryKey())
    .addColumn('repository_id', ref as 'integer', (c) => c.notNull().references('repositories.id').onDelete('cascade'))
    .addColumn('artifact_id', ref as 'integer', (c) => c.notNull().references('artifacts.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => name(c).notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('tags_repository_name', ['repository_id', 'name'])
    .execute()
  await db.schema.createIndex('tags_artifact').on('tags').column('artifact_id').execute()

  await db.schema
    .createTable('uploads')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('uploads_updated').on('uploads').column('updated_at').execute()
}
