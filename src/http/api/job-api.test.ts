// /api/v2.0 job service endpoints (Harbor's /jobservice and /schedules) end to end through
// app.inject() on both databases: queues with counts per state, pause/resume/stop of a queue,
// stopping a job, its log, worker pools and workers, schedules; administrators only.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_AUTH, basicAuth, createTestBerth, type TestBerth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { assertError, assertStatus, totalOf } from './api-test-support.js'
import { waitUntil } from '../../../test/support/until.js'

const BASE = '/api/v2.0'
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

for (const dialect of DIALECTS) {
  describe(`job service API on ${dialect}`, await dialectSkip(dialect), () => {
    let berth: TestBerth
    const USER = basicAuth('jobber', 'Jobber-Passw0rd')
    /** Lets a test hold a job running until it says so. */
    let release: () => void = () => {}

    const call = (auth: string | null, method: 'GET' | 'PUT', url: string, payload?: unknown) =>
      berth.app.inject({ method, url: `${BASE}${url}`, headers: auth === null ? {} : { authorization: auth }, ...(payload === undefined ? {} : { payload: payload as object }) })

    const stateOf = async (id: number) => (await berth.jobs.jobs.get(id))!.state
    const until = (what: string, fn: () => Promise<boolean>) => waitUntil(what, fn, { timeoutMs: 10_000, everyMs: 25 })

    before(async () => {
      berth = await createTestBerth(dialect, { jobs: { workers: 2, lease_seconds: 5 } })
      berth.jobs.register({
        type: 'TEST_HOLD',
        maxAttempts: 1,
        run: async (_p, ctx) => {
          await ctx.log('holding')
          await new Promise<void>((resolve, reject) => {
            release = resolve
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error))
          })
        },
      })
      berth.jobs.register({ type: 'TEST_QUICK', maxAttempts: 1, run: async (_p, ctx) => void (await ctx.log('quick')) })
      assertStatus(await call(ADMIN_AUTH, 'PUT', '/configurations', { self_registration: true }), 200)
      assertStatus(await berth.app.inject({ method: 'POST', url: `${BASE}/users`, payload: { username: 'jobber', password: 'Jobber-Passw0rd' } }), 201)
    })
    after(async () => {
      release()
      await berth?.close()
    })

    it('only system administrators see or touch the job service', async () => {
      for (const [method, url, body] of [
        ['GET', '/jobservice/queues'],
        ['PUT', '/jobservice/queues/all', { action: 'pause' }],
        ['GET', '/jobservice/pools'],
        ['GET', '/jobservice/pools/all/workers'],
        ['PUT', '/jobservice/jobs/1'],
        ['GET', '/jobservice/jobs/1/log'],
        ['GET', '/schedules'],
        ['GET', '/schedules/all/paused'],
      ] as const) {
        assertError(await call(null, method, url, body), 401, 'UNAUTHORIZED', `${method} ${url} anonymous`)
        assertError(await call(USER, method, url, body), 403, 'FORBIDDEN', `${method} ${url} as a user`)
      }
      assert.equal(await berth.jobs.queues.paused().then((p) => p.length), 0, 'nothing was paused')
    })

    it('a running job shows on its worker, its log is readable while it runs, and PUT /jobservice/jobs/{id} stops it', async () => {
      const id = await berth.jobs.enqueue({ type: 'TEST_HOLD', payload: null })
      await until('running', async () => (await stateOf(id)) === 'running')
      const pools = await call(ADMIN_AUTH, 'GET', '/jobservice/pools')
      assertStatus(pools, 200)
      const pool = pools.json().find((p: { worker_pool_id: string }) => p.worker_pool_id === berth.jobs.poolId)
      assert.ok(pool !== undefined, JSON.stringify(pools.json()))
      assert.deepEqual([pool.pid, pool.concurrency], [process.pid, 2])
      const workers = await call(ADMIN_AUTH, 'GET', `/jobservice/pools/${encodeURIComponent(berth.jobs.poolId)}/workers`)
      assertStatus(workers, 200)
      assert.equal(workers.json().length, 2)
      const busy = workers.json().find((w: { job_id: string }) => w.job_id === String(id))
      assert.equal(busy?.job_name, 'TEST_HOLD')
      assert.equal((await call(ADMIN_AUTH, 'GET', '/jobservice/pools/all/workers')).json().filter((w: { job_id: string }) => w.job_id === String(id)).length, 1)
      const log = await call(ADMIN_AUTH, 'GET', `/jobservice/jobs/${id}/log`)
      assertStatus(log, 200)
      assert.match(String(log.headers['content-type']), /^text\/plain/)
      assert.match(log.body, /holding\n$/)
      assertStatus(await call(ADMIN_AUTH, 'PUT', `/jobservice/jobs/${id}`), 200)
      await until('stopped', async () => (await stateOf(id)) === 'stopped')
      assertError(await call(ADMIN_AUTH, 'PUT', '/jobservice/jobs/987654'), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'GET', '/jobservice/jobs/987654/log'), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'GET', '/jobservice/jobs/abc/log'), 400, 'BAD_REQUEST')
      assertError(await call(ADMIN_AUTH, 'GET', '/jobservice/pools/no-such-pool/workers'), 404, 'NOT_FOUND')
    })

    it('queues: counts per state; pause keeps jobs pending, resume runs them, stop clears the pending ones', async () => {
      assertStatus(await call(ADMIN_AUTH, 'PUT', '/jobservice/queues/TEST_QUICK', { action: 'pause' }), 200)
      const paused = await call(ADMIN_AUTH, 'GET', '/schedules/TEST_QUICK/paused')
      assert.deepEqual(paused.json(), { paused: true })
      assert.deepEqual((await call(ADMIN_AUTH, 'GET', '/schedules/all/paused')).json(), { paused: false })
      const a = await berth.jobs.enqueue({ type: 'TEST_QUICK', payload: 1 })
      const b = await berth.jobs.enqueue({ type: 'TEST_QUICK', payload: 2 })
      await sleep(300)
      const queue = (await call(ADMIN_AUTH, 'GET', '/jobservice/queues')).json().find((q: { job_type: string }) => q.job_type === 'TEST_QUICK')
      assert.deepEqual([queue.paused, queue.count, queue.counts.pending], [true, 2, 2])
      assert.ok(queue.latency >= 0)
      assertStatus(await call(ADMIN_AUTH, 'PUT', '/jobservice/queues/TEST_QUICK', { action: 'resume' }), 200)
      await until('both ran', async () => (await stateOf(a)) === 'success' && (await stateOf(b)) === 'success')
      const after = (await call(ADMIN_AUTH, 'GET', '/jobservice/queues')).json().find((q: { job_type: string }) => q.job_type === 'TEST_QUICK')
      assert.deepEqual([after.paused, after.count, after.counts.success], [false, 0, 2])

      assertStatus(await call(ADMIN_AUTH, 'PUT', '/jobservice/queues/TEST_QUICK', { action: 'pause' }), 200)
      const c = await berth.jobs.enqueue({ type: 'TEST_QUICK', payload: 3 })
      assertStatus(await call(ADMIN_AUTH, 'PUT', '/jobservice/queues/TEST_QUICK', { action: 'stop' }), 200)
      assert.equal(await stateOf(c), 'stopped')
      assertStatus(await call(ADMIN_AUTH, 'PUT', '/jobservice/queues/all', { action: 'resume' }), 200)
      assert.deepEqual((await call(ADMIN_AUTH, 'GET', '/schedules/TEST_QUICK/paused')).json(), { paused: false })

      assertError(await call(ADMIN_AUTH, 'PUT', '/jobservice/queues/TEST_QUICK', { action: 'explode' }), 400, 'BAD_REQUEST')
      assertError(await call(ADMIN_AUTH, 'PUT', '/jobservice/queues/NO_SUCH_TYPE', { action: 'pause' }), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'GET', '/schedules/NO_SUCH_TYPE/paused'), 404, 'NOT_FOUND')
      assert.deepEqual(await berth.jobs.queues.paused(), [], 'the refused requests paused nothing')
    })

    it('schedules are listed with paging', async () => {
      const before = totalOf(await call(ADMIN_AUTH, 'GET', '/schedules'))
      await berth.jobs.schedule('TEST_VENDOR', 1, '0 0 3 * * *', 'TEST_QUICK', null)
      await berth.jobs.schedule('TEST_VENDOR', 2, '0 30 4 * * *', 'TEST_QUICK', null)
      const page = await call(ADMIN_AUTH, 'GET', `/schedules?page=${before + 1}&page_size=1`)
      assertStatus(page, 200)
      assert.equal(totalOf(page), before + 2)
      assert.deepEqual(
        page.json().map((s: { vendor_type: string; vendor_id: number; cron: string }) => [s.vendor_type, s.vendor_id, s.cron]),
        [['TEST_VENDOR', 1, '0 0 3 * * *']],
      )
      await berth.jobs.schedule('TEST_VENDOR', 1, null, 'TEST_QUICK', null)
      assert.equal(totalOf(await call(ADMIN_AUTH, 'GET', '/schedules')), before + 1)
      await berth.jobs.schedule('TEST_VENDOR', 2, null, 'TEST_QUICK', null)
    })
  })
}
