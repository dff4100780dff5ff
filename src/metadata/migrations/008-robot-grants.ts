// Migration 008: robot grants bind to project ids. Each grant in robots.permissions (JSON) gets
// the id of the project it names, by the rule in bindByName: a grant whose project is gone, or
// may have been meant for a deleted project of the same name, binds to nothing. Additive: the
// name stays beside the id, so a node of the previous version keeps reading the rows.
import type { Kysely } from 'kysely'
import type { Database, Dialect } from '../schema.js'
import { bindByName, unbound, type RobotPermission } from '../robot-store.js'

export async function up(untyped: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  const db = untyped as unknown as Kysely<Database>
  // In pages by id, so memory does not grow with the number of robots.
  for (let after = 0; ; ) {
    const rows = await db.selectFrom('robots').select(['id', 'permissions', 'created_at', 'updated_at']).where('id', '>', after).orderBy('id').limit(500).execute()
    if (rows.length === 0) return
    for (const r of rows) {
      const permissions = JSON.parse(r.permissions) as RobotPermission[]
      if (!unbound(permissions)) continue
      const bound = await bindByName(db, { permissions, createdAt: r.created_at, updatedAt: r.updated_at })
      // updated_at is left alone: it is when the grants were last written, which the rule reads.
      await db.updateTable('robots').set({ permissions: JSON.stringify(bound) }).where('id', '=', r.id).execute()
    }
    after = rows[rows.length - 1]!.id
  }
}
