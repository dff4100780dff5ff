// Harbor's audit-log purge (/system/purgeaudit) through app.inject() on both databases: a run now
// (dry or real) as one execution with a log, at most one at a time, stoppable, a schedule that
// fires, history with paging, and the refusals: who may, which parameters, which ids.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ADMIN_AUTH, basicAuth, createTestBerth, type TestBerth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { waitUntil } from '../../../test/support/until.js'
import { assertError, assertStatus, idFromLocation, totalOf } from './api-test-support.js'

const BASE = '/api/v2.0'
const PURGE = '/system/purgeaudit'

for (const dialect of DIALECTS) {
  describe(`audit-log purge API on ${dialect}`, await dialectSkip(dialect), () => {
    let berth: TestBerth
    const USER = basicAuth('auditor', 'Auditor-Passw0rd')

    const call = (auth: string | null, method: 'GET' | 'PUT' | 'POST', url: string, payload?: unknown) =>
      berth.app.inject({ method, url: `${BASE}${url}`, headers: auth === null ? {} : { authorization: auth }, ...(payload === undefined ? {} : { payload: payload as object }) })
    const run = async (parameters: Record<string, unknown>) => {
      const res = await call(ADMIN_AUTH, 'POST', `${PURGE}/schedule`, { schedule: { type: 'Manual' }, parameters })
      assertStatus(res, 201)
      return idFromLocation(res, `${BASE}${PURGE}`)
    }
    const finished = async (id: number) => {
      await waitUntil(`purge ${id} ends`, async () => !['Running', 'Pending'].includes((await call(ADMIN_AUTH, 'GET', `${PURGE}/${id}`)).json().job_status), { timeoutMs: 15_000, everyMs: 25 })
      return (await call(ADMIN_AUTH, 'GET', `${PURGE}/${id}`)).json()
    }
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString()
    const entry = (operation: string, opTime: string) => ({ projectId: null, username: 'seed', operation, resourceType: 'artifact', resource: `seed-${operation}`, result: 'success' as const, clientIp: '', opTime })
    const seeded = async (operation: string) =>
      Number((await berth.db.kysely.selectFrom('audit_logs').select((eb) => eb.fn.countAll<string>().as('n')).where('username', '=', 'seed').where('operation', '=', operation).executeTakeFirstOrThrow()).n)

    before(async () => {
      berth = await createTestBerth(dialect, { jobs: { workers: 2, lease_seconds: 5 } })
      assertStatus(await call(ADMIN_AUTH, 'PUT', '/configurations', { self_registration: true }), 200)
      assertStatus(await berth.app.inject({ method: 'POST', url: `${BASE}/users`, payload: { username: 'auditor', password: 'Auditor-Passw0rd' } }), 201)
    })
    after(async () => {
      await berth?.destroy()
    })

    it('only system administrators see or run purges', async () => {
      for (const [method, url, body] of [
        ['GET', PURGE],
        ['GET', `${PURGE}/1`],
        ['PUT', `${PURGE}/1`],
        ['GET', `${PURGE}/1/log`],
        ['GET', `${PURGE}/schedule`],
        ['POST', `${PURGE}/schedule`, { schedule: { type: 'Manual' }, parameters: { audit_retention_hour: 1 } }],
        ['PUT', `${PURGE}/schedule`, { schedule: { type: 'Daily' }, parameters: { audit_retention_hour: 1 } }],
      ] as const) {
        assertError(await call(null, method, url, body), 401, 'UNAUTHORIZED', `${method} ${url} anonymous`)
        assertError(await call(USER, method, url, body), 403, 'FORBIDDEN', `${method} ${url} as a user`)
      }
      assert.equal(totalOf(await call(ADMIN_AUTH, 'GET', PURGE)), 0, 'no run was started')
      assert.equal((await call(ADMIN_AUTH, 'GET', `${PURGE}/schedule`)).json().schedule.type, 'None', 'no schedule was set')
    })

    it('a dry run counts, a real run deletes only old entries of the operations named, each with its log', async () => {
      await berth.stores.audit.insert([
        entry('create', hoursAgo(48)),
        entry('create', hoursAgo(30)),
        entry('delete', hoursAgo(48)),
        entry('create', hoursAgo(1)),
        entry('pull', hoursAgo(48)),
      ])
      const dry = await finished(await run({ audit_retention_hour: 24, include_operations: 'create,delete', dry_run: true }))
      assert.equal(dry.job_status, 'Success')
      assert.equal(dry.job_kind, 'MANUAL')
      assert.equal(dry.job_name, 'PURGE_AUDIT')
      assert.deepEqual(JSON.parse(dry.job_parameters), { audit_retention_hour: 24, include_operations: 'create,delete', dry_run: true, purged: 3 })
      assert.deepEqual([await seeded('create'), await seeded('delete'), await seeded('pull')], [3, 1, 1], 'a dry run deletes nothing')

      const real = await finished(await run({ audit_retention_hour: 24, include_operations: 'create,delete' }))
      assert.equal(real.job_status, 'Success')
      assert.equal(JSON.parse(real.job_parameters).purged, 3)
      assert.deepEqual([await seeded('create'), await seeded('delete'), await seeded('pull')], [1, 0, 1], 'the recent create and the pull stay')
      const log = await call(ADMIN_AUTH, 'GET', `${PURGE}/${real.id}/log`)
      assertStatus(log, 200)
      assert.match(log.headers['content-type'] as string, /^text\/plain/)
      assert.match(log.body, /3 entries purged/)

      const history = await call(ADMIN_AUTH, 'GET', `${PURGE}?page_size=1`)
      assert.equal(totalOf(history), 2)
      assert.deepEqual(history.json().map((h: { id: number }) => h.id), [real.id], 'newest first')
      assert.match(history.headers.link as string, /rel="next"/)
      assert.equal(totalOf(await call(ADMIN_AUTH, 'GET', `${PURGE}?q=job_status=Error`)), 0)
      // An empty list of operations purges every operation.
      await finished(await run({ audit_retention_hour: 24 }))
      assert.equal(await seeded('pull'), 0)
    })

    it('at most one run at a time; a stop ends it at once and stops its job', async () => {
      // With its queue paused the run's task waits, so the run stays in progress.
      await berth.jobs.queues.setPaused('PURGE_AUDIT', true)
      try {
        const id = await run({ audit_retention_hour: 1 })
        assertError(await call(ADMIN_AUTH, 'POST', `${PURGE}/schedule`, { schedule: { type: 'Manual' }, parameters: { audit_retention_hour: 1 } }), 409, 'CONFLICT')
        assert.equal((await call(ADMIN_AUTH, 'GET', `${PURGE}/${id}`)).json().job_status, 'Running')
        assertStatus(await call(ADMIN_AUTH, 'PUT', `${PURGE}/${id}`), 200)
        assert.equal((await call(ADMIN_AUTH, 'GET', `${PURGE}/${id}`)).json().job_status, 'Stopped')
        const [task] = (await berth.executions.tasks.list(id, { conditions: [], sort: [], page: 1, pageSize: 1 })).items
        assert.equal((await berth.jobs.jobs.get(task!.jobId!))!.state, 'stopped')
      } finally {
        await berth.jobs.queues.setPaused('PURGE_AUDIT', false)
      }
      const next = await finished(await run({ audit_retention_hour: 1 }))
      assert.equal(next.job_status, 'Success', 'a new run starts once the stopped one ended')
    })

    it('schedules: set, shown, fired once per slot, changed and removed', async () => {
      assertStatus(await call(ADMIN_AUTH, 'PUT', `${PURGE}/schedule`, { schedule: { type: 'Daily' }, parameters: { audit_retention_hour: 720, include_operations: 'pull' } }), 200)
      let s = (await call(ADMIN_AUTH, 'GET', `${PURGE}/schedule`)).json()
      assert.deepEqual([s.schedule.type, s.schedule.cron], ['Daily', '0 0 0 * * *'])
      assert.ok(Date.parse(s.schedule.next_scheduled_time) > Date.now())
      assert.deepEqual(JSON.parse(s.job_parameters), { audit_retention_hour: 720, include_operations: 'pull', dry_run: false })

      assertStatus(await call(ADMIN_AUTH, 'PUT', `${PURGE}/schedule`, { schedule: { type: 'Custom', cron: '0 */5 * * * *' }, parameters: { audit_retention_hour: 720 } }), 200)
      s = (await call(ADMIN_AUTH, 'GET', `${PURGE}/schedule`)).json()
      assert.deepEqual([s.schedule.type, s.schedule.cron], ['Custom', '0 */5 * * * *'])

      // Its next slot comes now: it fires once, as a scheduled run.
      const before = totalOf(await call(ADMIN_AUTH, 'GET', PURGE))
      const sched = (await berth.jobs.schedules.get('PURGE_AUDIT', 0))!
      await berth.jobs.schedules.put({ ...sched, nextAt: new Date(Date.now() - 1000) })
      await waitUntil('the scheduled run', async () => totalOf(await call(ADMIN_AUTH, 'GET', `${PURGE}?q=job_kind=SCHEDULE`)) === 1, { timeoutMs: 15_000, everyMs: 50 })
      assert.equal(totalOf(await call(ADMIN_AUTH, 'GET', PURGE)), before + 1)

      assertStatus(await call(ADMIN_AUTH, 'PUT', `${PURGE}/schedule`, { schedule: { type: 'None' } , parameters: { audit_retention_hour: 1 } }), 200)
      assert.equal((await call(ADMIN_AUTH, 'GET', `${PURGE}/schedule`)).json().schedule.type, 'None')
      assert.equal(await berth.jobs.schedules.get('PURGE_AUDIT', 0), null)
    })

    it('refuses bad parameters, schedules and ids precisely and starts nothing', async () => {
      const before = totalOf(await call(ADMIN_AUTH, 'GET', PURGE))
      for (const [body, pattern] of [
        [{ schedule: { type: 'Manual' }, parameters: {} }, /audit_retention_hour is required/],
        [{ schedule: { type: 'Manual' }, parameters: { audit_retention_hour: -1 } }, /audit_retention_hour must be an integer/],
        [{ schedule: { type: 'Manual' }, parameters: { audit_retention_hour: 'abc' } }, /audit_retention_hour must be an integer/],
        [{ schedule: { type: 'Manual' }, parameters: { audit_retention_hour: 1, include_operations: "create'; drop table audit_logs" } }, /include_operations/],
        [{ schedule: { type: 'Manual' }, parameters: { audit_retention_hour: 1, dry_run: 'yes' } }, /dry_run/],
        [{ schedule: { type: 'Custom' }, parameters: { audit_retention_hour: 1 } }, /cron is required/],
        [{ schedule: { type: 'Custom', cron: 'every day' }, parameters: { audit_retention_hour: 1 } }, /invalid cron/],
        [{ schedule: { type: 'Sometimes' }, parameters: { audit_retention_hour: 1 } }, /type/],
        [{ schedule: { type: 'Manual' }, parameters: { audit_retention_hour: 1 }, surprise: true }, /surprise/],
      ] as const) {
        const res = await call(ADMIN_AUTH, 'POST', `${PURGE}/schedule`, body)
        assertError(res, 400, 'BAD_REQUEST', JSON.stringify(body))
        assert.match(res.json().errors[0].message, pattern)
      }
      assert.equal(totalOf(await call(ADMIN_AUTH, 'GET', PURGE)), before)
      assert.equal(await berth.jobs.schedules.get('PURGE_AUDIT', 0), null)

      assertError(await call(ADMIN_AUTH, 'GET', `${PURGE}/999999`), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'PUT', `${PURGE}/999999`), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'GET', `${PURGE}/999999/log`), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'GET', `${PURGE}/abc`), 400, 'BAD_REQUEST')
      // A run of another kind of work is not a purge.
      const other = (await berth.stores.executions.start({ vendorType: 'GARBAGE_COLLECTION', vendorId: 0, trigger: 'MANUAL' }))!
      assertError(await call(ADMIN_AUTH, 'GET', `${PURGE}/${other}`), 404, 'NOT_FOUND')
      assertError(await call(ADMIN_AUTH, 'PUT', `${PURGE}/${other}`), 404, 'NOT_FOUND')
      assert.equal((await berth.stores.executions.get(other))!.status, 'Running', 'untouched')
      assertError(await call(ADMIN_AUTH, 'GET', `${PURGE}?q=secret=1`), 400, 'BAD_REQUEST')
    })
  })
}
