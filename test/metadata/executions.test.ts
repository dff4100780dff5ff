// The execution/task model on both databases: one run per vendor at a time, task counts,
// paging, and migration 010 carrying replication's executions and tasks over with their ids.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Migrator, sql, type Kysely } from 'kysely'
import { openDb, migrate } from '../../src/metadata/db.js'
import * as m001 from '../../src/metadata/migrations/001-registry.js'
import * as m002 from '../../src/metadata/migrations/002-users-secrets.js'
import * as m003 from '../../src/metadata/migrations/003-identity.js'
import * as m004 from '../../src/metadata/migrations/004-catalog.js'
import * as m005 from '../../src/metadata/migrations/005-jobs.js'
import * as m006 from '../../src/metadata/migrations/006-replication.js'
import * as m007 from '../../src/metadata/migrations/007-project-metadata.js'
import * as m008 from '../../src/metadata/migrations/008-robot-grants.js'
import * as m009 from '../../src/metadata/migrations/009-upload-owner.js'
import { storesOver, type Stores } from '../../src/metadata/stores.js'
import type { Db } from '../../src/metadata/schema.js'
import { NO_QUERY } from '../../src/metadata/list-query.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../support/databases.js'

for (const dialect of DIALECTS) {
  describe(`executions and tasks on ${dialect}`, await dialectSkip(dialect), () => {
    let database: TestDatabase
    let db: Db
    let s: Stores

    before(async () => {
      database = await createTestDatabase(dialect)
      db = await openDb(database.url)
      await migrate(db)
      s = storesOver(db.kysely)
    })
    after(async () => {
      await db?.close()
      await database?.drop()
    })

    it('one run per vendor at a time, however many start it at once; others run beside it', async () => {
      const started = await Promise.all(Array.from({ length: 8 }, () => s.executions.start({ vendorType: 'GARBAGE_COLLECTION', vendorId: 0, trigger: 'MANUAL' })))
      const ids = started.filter((x): x is number => x !== null)
      assert.equal(ids.length, 1)
      assert.equal(await s.executions.active('GARBAGE_COLLECTION', 0), ids[0])
      const other = await s.executions.start({ vendorType: 'RETENTION', vendorId: 0, trigger: 'MANUAL' })
      assert.notEqual(other, null)
      assert.equal(await s.executions.end(ids[0]!, 'Success'), true)
      assert.equal(await s.executions.end(ids[0]!, 'Error'), false, 'an ended execution stays ended')
      assert.equal((await s.executions.get(ids[0]!))!.status, 'Success')
      const next = await s.executions.start({ vendorType: 'GARBAGE_COLLECTION', vendorId: 0, trigger: 'SCHEDULE', extraAttrs: { dry_run: true } })
      assert.notEqual(next, null)
      assert.equal(await s.executions.reopen(ids[0]!), false, 'not while another of its vendor runs')
      assert.deepEqual((await s.executions.get(next!))!.extraAttrs, { dry_run: true })
      await s.executions.setAttrs(next!, { freed: 42 })
      assert.deepEqual((await s.executions.get(next!))!.extraAttrs, { dry_run: true, freed: 42 })
      assert.equal(await s.executions.get(next!, 'RETENTION'), null, 'asked for as another vendor: not found')
    })

    it('tasks: statuses, run counts, attributes, counts on their execution, filters and pages', async () => {
      const e = (await s.executions.start({ vendorType: 'WEBHOOK', vendorId: 7, trigger: 'EVENT' }))!
      const ids: number[] = []
      for (let i = 0; i < 5; i++) ids.push(await s.tasks.create({ executionId: e, kind: i % 2 === 0 ? 'PUSH_ARTIFACT' : 'PULL_ARTIFACT', subject: `http://hook/${i}` }))
      await s.tasks.set(ids[0]!, 'Running')
      await s.tasks.set(ids[0]!, 'Success')
      await s.tasks.set(ids[0]!, 'Running')
      assert.equal((await s.tasks.get(ids[0]!))!.status, 'Success', 'an ended task stays ended')
      assert.equal((await s.tasks.get(ids[0]!))!.runCount, 1)
      await s.tasks.set(ids[1]!, 'Running')
      await s.tasks.set(ids[1]!, 'Error', 'receiver answered 500')
      await s.tasks.set(ids[2]!, 'Running')
      await s.tasks.setAttrs(ids[2]!, { http_status: 503 })
      const t2 = (await s.tasks.get(ids[2]!))!
      assert.equal(t2.status, 'Running')
      assert.deepEqual(t2.extraAttrs, { http_status: 503 })
      assert.deepEqual((await s.executions.get(e))!.metrics, { total: 5, pending: 2, running: 1, success: 1, error: 1, stopped: 0 })

      const failed = await s.tasks.list(e, { conditions: [{ key: 'status', op: 'eq', value: 'Error' }], sort: [], page: 1, pageSize: 10 })
      assert.deepEqual(
        failed.items.map((t) => [t.id, t.statusMessage]),
        [[ids[1], 'receiver answered 500']],
      )
      const pushes = await s.tasks.list(e, { conditions: [{ key: 'kind', op: 'eq', value: 'PUSH_ARTIFACT' }], sort: [], page: 2, pageSize: 2 })
      assert.equal(pushes.total, 3)
      assert.deepEqual(pushes.items.map((t) => t.id), [ids[4]])
      assert.deepEqual((await s.tasks.unfinished(e)).map((t) => t.id), [ids[2], ids[3], ids[4]])

      await s.tasks.retry(ids[1]!)
      assert.equal((await s.tasks.get(ids[1]!))!.status, 'Pending')
      await s.tasks.retry(ids[0]!)
      assert.equal((await s.tasks.get(ids[0]!))!.status, 'Success', 'only a failed task is retried')
    })

    it('lists a vendor\'s executions newest first, by policy, filtered and paged; purges ended ones', async () => {
      const mine: number[] = []
      for (let i = 0; i < 4; i++) {
        const id = (await s.executions.start({ vendorType: 'PURGE_AUDIT', vendorId: 0, trigger: i === 3 ? 'SCHEDULE' : 'MANUAL' }))!
        mine.push(id)
        if (i < 3) await s.executions.end(id, i === 1 ? 'Error' : 'Success')
      }
      const all = await s.executions.list('PURGE_AUDIT', NO_QUERY)
      assert.equal(all.total, 4)
      assert.deepEqual(all.items.map((e) => e.id), [...mine].reverse())
      const errors = await s.executions.list('PURGE_AUDIT', { conditions: [{ key: 'status', op: 'eq', value: 'Error' }], sort: [], page: 1, pageSize: 10 })
      assert.deepEqual(errors.items.map((e) => e.id), [mine[1]])
      const oldestFirst = await s.executions.list('PURGE_AUDIT', { conditions: [], sort: [{ key: 'id', desc: false }], page: 1, pageSize: 2 })
      assert.deepEqual(oldestFirst.items.map((e) => e.id), mine.slice(0, 2))
      await assert.rejects(s.executions.list('PURGE_AUDIT', { conditions: [{ key: 'vendor_type', op: 'eq', value: 'X' }], sort: [], page: 1, pageSize: 1 }), /not supported/)
      assert.equal((await s.executions.list('REPLICATION', NO_QUERY, 999)).total, 0)

      assert.equal(await s.executions.purgeEnded('PURGE_AUDIT', new Date(Date.now() + 60_000).toISOString()), 3)
      assert.deepEqual((await s.executions.list('PURGE_AUDIT', NO_QUERY)).items.map((e) => e.id), [mine[3]], 'the running one stays')
    })

    it('migration 010 carries replication executions and tasks over with their ids; new ids come after them', async () => {
      const fresh = await createTestDatabase(dialect)
      const old = await openDb(fresh.url)
      try {
        const upTo009 = [m001, m002, m003, m004, m005, m006, m007, m008, m009]
        const names = ['001-registry', '002-users-secrets', '003-identity', '004-catalog', '005-jobs', '006-replication', '007-project-metadata', '008-robot-grants', '009-upload-owner']
        const provider = { getMigrations: async () => Object.fromEntries(upTo009.map((m, i) => [names[i]!, { up: (k: Kysely<any>) => m.up(k, dialect) }])) }
        assert.equal((await new Migrator({ db: old.kysely, provider }).migrateToLatest()).error, undefined)
        const k = old.kysely as unknown as Kysely<any>
        const at = '2026-11-01T10:00:00.000Z'
        const end = '2026-11-01T10:05:00.000Z'
        await k.insertInto('replication_policies').values({ id: 3, name: 'p', trigger_type: 'manual', created_at: at, updated_at: at }).execute()
        await k
          .insertInto('replication_executions')
          .values([
            { id: 41, policy_id: 3, status: 'Failed', status_text: '1 of 2 task(s) failed', trigger: 'manual', start_time: at, end_time: end },
            { id: 42, policy_id: 3, status: 'InProgress', status_text: '', trigger: 'event_based', start_time: end, end_time: null },
          ])
          .execute()
        await k
          .insertInto('replication_tasks')
          .values([
            { id: 90, execution_id: 41, status: 'Succeed', operation: 'copy', resource_type: 'artifact', src_resource: 'a/b:1', dst_resource: 'x/a/b:1', job_id: null, start_time: at, end_time: end },
            { id: 91, execution_id: 41, status: 'Failed', operation: 'deletion', resource_type: 'artifact', src_resource: 'a/c:1', dst_resource: 'x/a/c:1', job_id: null, start_time: at, end_time: end },
            { id: 92, execution_id: 42, status: 'Pending', operation: 'copy', resource_type: 'artifact', src_resource: 'a/d:1', dst_resource: 'x/a/d:1', job_id: null, start_time: null, end_time: null },
          ])
          .execute()

        assert.deepEqual(await migrate(old), ['010-executions', '014-gc'])
        const o = storesOver(old.kysely)
        const e41 = (await o.replicationExecutions.get(41))!
        assert.deepEqual(
          { status: e41.status, text: e41.statusText, trigger: e41.trigger, start: e41.startTime, end: e41.endTime, counts: e41.counts },
          { status: 'Failed', text: '1 of 2 task(s) failed', trigger: 'manual', start: at, end, counts: { total: 2, failed: 1, succeed: 1, inProgress: 0, stopped: 0 } },
        )
        assert.equal((await o.replicationExecutions.active(3)), 42)
        const t91 = (await o.replicationTasks.get(91))!
        assert.deepEqual(
          { status: t91.status, op: t91.operation, type: t91.resourceType, src: t91.srcResource, dst: t91.dstResource },
          { status: 'Failed', op: 'deletion', type: 'artifact', src: 'a/c:1', dst: 'x/a/c:1' },
        )
        assert.equal((await o.executions.get(42))!.status, 'Running', 'the model speaks its own words')
        assert.equal(await o.replicationExecutions.start(3, 'manual'), null, 'the carried-over run still holds its policy')
        await o.replicationExecutions.end(42, 'Stopped')
        const next = (await o.replicationExecutions.start(3, 'manual'))!
        assert.ok(next > 42, `new execution ids continue after the carried ones (got ${next})`)
        assert.ok((await o.replicationTasks.create({ executionId: next, operation: 'copy', resourceType: 'artifact', srcResource: 's', dstResource: 'd' })) > 92)
        const copied = await sql<{ n: number }>`select count(*) as n from tasks`.execute(old.kysely)
        assert.equal(Number(copied.rows[0]!.n), 4)
      } finally {
        await old.close()
        await fresh.drop()
      }
    })
  })
}
