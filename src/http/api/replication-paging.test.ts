// Registries and replication policies are paged by the database, not by reading every row:
// a page holds page_size rows, X-Total-Count counts the matching ones, a name filter narrows both.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_AUTH, createTestBerth, type TestBerth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { assertStatus } from './api-test-support.js'

for (const dialect of DIALECTS) {
  describe(`registry and policy lists are paged (${dialect})`, await dialectSkip(dialect), () => {
    let t: TestBerth
    const api = (method: 'GET' | 'POST', path: string, payload?: object) =>
      t.app.inject({ method, url: `/api/v2.0${path}`, headers: { authorization: ADMIN_AUTH }, ...(payload !== undefined ? { payload } : {}) })
    const names = (res: { json(): unknown }) => (res.json() as { name: string }[]).map((r) => r.name)

    before(async () => {
      t = await createTestBerth(dialect, { jobs: { workers: 0 }, replication: { reconcile_seconds: 0 } })
      for (const n of ['east-1', 'east-2', 'west-1', 'east-3', 'west-2']) {
        const reg = await api('POST', '/registries', { name: n, type: 'docker-registry', url: `http://127.0.0.1:9/${n}` })
        assertStatus(reg, 201)
        const id = Number(String(reg.headers.location).split('/').pop())
        assertStatus(await api('POST', '/replication/policies', { name: `to-${n}`, dest_registry: { id }, trigger: { type: 'manual' } }), 201)
      }
    })
    after(() => t?.destroy())

    it('pages registries in id order with the total of all matching', async () => {
      const first = await api('GET', '/registries?page=1&page_size=2')
      assert.deepEqual(names(first), ['east-1', 'east-2'])
      assert.equal(first.headers['x-total-count'], '5')
      assert.deepEqual(names(await api('GET', '/registries?page=3&page_size=2')), ['west-2'])
      assert.deepEqual(names(await api('GET', '/registries?page=4&page_size=2')), [])
      const east = await api('GET', '/registries?name=east&page=2&page_size=2')
      assert.deepEqual(names(east), ['east-3'])
      assert.equal(east.headers['x-total-count'], '3')
    })

    it('pages replication policies the same way', async () => {
      const first = await api('GET', '/replication/policies?page=2&page_size=2')
      assert.deepEqual(names(first), ['to-west-1', 'to-east-3'])
      assert.equal(first.headers['x-total-count'], '5')
      const west = await api('GET', '/replication/policies?name=west&page_size=1')
      assert.deepEqual(names(west), ['to-west-1'])
      assert.equal(west.headers['x-total-count'], '2')
    })
  })
}
