// The job service on both databases: jobs run once, fail and retry with backoff, end in the
// dead letter, stop on request, wait while their queue is paused; two nodes share the work
// without running a job twice; a job whose node died runs again after its lease lapses, and
// the dead node's late result is refused; a node that shuts down hands its jobs back; a cron
// schedule fires each slot once across nodes; a job enqueued in a rolled-back transaction never exists.
import { after, afterEach, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { openDb, migrate } from '../../src/metadata/db.js'
import type { Db } from '../../src/metadata/schema.js'
import { MemoryState } from '../../src/cache/shared-state.js'
import { silentLogger } from '../../src/lib/logger.js'
import { JobService, PermanentJobError, nextRun, type JobContext, type JobServiceOptions } from '../../src/jobs/job-service.js'
import { DIALECTS, createTestDatabase, dialectSkip, type TestDatabase } from '../support/databases.js'
import { waitUntil } from '../support/until.js'

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

const until = (what: string, fn: () => Promise<boolean> | boolean, ms = 10_000) => waitUntil(what, fn, { timeoutMs: ms, everyMs: 25 })

for (const dialect of DIALECTS) {
  describe(`job service on ${dialect}`, await dialectSkip(dialect), () => {
    let database: TestDatabase
    let db: Db
    const bus = new MemoryState().bus
    let services: JobService[] = []
    /** Runs per job id, across every node of the test. */
    let runs = new Map<number, number>()

    const node = (o: Partial<JobServiceOptions> = {}, handlers: Record<string, (p: unknown, ctx: JobContext) => Promise<void>> = {}) => {
      const s = new JobService({ db, log: silentLogger(), bus, concurrency: 2, leaseMs: 600, pollMs: 50, backoffMs: 50, maxBackoffMs: 200, tickMs: 100, ...o })
      const count = (ctx: JobContext) => runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1)
      s.register({ type: 'ok', maxAttempts: 3, run: async (_p, ctx) => void count(ctx) })
      s.register({
        type: 'flaky',
        maxAttempts: 4,
        run: async (p, ctx) => {
          count(ctx)
          if (ctx.job.attempts < (p as { failures: number }).failures + 1) throw new Error(`failure ${ctx.job.attempts}`)
          await ctx.log('worked')
        },
      })
      s.register({
        type: 'fatal',
        maxAttempts: 5,
        run: async (_p, ctx) => {
          count(ctx)
          throw new PermanentJobError('cannot ever work')
        },
      })
      s.register({
        type: 'slow',
        maxAttempts: 3,
        run: async (p, ctx) => {
          count(ctx)
          const ms = (p as { ms: number }).ms
          const end = Date.now() + ms
          while (Date.now() < end) {
            if (ctx.signal.aborted) throw ctx.signal.reason
            await sleep(20)
          }
        },
      })
      for (const [type, run] of Object.entries(handlers)) s.register({ type, maxAttempts: 3, run })
      services.push(s)
      return s
    }

    before(async () => {
      database = await createTestDatabase(dialect)
      db = await openDb(database.url)
      await migrate(db)
    })
    afterEach(async () => {
      for (const s of services) await s.close(200)
      services = []
      runs = new Map()
    })
    after(async () => {
      await db?.close()
      await database?.drop()
    })

    it('runs a job once, records success and its log lines', async () => {
      const s = node()
      s.start()
      const id = await s.enqueue({ type: 'flaky', payload: { failures: 0 } })
      await until('success', async () => (await s.jobs.get(id))?.state === 'success')
      const job = (await s.jobs.get(id))!
      assert.equal(job.attempts, 1)
      assert.equal(runs.get(id), 1)
      assert.equal(job.leaseOwner, null)
      assert.ok(job.finishedAt !== null)
      const log = await s.logs.read(id)
      assert.match(log, /attempt 1 of 4 on .*#\d/)
      assert.match(log, /worked\n$/)
    })

    it('retries a failing job with backoff until it works', async () => {
      const s = node()
      s.start()
      const id = await s.enqueue({ type: 'flaky', payload: { failures: 2 } })
      await until('success', async () => (await s.jobs.get(id))?.state === 'success')
      assert.equal(runs.get(id), 3)
      assert.equal((await s.jobs.get(id))!.attempts, 3)
      const log = await s.logs.read(id)
      assert.equal(log.match(/failed, retrying in/g)?.length, 2, log)
    })

    it('gives a job up after its attempts (the dead letter), with the last error, and an unretryable error at once', async () => {
      const s = node()
      s.start()
      const dead = await s.enqueue({ type: 'flaky', payload: { failures: 99 } })
      const fatal = await s.enqueue({ type: 'fatal', payload: null })
      await until('both ended', async () => (await s.jobs.get(dead))?.state === 'error' && (await s.jobs.get(fatal))?.state === 'error')
      assert.equal(runs.get(dead), 4)
      assert.equal((await s.jobs.get(dead))!.lastError, 'failure 4')
      assert.equal(runs.get(fatal), 1)
      assert.equal((await s.jobs.get(fatal))!.lastError, 'cannot ever work')
      await sleep(300)
      assert.equal(runs.get(dead), 4, 'a dead job is not picked up again')
    })

    it('one dedupe key makes one job', async () => {
      const s = node()
      const a = await s.enqueue({ type: 'ok', payload: 1, dedupeKey: 'event:42' })
      const b = await s.enqueue({ type: 'ok', payload: 2, dedupeKey: 'event:42' })
      assert.equal(a, b)
      s.start()
      await until('success', async () => (await s.jobs.get(a))?.state === 'success')
      await sleep(150)
      assert.equal(runs.get(a), 1)
    })

    it('stops a pending job before it runs, and a running one through its signal', async () => {
      const s = node({ concurrency: 1 })
      const running = await s.enqueue({ type: 'slow', payload: { ms: 5_000 } })
      const pending = await s.enqueue({ type: 'ok', payload: null, runAt: new Date(Date.now() + 60_000) })
      assert.equal((await s.stop(pending)).state, 'stopped')
      s.start()
      await until('running', async () => (await s.jobs.get(running))?.state === 'running')
      const t0 = Date.now()
      await s.stop(running)
      await until('stopped', async () => (await s.jobs.get(running))?.state === 'stopped')
      assert.ok(Date.now() - t0 < 2_000, `stopping took ${Date.now() - t0} ms`)
      assert.equal(runs.get(pending), undefined)
      await assert.rejects(s.stop(999_999), /job 999999 not found/)
    })

    it('a paused queue keeps its jobs until resumed; stop-and-clean stops its pending jobs', async () => {
      const s = node()
      await s.queues.setPaused('ok', true)
      s.start()
      const id = await s.enqueue({ type: 'ok', payload: null })
      const other = await s.enqueue({ type: 'flaky', payload: { failures: 0 } })
      await until('the other queue runs', async () => (await s.jobs.get(other))?.state === 'success')
      assert.equal((await s.jobs.get(id))!.state, 'pending')
      const listed = (await s.queues.list(s.registeredTypes)).find((q) => q.type === 'ok')!
      assert.deepEqual([listed.paused, listed.counts.pending], [true, 1])
      await s.queues.setPaused('ok', false)
      await s.wake()
      await until('resumed', async () => (await s.jobs.get(id))?.state === 'success')
      await s.queues.setPaused('ok', true)
      const a = await s.enqueue({ type: 'ok', payload: null })
      assert.equal(await s.queues.stopPending('ok'), 1)
      assert.equal((await s.jobs.get(a))!.state, 'stopped')
      await s.queues.setPaused('ok', false)
    })

    it('two nodes share a burst of jobs and run each exactly once', async () => {
      const a = node({ concurrency: 3 })
      const b = node({ concurrency: 3 })
      const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => a.enqueue({ type: 'ok', payload: i })))
      a.start()
      b.start()
      await until('all done', async () => (await Promise.all(ids.map((id) => a.jobs.get(id)))).every((j) => j?.state === 'success'), 20_000)
      assert.deepEqual(
        ids.filter((id) => runs.get(id) !== 1),
        [],
        'every job ran exactly once',
      )
      const owners = new Set((await Promise.all(ids.map((id) => a.logs.read(id)))).map((l) => /on (\S+)#/.exec(l)?.[1]))
      assert.equal(owners.size, 2, 'both nodes took jobs')
    })

    it("a job whose node died runs again after its lease lapses, once, and the dead node's late result is refused", async () => {
      const s = node()
      const id = await s.enqueue({ type: 'ok', payload: null })
      // A node claims it and dies: nothing renews its lease.
      const claimed = await s.jobs.claim(['ok'], 'dead-node#0', 300)
      assert.equal(claimed?.id, id)
      s.start()
      await sleep(150)
      assert.equal(runs.get(id), undefined, 'not taken while the lease holds')
      await until('run elsewhere', async () => (await s.jobs.get(id))?.state === 'success')
      assert.equal(runs.get(id), 1)
      assert.equal((await s.jobs.get(id))!.attempts, 2)
      assert.equal(await s.jobs.finish(id, 'dead-node#0', { state: 'error', error: 'late' }), false)
      assert.equal((await s.jobs.get(id))!.state, 'success')
    })

    it('a node that shuts down hands its running jobs back, and another node finishes them', async () => {
      const a = node({ concurrency: 1, leaseMs: 60_000 })
      const id = await a.enqueue({ type: 'slow', payload: { ms: 400 } })
      a.start()
      await until('running on a', async () => (await a.jobs.get(id))?.state === 'running')
      await a.close(50)
      const back = (await a.jobs.get(id))!
      assert.deepEqual([back.state, back.leaseOwner, back.attempts], ['pending', null, 0])
      const b = node({ concurrency: 1, leaseMs: 60_000 })
      b.start()
      await until('done on b', async () => (await b.jobs.get(id))?.state === 'success')
      assert.equal((await b.jobs.get(id))!.attempts, 1)
    })

    it('a cron schedule fires each slot once across nodes', async () => {
      const a = node()
      const b = node()
      await a.schedule('TEST', 1, '* * * * * *', 'ok', { from: 'schedule' })
      const t0 = Date.now()
      a.start()
      b.start()
      await sleep(3_300)
      await a.schedule('TEST', 1, null, 'ok', null)
      const seconds = Math.floor((Date.now() - t0) / 1000)
      const rows = await db.kysely.selectFrom('jobs').select(['dedupe_key', 'state']).where('dedupe_key', 'like', 'schedule:%').execute()
      const slots = rows.map((r) => r.dedupe_key)
      assert.equal(new Set(slots).size, slots.length)
      // One job per second that passed (a slot can fire late on a busy machine, never twice).
      assert.ok(rows.length >= seconds - 2 && rows.length <= seconds + 1, `${rows.length} jobs in ${seconds} s`)
      assert.equal(
        [...runs.values()].every((n) => n === 1),
        true,
      )
      assert.throws(() => nextRun('not a cron'), /invalid cron expression/)
    })

    it('a schedule set again unchanged (a node starting) keeps its next run; changed, it moves', async () => {
      const a = node()
      const b = node()
      await a.schedule('TEST', 2, '0 0 0 1 1 *', 'ok', null)
      const first = (await a.schedules.get('TEST', 2))!.nextAt
      await db.kysely.updateTable('schedules').set({ next_at: '2000-01-01T00:00:00.000Z' }).where('vendor_id', '=', 2).execute()
      await b.schedule('TEST', 2, '0 0 0 1 1 *', 'ok', null)
      assert.equal((await a.schedules.get('TEST', 2))!.nextAt, '2000-01-01T00:00:00.000Z')
      await b.schedule('TEST', 2, '0 0 0 2 1 *', 'ok', null)
      assert.notEqual((await a.schedules.get('TEST', 2))!.nextAt, first)
      await a.schedule('TEST', 2, null, 'ok', null)
    })

    it('a job enqueued in a transaction that rolls back never exists', async () => {
      const s = node()
      const before = await db.kysely.selectFrom('jobs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
      await assert.rejects(
        db.kysely.transaction().execute(async (trx) => {
          await s.enqueue({ type: 'ok', payload: 'outbox' }, trx)
          throw new Error('the change failed')
        }),
        /the change failed/,
      )
      const afterCount = await db.kysely.selectFrom('jobs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
      assert.equal(Number(afterCount.n), Number(before.n))
    })
  })
}
