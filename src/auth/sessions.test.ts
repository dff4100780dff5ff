// Console sessions on both dialects, with a clock of their own: the idle lifetime slides with
// use, the absolute lifetime does not, and a session's user is read as they are now.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { openDb, migrate } from '../metadata/db.js'
import { storesOver, type Stores } from '../metadata/stores.js'
import type { Db } from '../metadata/schema.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../../test/support/databases.js'
import { Sessions, hashOf } from './sessions.js'
import type { UserPrincipal } from './identity.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const START = Date.parse('2030-01-01T00:00:00Z')

for (const dialect of DIALECTS) {
  describe(`console sessions on ${dialect}`, await dialectSkip(dialect), () => {
    let database: TestDatabase
    let db: Db
    let stores: Stores
    let user: UserPrincipal
    let now = START
    const sessions = () => new Sessions({ stores, csrfKey: Buffer.alloc(32, 1), ttlMs: 60 * MINUTE, maxAgeMs: 3 * HOUR, now: () => now })

    before(async () => {
      database = await createTestDatabase(dialect)
      db = await openDb(database.url)
      await migrate(db)
      stores = storesOver(db.kysely)
      const u = (await stores.users.createIfAbsent({ username: 'sess', email: null, realname: '', comment: '', passwordHash: 'x', sysadmin: false }))!
      user = { kind: 'user', userId: u.id, username: u.username, sysadmin: false, groups: [] }
    })
    after(async () => {
      await db?.close()
      await database?.drop()
    })

    it('a session used every 20 minutes lives until its absolute lifetime, not a moment longer', async () => {
      now = START
      const s = sessions()
      const { id } = await s.create(user)
      for (let t = 20 * MINUTE; t < 3 * HOUR; t += 20 * MINUTE) {
        now = START + t
        assert.equal((await s.resolve(id))?.userId, user.userId, `used after ${t / MINUTE} minutes`)
      }
      const stored = await stores.sessions.get(hashOf(id), new Date(START))
      assert.ok(Date.parse(stored!.expiresAt) <= START + 3 * HOUR, `extended past the limit: ${stored!.expiresAt}`)
      now = START + 3 * HOUR
      assert.equal(await s.resolve(id), null, 'at the absolute lifetime')
    })

    it('an unused session still ends after its idle lifetime', async () => {
      now = START
      const s = sessions()
      const { id } = await s.create(user)
      now = START + 59 * MINUTE
      assert.notEqual(await s.resolve(id), null)
      now = START + 59 * MINUTE + 61 * MINUTE
      assert.equal(await s.resolve(id), null)
    })

    it('a session started by an older version (expiry not capped) is refused past the absolute lifetime too', async () => {
      const id = 'A'.repeat(43)
      await stores.sessions.create(hashOf(id), { userId: user.userId, groups: [], expiresAt: '2031-01-01T00:00:00.000Z', createdAt: new Date(START).toISOString() })
      now = START + 2 * HOUR
      assert.notEqual(await sessions().resolve(id), null)
      now = START + 3 * HOUR + 1
      assert.equal(await sessions().resolve(id), null)
    })

    it('the user is read on every request: a revoked administrator flag is gone at once, a deleted user signed out', async () => {
      now = START
      const s = sessions()
      const { id } = await s.create(user)
      await stores.users.update(user.userId, { sysadmin: true })
      assert.equal((await s.resolve(id))?.sysadmin, true)
      await stores.users.update(user.userId, { sysadmin: false })
      assert.equal((await s.resolve(id))?.sysadmin, false)
      assert.equal((await s.resolve(id))?.session, hashOf(id), 'the caller carries its session, so a password change can keep it')
      await stores.users.delete(user.userId)
      assert.equal(await s.resolve(id), null)
    })
  })
}
