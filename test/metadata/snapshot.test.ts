// The logical snapshot every backup is made of: tables in reference order, rows paged by key
// (an id, or the row's physical key where a table has none) across page boundaries, and a
// restore into the other kind of database that gives back the same rows and continues ids.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openDb, migrate } from '../../src/metadata/db.js'
import { exportTables, importTables, tablesInOrder, type Row } from '../../src/metadata/snapshot.js'
import type { Db } from '../../src/metadata/schema.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../support/databases.js'

const ROWS = 2_345

for (const dialect of DIALECTS) {
  const other = dialect === 'sqlite' ? 'postgres' : 'sqlite'
  describe(`metadata snapshot from ${dialect} to ${other}`, { ...(await dialectSkip('postgres')) }, () => {
    const databases: TestDatabase[] = []
    let from: Db
    let to: Db

    before(async () => {
      const a = await createTestDatabase(dialect)
      const b = await createTestDatabase(other)
      databases.push(a, b)
      from = await openDb(a.url)
      to = await openDb(b.url)
      await migrate(from)
      await migrate(to)
      const now = new Date().toISOString()
      // settings has no id (paged by rowid or ctid); labels has one; both cross several pages.
      for (let i = 0; i < ROWS; i += 500) {
        const n = Math.min(500, ROWS - i)
        await from.kysely.insertInto('settings').values(Array.from({ length: n }, (_, k) => ({ key: `k${i + k}`, value: JSON.stringify(`v${i + k}`), updated_at: now }))).execute()
        await from.kysely.insertInto('labels').values(Array.from({ length: n }, (_, k) => ({ name: `label-${i + k}`, scope: 'g', project_id: null, color: '', description: '', created_at: now, updated_at: now }) as never)).execute()
      }
    })
    after(async () => {
      await from?.close()
      await to?.close()
      for (const d of databases) await d.drop()
    })

    it('orders tables so that each comes after the tables it references', async () => {
      const tables = (await tablesInOrder(from.kysely, from.dialect)).map((t) => t.name)
      for (const [child, parent] of [['repositories', 'projects'], ['artifacts', 'repositories'], ['tags', 'artifacts'], ['project_members', 'projects']]) {
        assert.ok(tables.indexOf(parent!) < tables.indexOf(child!), `${parent} before ${child}`)
      }
      assert.ok(!tables.some((t) => t.startsWith('kysely_')), "the migrator's own tables are not Berth's data")
    })

    it('exports every row once across pages, and imports them into the other database', async () => {
      const dump = new Map<string, Row[]>()
      await exportTables(from, async (t, rows) => {
        const all: Row[] = []
        for await (const r of rows) all.push(r)
        dump.set(t.name, all)
      })
      const settings = dump.get('settings')!
      assert.equal(new Set(settings.map((r) => r.key)).size, settings.length, 'no row twice')
      assert.ok(settings.length >= ROWS)
      assert.equal(dump.get('labels')!.length, ROWS)

      const counts = await importTables(to, [...dump.keys()], async function* (t) {
        yield* dump.get(t) ?? []
      })
      assert.equal(counts.get('labels'), ROWS)
      const back = await to.kysely.selectFrom('labels').select(['id', 'name']).orderBy('id').execute()
      assert.deepEqual(back.map((r) => [Number(r.id), r.name]), dump.get('labels')!.map((r) => [Number(r.id), r.name]))
      assert.deepEqual((await to.kysely.selectFrom('settings').select('key').execute()).length, settings.length)
      // New rows continue after the restored ids.
      const now = new Date().toISOString()
      const added = await to.kysely.insertInto('labels').values({ name: 'after', scope: 'g', project_id: null, color: '', description: '', created_at: now, updated_at: now } as never).returning('id').executeTakeFirstOrThrow()
      assert.ok(Number(added.id) > Math.max(...back.map((r) => Number(r.id))))
    })

    it('refuses a snapshot with a table or a column this schema does not have, changing nothing', async () => {
      const before = (await to.kysely.selectFrom('labels').select('id').execute()).length
      await assert.rejects(importTables(to, ['labels', 'from_the_future'], async function* () {}), /tables this version of Berth does not have: from_the_future/)
      await assert.rejects(
        importTables(to, ['labels'], async function* () {
          yield { id: 1, name: 'x', scope: 'g', project_id: null, color: '', description: '', created_at: '', updated_at: '', shade: 'blue' }
        }),
        /table labels has a column shade/,
      )
      assert.equal((await to.kysely.selectFrom('labels').select('id').execute()).length, before)
    })
  })
}
