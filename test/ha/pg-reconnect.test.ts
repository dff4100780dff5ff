// PostgreSQL drops every connection (a restart, a failover): the node reconnects by itself,
// and its pool never holds more than database.pool_size connections.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { createTestBerth, type TestBerth } from '../support/berth-app.js'
import { dialectSkip } from '../support/databases.js'
import { pushImage } from '../../src/http/oci/oci-test-support.js'
import { withAuthorization } from '../../src/http/oci/oci-test-support.js'
import { ADMIN_AUTH } from '../support/berth-app.js'

describe('PostgreSQL connections', await dialectSkip('postgres'), () => {
  let berth: TestBerth
  let admin: pg.Client
  let dbName = ''
  before(async () => {
    berth = await createTestBerth('postgres', { database: { url: '', pool_size: 4 } })
    dbName = new URL(berth.config.database.url).pathname.slice(1)
    admin = new pg.Client({ connectionString: berth.config.database.url })
    await admin.connect()
  })
  after(async () => {
    await admin?.end()
    await berth?.destroy()
  })

  const connections = async () => Number((await admin.query('select count(*) as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName])).rows[0].n)

  it('a burst of concurrent requests uses at most pool_size connections', async () => {
    const app = withAuthorization(berth.app, ADMIN_AUTH)
    let peak = 0
    const sampler = setInterval(() => void connections().then((n) => (peak = Math.max(peak, n))), 5)
    await Promise.all(Array.from({ length: 24 }, (_, i) => pushImage(app, `library/burst-${i % 4}`, `t${i}`, `burst-${i}`)))
    clearInterval(sampler)
    peak = Math.max(peak, await connections())
    assert.ok(peak <= 4, `peak ${peak} connections`)
    assert.ok(peak >= 1)
  })

  it('after the server drops every connection, requests succeed again without a restart', async () => {
    const app = withAuthorization(berth.app, ADMIN_AUTH)
    await pushImage(app, 'library/before-drop', 'v1', 'before-drop')
    const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [dbName])
    assert.ok(killed.rowCount! >= 1)
    await new Promise((r) => setTimeout(r, 100))
    const res = await app.inject({ method: 'GET', url: '/v2/library/before-drop/tags/list' })
    assert.equal(res.statusCode, 200, res.body)
    await pushImage(app, 'library/after-drop', 'v1', 'after-drop')
    assert.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
  })
})
