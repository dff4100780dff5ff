// Migration 007: Harbor's project metadata beside `projects.public` (one row per key, values as
// Harbor's strings), each project's CVE allowlist, and an owner for projects created without one
// (`library` on first start). Additive only: version N ignores the new tables.
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'

  await db.schema
    .createTable('project_metadata')
    .addColumn('project_id', ref as 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('project_metadata_pk', ['project_id', 'name'])
    .execute()

  await db.schema
    .createTable('project_cve_allowlists')
    .addColumn('project_id', ref as 'integer', (c) => c.primaryKey().references('projects.id').onDelete('cascade'))
    // Unix seconds; null: never expires.
    .addColumn('expires_at', ref as 'integer')
    // JSON: string[] of CVE ids.
    .addColumn('items', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  // Harbor's owner_id is never null: ownerless projects belong to the first administrator.
  await sql`update projects set owner_id = (select min(u.id) from users u where u.sysadmin = 1 and u.deleted = 0) where owner_id is null`.execute(db)
}
