// The events of registry changes on both databases: who made each change and when, the tag(s)
// where known, through /v2/ and the API, one job for a subscriber of every type.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { eventJobType } from '../../events/dispatcher.js'
import type { RegistryEvent } from '../../events/outbox.js'
import { assertStatus, pushImage, useBerth } from '../../http/oci/oci-test-support.js'

for (const dialect of DIALECTS) {
  describe(`registry events on ${dialect}`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect)

    it('carry the operator, the time and the tags, from /v2/ and from the API', async () => {
      t.berth.events.subscribe({ name: 'test-all', types: '*', handle: async () => {} })
      const start = new Date().toISOString()
      const img = await pushImage(t.app, 'library/ev', 'v1', 'ev-1')
      await pushImage(t.app, 'library/ev', 'v2', 'ev-1')
      assertStatus(await t.app.inject({ method: 'POST', url: `/api/v2.0/projects/library/repositories/ev/artifacts/${img.digest}/tags`, payload: { name: 'v3' } }), 201)
      assertStatus(await t.app.inject({ method: 'DELETE', url: '/v2/library/ev/manifests/v2' }), 202)
      assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/library/ev/manifests/${img.digest}` }), 202)
      const rows = await t.berth.db.kysely.selectFrom('jobs').select('payload').where('type', '=', eventJobType('test-all')).orderBy('id').execute()
      const events = rows.map((r) => JSON.parse(r.payload) as RegistryEvent)
      assert.deepEqual(
        events.map((e) => [e.type, e.operator, 'tag' in e ? e.tag : 'tags' in e ? e.tags : null]),
        [
          ['PUSH_ARTIFACT', 'admin', 'v1'],
          ['PUSH_ARTIFACT', 'admin', 'v2'],
          ['PUSH_ARTIFACT', 'admin', 'v3'],
          ['DELETE_TAG', 'admin', 'v2'],
          ['DELETE_ARTIFACT', 'admin', ['v1', 'v3']],
        ],
      )
      for (const e of events) {
        assert.ok(e.occurredAt >= start && e.occurredAt <= new Date().toISOString(), e.occurredAt)
        assert.equal('repository' in e ? e.repository : null, 'library/ev')
        assert.deepEqual(e.path, [])
      }
    })
  })
}
