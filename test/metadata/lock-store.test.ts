// The database's short locks (what nodes without Redis share) on both dialects: the same promises
// as the shared-state locks: one holder at a time, a lock lapses after its time unless extended,
// and a holder whose lock lapsed can neither extend nor free the next holder's.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openDb, migrate } from '../../src/metadata/db.js'
import type { Db } from '../../src/metadata/schema.js'
import { LockStore } from '../../src/metadata/lock-store.js'
import { createTestDatabase, DIALECTS, dialectSkip, type TestDatabase } from '../support/databases.js'

for (const dialect of DIALECTS) {
  describe(`database locks (${dialect})`, await dialectSkip(dialect), () => {
    let database: TestDatabase
    let db: Db
    let now = Date.parse('2026-01-01T00:00:00Z')
    let a: LockStore
    let b: LockStore

    before(async () => {
      database = await createTestDatabase(dialect)
      db = await openDb(database.url)
      await migrate(db)
      // Two "nodes" on one database, on a clock the test moves.
      a = new LockStore(db.kysely, () => now)
      b = new LockStore(db.kysely, () => now)
    })
    after(async () => {
      await db?.close()
      await database?.drop()
    })

    it('has one holder at a time, lapses after its time, and a lapsed holder cannot free it', async () => {
      const first = await a.acquire('k', 1_000)
      assert.ok(first !== null)
      assert.equal(await b.acquire('k', 1_000), null)
      assert.equal(await first.extend(2_000), true)
      now += 1_500
      assert.equal(await b.acquire('k', 1_000), null, 'extended past its first time')
      now += 1_000
      const second = await b.acquire('k', 5_000)
      assert.ok(second !== null, 'lapsed after the extension')
      assert.equal(await first.extend(5_000), false)
      await first.release()
      assert.equal(await a.acquire('k', 1_000), null, "the lapsed holder's release left the new holder's lock alone")
      await second.release()
      assert.ok((await a.acquire('k', 1_000)) !== null)
      assert.ok((await a.acquire('other', 1_000)) !== null, 'locks are by name')
    })

    it('lets one of many racing takers have it', async () => {
      const taken = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).acquire('race', 10_000)))
      assert.equal(taken.filter((l) => l !== null).length, 1)
    })
  })
}
