// The execution lifecycle on both databases: a run's tasks run as jobs and their statuses follow
// the jobs' (retries included), the run ends when its last task ends and takes the worst status,
// results land in the attributes, a run with no tasks ends at once, and tasks of another run or
// vendor are not found through this one.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openDb, migrate } from '../../src/metadata/db.js'
import type { Db } from '../../src/metadata/schema.js'
import { MemoryState } from '../../src/cache/shared-state.js'
import { silentLogger } from '../../src/lib/logger.js'
import { JobService, PermanentJobError } from '../../src/jobs/job-service.js'
import { Executions } from '../../src/jobs/executions.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../support/databases.js'
import { waitUntil } from '../support/until.js'

for (const dialect of DIALECTS) {
  describe(`executions on ${dialect}`, await dialectSkip(dialect), () => {
    let database: TestDatabase
    let db: Db
    let jobs: JobService
    let ex: Executions

    const ended = (id: number) =>
      waitUntil(`execution ${id} ends`, async () => (await ex.executions.get(id))!.status !== 'Running', { timeoutMs: 10_000, everyMs: 25 }).then(async () => (await ex.executions.get(id))!)

    before(async () => {
      database = await createTestDatabase(dialect)
      db = await openDb(database.url)
      await migrate(db)
      jobs = new JobService({ db, log: silentLogger(), bus: new MemoryState().bus, concurrency: 2, leaseMs: 2_000, pollMs: 50, backoffMs: 20, maxBackoffMs: 50, tickMs: 100 })
      ex = new Executions({ db, jobs })
      ex.registerTask<{ n: number; fail?: 'once' | 'always' }>({
        jobType: 'TEST_TASK',
        maxAttempts: 2,
        run: async (p, ctx) => {
          if (p.fail === 'always') throw new PermanentJobError(`task ${p.n} cannot work`)
          if (p.fail === 'once' && ctx.job.attempts === 1) throw new Error('a passing failure')
          await ctx.setAttrs({ doubled: p.n * 2 })
          await ctx.setExecutionAttrs({ [`saw_${p.n}`]: true })
          await ctx.log(`task ${p.n} done`)
        },
      })
      jobs.start()
    })
    after(async () => {
      await jobs?.close()
      await db?.close()
      await database?.drop()
    })

    it('tasks follow their jobs, retries included; the run succeeds when all did, with their results', async () => {
      const id = (await ex.run('TEST_VENDOR', 1, 'MANUAL', 'TEST_TASK', [{ payload: { n: 1 } }, { payload: { n: 2, fail: 'once' }, kind: 'k', subject: 's' }], { dry_run: false }))!
      const e = await ended(id)
      assert.equal(e.status, 'Success')
      assert.deepEqual(e.metrics, { total: 2, pending: 0, running: 0, success: 2, error: 0, stopped: 0 })
      assert.deepEqual(e.extraAttrs, { dry_run: false, saw_1: true, saw_2: true })
      const { items } = await ex.executions.list('TEST_VENDOR', { conditions: [], sort: [], page: 1, pageSize: 10 }, 1)
      assert.deepEqual(items.map((x) => x.id), [id])
      const tasks = (await ex.tasks.list(id, { conditions: [], sort: [], page: 1, pageSize: 10 })).items
      assert.deepEqual(tasks.map((t) => [t.status, t.extraAttrs.doubled, t.runCount]), [['Success', 2, 1], ['Success', 4, 2]])
      assert.deepEqual([tasks[1]!.kind, tasks[1]!.subject], ['k', 's'])
      const log = await ex.log(await ex.task(id, tasks[1]!.id, 'TEST_VENDOR'))
      assert.match(log, /a passing failure/)
      assert.match(log, /task 2 done/)
    })

    it('a task that fails for good makes the run an Error with the reason on the task', async () => {
      const id = (await ex.run('TEST_VENDOR', 2, 'SCHEDULE', 'TEST_TASK', [{ payload: { n: 3 } }, { payload: { n: 4, fail: 'always' } }]))!
      const e = await ended(id)
      assert.equal(e.status, 'Error')
      assert.equal(e.statusMessage, '1 of 2 task(s) failed')
      const failed = (await ex.tasks.list(id, { conditions: [{ key: 'status', op: 'eq', value: 'Error' }], sort: [], page: 1, pageSize: 10 })).items
      assert.equal(failed.length, 1)
      assert.match(failed[0]!.statusMessage, /task 4 cannot work/)
    })

    it('a run with no tasks ends at once; one per vendor id at a time; tasks are found only through their own run', async () => {
      const empty = (await ex.run('TEST_VENDOR', 3, 'MANUAL', 'TEST_TASK', []))!
      assert.equal((await ex.executions.get(empty))!.status, 'Success')
      const held = (await ex.start('TEST_VENDOR', 4, 'MANUAL'))!
      assert.equal(await ex.run('TEST_VENDOR', 4, 'MANUAL', 'TEST_TASK', [{ payload: { n: 5 } }]), null)
      assert.equal((await ex.tasks.list(held, { conditions: [], sort: [], page: 1, pageSize: 10 })).total, 0, 'the refused run added no task')
      const t = (await ex.addTask(held, 'TEST_TASK', { payload: { n: 6 } }))!
      assert.equal((await ended(held)).status, 'Success')
      assert.equal(await ex.addTask(held, 'TEST_TASK', { payload: { n: 7 } }), null, 'an ended run takes no task')
      await assert.rejects(ex.task(empty, t, 'TEST_VENDOR'), /not found/)
      await assert.rejects(ex.task(held, t, 'OTHER_VENDOR'), /not found/)
      await assert.rejects(ex.addTask(held, 'NO_SUCH_TYPE', { payload: {} }), /no task type/)
    })
  })
}
