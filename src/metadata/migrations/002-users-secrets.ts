// Migration 002: users, and secrets sealed with secret_key (shared by every node).
import { sql, type Kysely } from 'kysely'
import type { Dialect } from '../schema.js'

export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const name = (c: any) => (dialect === 'postgres' ? c.modifyFront(sql`collate "C"`) : c)
  const id = dialect === 'postgres' ? 'bigserial' : 'integer'

  await db.schema
    .createTable('users')
    .addColumn('id', id as 'integer', (c) => c.primaryKey())
    .addColumn('username', 'text', (c) => name(c).notNull().unique())
    .addColumn('email', 'text')
    .addColumn('realname', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('comment', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('sysadmin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()
}
