// Pulls on both databases: manifest GETs are counted in memory (no write on the request path) and
// written in one batch: artifacts' and tags' pull_time, shown by the artifact API, and one
// PULL_ARTIFACT event per distinct (repository, digest, tag, operator), none when nobody
// subscribes; a HEAD and a replication read are not pulls; 500 pulls (here fewer) flush at once.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { waitUntil } from '../../../test/support/until.js'
import { silentLogger } from '../../lib/logger.js'
import { eventJobType } from '../../events/dispatcher.js'
import type { RegistryEvent } from '../../events/outbox.js'
import { assertStatus, pushImage, useBerth } from '../../http/oci/oci-test-support.js'
import { PullRecorder } from './pull-recorder.js'

const NEVER = '0001-01-01T00:00:00.000Z'

for (const dialect of DIALECTS) {
  describe(`pulls on ${dialect}`, await dialectSkip(dialect), () => {
    // A window no test reaches: every write below is a flush the test asked for, or a full batch.
    const t = useBerth(dialect, { events: { pull_flush_seconds: 3600 } })

    const pullTimes = async (repository: string, digest: string) => {
      const row = await t.berth.db.kysely
        .selectFrom('artifacts as a')
        .innerJoin('repositories as r', 'r.id', 'a.repository_id')
        .select(['a.id', 'a.pull_time'])
        .where('r.name', '=', repository)
        .where('a.digest', '=', digest)
        .executeTakeFirstOrThrow()
      const tags = await t.berth.db.kysely.selectFrom('tags').select(['name', 'pull_time']).where('artifact_id', '=', row.id).orderBy('name').execute()
      return { artifact: row.pull_time, tags: Object.fromEntries(tags.map((x) => [x.name, x.pull_time])) }
    }
    const deliveries = async (name: string) =>
      (await t.berth.db.kysely.selectFrom('jobs').select('payload').where('type', '=', eventJobType(name)).orderBy('id').execute()).map((r) => JSON.parse(r.payload) as RegistryEvent)
    const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers })

    it('writes pull times in one flush, not on the request; HEADs and replication reads are not pulls; no event without a subscriber', async () => {
      const img = await pushImage(t.app, 'library/quiet', 'v1', 'quiet-1')
      await pushImage(t.app, 'library/quiet', 'v2', 'quiet-1') // the same manifest under a second tag
      const other = await pushImage(t.app, 'library/quiet', 'other', 'quiet-2')
      for (let i = 0; i < 5; i++) assertStatus(await get('/v2/library/quiet/manifests/v1'), 200)
      assertStatus(await get(`/v2/library/quiet/manifests/${img.digest}`), 200)
      assertStatus(await t.app.inject({ method: 'HEAD', url: '/v2/library/quiet/manifests/other' }), 200)
      assertStatus(await get('/v2/library/quiet/manifests/other', { 'user-agent': 'berth-replication/1' }), 200)
      assert.deepEqual(await pullTimes('library/quiet', img.digest), { artifact: null, tags: { v1: null, v2: null } }, 'nothing written on the request path')

      const before = new Date().toISOString()
      await t.berth.pulls.flush()
      const after = new Date().toISOString()
      const times = await pullTimes('library/quiet', img.digest)
      assert.ok(times.artifact !== null && times.artifact <= before, JSON.stringify(times))
      assert.ok(typeof times.tags.v1 === 'string' && times.tags.v1 <= after)
      assert.equal(times.tags.v2, null, 'a tag nobody pulled by keeps no pull time')
      assert.deepEqual(await pullTimes('library/quiet', other.digest), { artifact: null, tags: { other: null } }, 'a HEAD and a replication read are not pulls')
      assert.equal((await t.berth.db.kysely.selectFrom('jobs').select('id').where('type', 'like', 'EVENT:%').where('payload', 'like', '%PULL_ARTIFACT%').execute()).length, 0)

      // The artifact API shows them, in Harbor's fields.
      const res = await get('/api/v2.0/projects/library/repositories/quiet/artifacts/v1?with_tag=true')
      assertStatus(res, 200)
      const json = res.json() as { pull_time: string; tags: { name: string; pull_time: string }[] }
      assert.equal(json.pull_time, times.artifact)
      assert.deepEqual(Object.fromEntries(json.tags.map((x) => [x.name, x.pull_time])), { v1: times.tags.v1, v2: NEVER })
      const otherJson = (await get('/api/v2.0/projects/library/repositories/quiet/artifacts/other')).json() as { pull_time: string }
      assert.equal(otherJson.pull_time, NEVER)
    })

    it('records one PULL_ARTIFACT per distinct repository, digest, tag and operator for a subscriber', async () => {
      t.berth.events.subscribe({ name: 'test-pulls', types: ['PULL_ARTIFACT'], handle: async () => {} })
      const img = await pushImage(t.app, 'library/loud', 'v1', 'loud-1')
      for (let i = 0; i < 4; i++) assertStatus(await get('/v2/library/loud/manifests/v1'), 200)
      for (let i = 0; i < 3; i++) assertStatus(await get(`/v2/library/loud/manifests/${img.digest}`), 200)
      for (let i = 0; i < 2; i++) assertStatus(await t.berth.app.inject({ method: 'GET', url: '/v2/library/loud/manifests/v1' }), 200) // anonymous: library is public
      assert.deepEqual(await deliveries('test-pulls'), [], 'nothing before the flush')
      await t.berth.pulls.flush()
      const events = await deliveries('test-pulls')
      const keys = events.map((e) => (e.type === 'PULL_ARTIFACT' ? `${e.repository}@${e.digest}:${e.tag ?? ''}:${e.operator}` : e.type)).sort()
      assert.deepEqual(keys, [`library/loud@${img.digest}::admin`, `library/loud@${img.digest}:v1:admin`, `library/loud@${img.digest}:v1:anonymous`])
      for (const e of events) assert.ok(!Number.isNaN(Date.parse(e.occurredAt)))
      assert.ok((await pullTimes('library/loud', img.digest)).artifact !== null)
    })

    it('writes a full batch at once, without waiting for the window', async () => {
      const img = await pushImage(t.app, 'library/busy', 'v1', 'busy-1')
      const pulls = new PullRecorder({ db: t.berth.db, events: t.berth.events, log: silentLogger(), flushMs: 3_600_000, maxBatch: 4 })
      for (let i = 0; i < 3; i++) pulls.record({ repository: 'library/busy', digest: img.digest, tag: 'v1', operator: 'admin' })
      assert.equal((await pullTimes('library/busy', img.digest)).artifact, null)
      pulls.record({ repository: 'library/busy', digest: img.digest, tag: 'v1', operator: 'admin' })
      await waitUntil('the batch written', async () => (await pullTimes('library/busy', img.digest)).artifact !== null, { timeoutMs: 5_000, everyMs: 20 })
      await pulls.close()
    })
  })
}
