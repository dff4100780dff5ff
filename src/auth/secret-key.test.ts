// secret_key: generated once per data dir, checked against the database on every start;
// the first admin: no default password.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkSecretKey, resolveSecretKey } from './secret-key.js'
import { SecretBox } from './secret-box.js'
import { ensureAdmin } from './admin-user.js'
import { verifyPassword } from './password.js'
import { isBerthError } from '../lib/errors.js'
import { openDb, migrate } from '../metadata/db.js'
import { storesOver, type Stores } from '../metadata/stores.js'
import type { Db } from '../metadata/schema.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../../test/support/databases.js'

describe('resolveSecretKey', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'berth-key-'))
  })
  after(() => rm(dir, { recursive: true, force: true }))

  it('returns the configured key as is', async () => {
    assert.equal(await resolveSecretKey('c'.repeat(40), dir), 'c'.repeat(40))
  })
  it('generates a key once in data_dir (mode 0600) and reads it back, also when started together', async () => {
    const sub = join(dir, 'node')
    const keys = await Promise.all([resolveSecretKey('', sub), resolveSecretKey('', sub), resolveSecretKey('', sub)])
    assert.equal(new Set(keys).size, 1)
    assert.ok(keys[0]!.length >= 32)
    assert.equal((await stat(join(sub, 'secret_key'))).mode & 0o777, 0o600)
    assert.equal(await resolveSecretKey('', sub), keys[0])
  })
  it('refuses a key file that is too short', async () => {
    const sub = join(dir, 'short')
    await resolveSecretKey('', sub)
    await writeFile(join(sub, 'secret_key'), 'tooshort\n')
    await assert.rejects(resolveSecretKey('', sub), (e) => isBerthError(e, 'CONFIG_INVALID') && /secret_key/.test(e.message))
  })
})

for (const dialect of DIALECTS) {
  describe(`start-up checks on ${dialect}`, await dialectSkip(dialect), () => {
    let database: TestDatabase
    let db: Db
    let stores: Stores
    before(async () => {
      database = await createTestDatabase(dialect)
      db = await openDb(database.url)
      await migrate(db)
      stores = storesOver(db.kysely)
    })
    after(async () => {
      await db?.close()
      await database?.drop()
    })

    it('a node with another secret_key refuses to start; the same key passes', async () => {
      const key = 'a'.repeat(32)
      await checkSecretKey(stores, new SecretBox(key))
      await checkSecretKey(stores, new SecretBox(key))
      await assert.rejects(checkSecretKey(stores, new SecretBox('b'.repeat(32))), (e) => isBerthError(e, 'CONFIG_INVALID') && /same secret_key/.test(e.message))
    })

    it('admin: a weak configured password stops start-up and creates nothing', async () => {
      await assert.rejects(ensureAdmin(stores, 'Harbor'), (e) => isBerthError(e, 'CONFIG_INVALID') && /admin\.password/.test(e.message))
      assert.equal(await stores.users.get('admin'), null)
    })

    it('admin: a configured password is the one that works', async () => {
      const other = await createTestDatabase(dialect)
      const otherDb = await openDb(other.url)
      try {
        await migrate(otherDb)
        const s2 = storesOver(otherDb.kysely)
        assert.equal(await ensureAdmin(s2, 'Configured-Passw0rd'), null)
        assert.equal(await verifyPassword('Configured-Passw0rd', (await s2.users.get('admin'))!.passwordHash), true)
      } finally {
        await otherDb.close()
        await other.drop()
      }
    })

    it('admin: without a configured password one is generated, returned once, and works', async () => {
      const generated = await ensureAdmin(stores, '')
      assert.ok(generated !== null)
      const admin = await stores.users.get('admin')
      assert.equal(admin?.sysadmin, true)
      assert.equal(await verifyPassword(generated, admin!.passwordHash), true)
      assert.equal(await ensureAdmin(stores, ''), null)
      // An existing admin keeps its password even when one is configured later.
      assert.equal(await ensureAdmin(stores, 'Another-Passw0rd'), null)
      assert.equal(await verifyPassword(generated, (await stores.users.get('admin'))!.passwordHash), true)
    })
  })
}
