// Berth's GET /berth/overview/failures through app.inject() on both databases: the failed runs of
// every kind of background work, newest first and paged, with the project and policy each
// belongs to; only failures; one kind on request; administrators only, and hostile input refused.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createTestBerth, type TestBerth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { ADMIN, ANON, PROJECT_ROLES, assertError, assertStatus, linkRels, totalOf, userActor, type Actor } from './api-test-support.js'

const BASE = '/api/v2.0'
const FAILURES = '/berth/overview/failures'
const PASSWORD = 'Overview-Passw0rd'

type Json = any

for (const dialect of DIALECTS) {
  describe(`overview failures API on ${dialect}`, await dialectSkip(dialect), () => {
    let berth: TestBerth
    const members: Actor[] = []
    let robot: Actor
    const get = (as: Actor, url: string) => berth.app.inject({ method: 'GET', url: `${BASE}${url}`, headers: as.headers })
    /** A run of `vendorType` that ends as `status`; its id. */
    const run = async (vendorType: string, vendorId: number, status: 'Error' | 'Success' | 'Stopped' | null, message = '') => {
      const id = (await berth.stores.executions.start({ vendorType, vendorId, trigger: 'MANUAL', concurrent: true }))!
      if (status !== null) await berth.stores.executions.end(id, status, message)
      return id
    }
    let team = 0
    let webhookPolicy = 0
    let retentionPolicy = 0
    let replicationPolicy = 0

    before(async () => {
      berth = await createTestBerth(dialect)
      const created = await berth.app.inject({ method: 'POST', url: `${BASE}/projects`, headers: ADMIN.headers, payload: { project_name: 'team' } })
      assertStatus(created, 201)
      team = Number(/(\d+)$/.exec(String(created.headers.location))![1])
      for (const [name, role] of PROJECT_ROLES) {
        assertStatus(await berth.app.inject({ method: 'POST', url: `${BASE}/users`, headers: ADMIN.headers, payload: { username: name, password: PASSWORD, email: `${name}@example.com`, realname: name } }), 201)
        assertStatus(await berth.app.inject({ method: 'POST', url: `${BASE}/projects/team/members`, headers: ADMIN.headers, payload: { role_id: role, member_user: { username: name } } }), 201)
        members.push(userActor(name, PASSWORD))
      }
      // A system robot may read quotas and job queues, but this listing is for administrators.
      const r = await berth.app.inject({
        method: 'POST',
        url: `${BASE}/robots`,
        headers: ADMIN.headers,
        payload: { name: 'watcher', level: 'system', duration: -1, permissions: [{ kind: 'system', namespace: '/', access: [{ resource: 'jobservice-monitor', action: 'list' }] }] },
      })
      assertStatus(r, 201)
      robot = { name: 'system robot', headers: { authorization: `Basic ${Buffer.from(`${r.json().name}:${r.json().secret}`).toString('base64')}` } }

      const at = new Date().toISOString()
      const k = berth.db.kysely
      webhookPolicy = Number((await k.insertInto('webhook_policies').values({ project_id: team, name: 'notify-ci', targets: '[]', event_types: '[]', created_at: at, updated_at: at }).returning('id').executeTakeFirstOrThrow()).id)
      retentionPolicy = Number((await k.insertInto('retention_policies').values({ project_id: team, policy: '{}', created_at: at, updated_at: at }).returning('id').executeTakeFirstOrThrow()).id)
      replicationPolicy = Number((await k.insertInto('replication_policies').values({ name: 'to-dr', trigger_type: 'manual', src_registry_id: null, dest_registry_id: null, created_at: at, updated_at: at }).returning('id').executeTakeFirstOrThrow()).id)
    })
    after(() => berth?.destroy())

    it('lists only failed runs of every kind, newest first, with their project and policy', async () => {
      await run('GARBAGE_COLLECTION', 0, 'Success')
      const gc = await run('GARBAGE_COLLECTION', 0, 'Error', 'storage unreachable')
      await run('PURGE_AUDIT', 0, 'Stopped')
      await run('PURGE_AUDIT', 0, null)
      const purge = await run('PURGE_AUDIT', 0, 'Error', 'database timeout')
      const replication = await run('REPLICATION', replicationPolicy, 'Error', '2 of 5 tasks failed')
      const retention = await run('RETENTION', retentionPolicy, 'Error', 'repository team/app: denied')
      const webhook = await run('WEBHOOK', webhookPolicy, 'Error', 'target answered 500')

      const res = await get(ADMIN, `${FAILURES}?page_size=10`)
      assertStatus(res, 200)
      assert.equal(totalOf(res), 5)
      const items: Json[] = res.json()
      assert.deepEqual(
        items.map((f) => f.id),
        [webhook, retention, replication, purge, gc],
      )
      assert.deepEqual(items[0], { ...items[0], vendor_type: 'WEBHOOK', vendor_id: webhookPolicy, project_id: team, project_name: 'team', policy_name: 'notify-ci', status_message: 'target answered 500', trigger: 'MANUAL' })
      assert.deepEqual([items[1].vendor_type, items[1].project_id, items[1].project_name, items[1].policy_name], ['RETENTION', team, 'team', undefined])
      assert.deepEqual([items[2].vendor_type, items[2].project_id, items[2].policy_name], ['REPLICATION', undefined, 'to-dr'])
      assert.deepEqual([items[4].vendor_type, items[4].vendor_id, items[4].project_id, items[4].policy_name, items[4].status_message], ['GARBAGE_COLLECTION', 0, undefined, undefined, 'storage unreachable'])
      for (const f of items) assert.ok(!Number.isNaN(Date.parse(f.start_time)) && !Number.isNaN(Date.parse(f.end_time)), JSON.stringify(f))
    })

    it('pages with X-Total-Count and Link, and lists one kind on request', async () => {
      const first = await get(ADMIN, `${FAILURES}?page=1&page_size=2`)
      assertStatus(first, 200)
      assert.equal(first.json().length, 2)
      assert.ok(linkRels(first).next?.includes('page=2'), String(first.headers.link))
      const third = await get(ADMIN, `${FAILURES}?page=3&page_size=2`)
      assert.equal(third.json().length, 1)
      assert.equal(third.json()[0].vendor_type, 'GARBAGE_COLLECTION')

      const gcOnly = await get(ADMIN, `${FAILURES}?vendor_type=GARBAGE_COLLECTION`)
      assert.equal(totalOf(gcOnly), 1)
      assert.deepEqual(
        gcOnly.json().map((f: Json) => f.vendor_type),
        ['GARBAGE_COLLECTION'],
      )
      assert.equal(totalOf(await get(ADMIN, `${FAILURES}?vendor_type=NOTHING_LIKE_THIS`)), 0)
    })

    it('a failure whose policy is gone keeps its row, without project or policy', async () => {
      const at = new Date().toISOString()
      const k = berth.db.kysely
      const other = Number((await k.insertInto('webhook_policies').values({ project_id: team, name: 'short-lived', targets: '[]', event_types: '[]', created_at: at, updated_at: at }).returning('id').executeTakeFirstOrThrow()).id)
      const id = await run('WEBHOOK', other, 'Error', 'gone')
      await k.deleteFrom('webhook_policies').where('id', '=', other).execute()
      const top = (await get(ADMIN, `${FAILURES}?page_size=1`)).json()[0]
      assert.deepEqual([top.id, top.project_id, top.policy_name], [id, undefined, undefined])
      await k.deleteFrom('executions').where('id', '=', id).execute()
    })

    it('only system administrators may list failures', async () => {
      assertError(await get(ANON, FAILURES), 401, 'UNAUTHORIZED', 'anonymous')
      for (const who of [...members, robot]) assertError(await get(who, FAILURES), 403, 'FORBIDDEN', who.name)
    })

    it('refuses hostile paging and kinds', async () => {
      for (const q of ['page=0', 'page=-1', 'page_size=101', 'page_size=abc', 'vendor_type=gc%27%20or%201=1', `vendor_type=${'A'.repeat(65)}`, 'vendor_type=WEBHOOK,RETENTION']) {
        assertError(await get(ADMIN, `${FAILURES}?${q}`), 400, 'BAD_REQUEST', q)
      }
    })
  })
}
