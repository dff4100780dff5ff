// Migration 003: identity and access: project owners, members, LDAP groups, robot accounts,
// console sessions and the audit log. Additive only (expand), so version 2 keeps serving.
// Ids are never reused: new SQLite tables use AUTOINCREMENT, and deleted users and projects
// stay as renamed rows marked `deleted`, as in Harbor, so that an audit entry, an owner or a
// token naming an id can never come to mean someone else.
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const name = (c: any) => (dialect === 'postgres' ? c.modifyFront(sql`collate "C"`) : c)
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'
  const pk = (c: any) => (dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey())
  const ref = dialect === 'postgres' ? 'bigint' : 'integer'

  await db.schema.alterTable('projects').addColumn('owner_id', ref as 'integer').execute()
  await db.schema.alterTable('projects').addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0)).execute()
  await db.schema.alterTable('users').addColumn('ldap_dn', 'text').execute()
  await db.schema.alterTable('users').addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0)).execute()

  await db.schema
    .createTable('user_groups')
    .addColumn('id', id as 'integer', pk)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('ldap_dn', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  // entity_type 'u' (user) or 'g' (group), as in Harbor's member API.
  await db.schema
    .createTable('project_members')
    .addColumn('id', id as 'integer', pk)
    .addColumn('project_id', ref as 'integer', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', ref as 'integer', (c) => c.notNull())
    .addColumn('role_id', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('project_members_entity', ['project_id', 'entity_type', 'entity_id'])
    .execute()
  await db.schema.createIndex('project_members_by_entity').on('project_members').columns(['entity_type', 'entity_id']).execute()

  // permissions: JSON [{kind, namespace, access: [{resource, action}]}]; project_id set for project robots.
  await db.schema
    .createTable('robots')
    .addColumn('id', id as 'integer', pk)
    .addColumn('name', 'text', (c) => name(c).notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('level', 'text', (c) => c.notNull())
    .addColumn('project_id', ref as 'integer', (c) => c.references('projects.id').onDelete('cascade'))
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('permissions', 'text', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('duration', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  // Only a hash of the session id is kept, so a database leak does not hand out sessions.
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', ref as 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('groups', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('audit_logs')
    .addColumn('id', id as 'integer', pk)
    .addColumn('project_id', ref as 'integer')
    .addColumn('username', 'text', (c) => c.notNull())
    .addColumn('operation', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('result', 'text', (c) => c.notNull())
    .addColumn('client_ip', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('op_time', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('audit_logs_time').on('audit_logs').columns(['op_time']).execute()
  await db.schema.createIndex('audit_logs_project').on('audit_logs').columns(['project_id', 'op_time']).execute()
}
