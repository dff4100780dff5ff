// Scan-all and the rest of scanning's edges on both databases, with the fake adapter on loopback:
// scan-all's schedule, runs, metrics and stop (role matrix included), SCANNING_* webhooks to a
// receiver, robots on the scan, log and scanner routes, the scan credential's reach, an adapter
// slower than the request timeout, hostile names, and scanner URLs the outbound guard refuses.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import type { AddressInfo } from 'node:net'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { waitUntil } from '../../../test/support/until.js'
import { basicAuth, createTestBerth, ADMIN_AUTH } from '../../../test/support/berth-app.js'
import { FakeScannerAdapter } from '../../../test/support/scanner-adapter.js'
import { Receiver } from '../../../test/support/webhook-receiver.js'
import { assertError, assertStatus, checkResponse, ADMIN, ANON, userActor, type Actor, PROJECT_ROLES } from './api-test-support.js'
import { pushImage, pushManifest, indexText, OCI_INDEX, OCI_MANIFEST, useBerth, type Response } from '../oci/oci-test-support.js'

const API = '/api/v2.0'
const PASSWORD = 'Scan-All-Passw0rd'
const VULN = 'application/vnd.security.vulnerability.report; version=1.1'
type Json = any
const user = (name: string): Actor => userActor(name, PASSWORD)
const SCAN_ALL_ACTIONS = ['create', 'read', 'update', 'stop', 'list'].map((action) => ({ resource: 'scan-all', action }))
const SCANNER_ACTIONS = ['create', 'read', 'update', 'delete', 'list'].map((action) => ({ resource: 'scanner', action }))

for (const dialect of DIALECTS) {
  describe(`scan-all and scanning edges (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect, { scanning: { refresh_min_seconds: 0.01, refresh_max_seconds: 0.05, timeout: 60 } as never })
    const adapter = new FakeScannerAdapter()
    const receiver = new Receiver()
    let base = ''
    const robots: Record<string, Actor> = {}

    async function api(who: Actor, method: InjectOptions['method'], path: string, body?: unknown): Promise<Response> {
      const res = (await t.anonymous.inject({ method, url: `${API}${path}`, headers: { ...who.headers }, ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}) })) as Response
      checkResponse(res, `${who.name} ${method} ${path}`)
      return res
    }
    const until = (what: string, fn: () => Promise<boolean> | boolean) => waitUntil(what, fn, { timeoutMs: 20_000, everyMs: 25 })
    const overview = async (path: string): Promise<Json> => (await api(ADMIN, 'GET', `/projects/${path}?with_scan_overview=true`)).json().scan_overview?.[VULN]
    const ended = (path: string) => until(`scan of ${path} ended`, async () => ['Success', 'Error', 'Stopped'].includes((await overview(path))?.scan_status))
    const metrics = async (who: Actor = ADMIN): Promise<Json> => (await api(who, 'GET', '/scans/all/metrics')).json()
    const runEnded = () => until('the scan-all run ended', async () => (await metrics()).ongoing === false)
    const robot = async (name: string, permissions: unknown[]): Promise<Actor> => {
      const r = await api(ADMIN, 'POST', '/robots', { name, level: 'system', duration: -1, permissions })
      assertStatus(r, 201)
      return { name: `robot ${name}`, headers: { authorization: basicAuth(r.json().name, r.json().secret) } }
    }

    before(async () => {
      await adapter.start()
      await receiver.start()
      await t.berth.app.listen({ host: '127.0.0.1', port: 0 })
      base = `http://127.0.0.1:${(t.berth.app.server.address() as AddressInfo).port}`
      t.berth.config.scanning.registry_url = base
      for (const [name] of [...PROJECT_ROLES, ['other', 0] as const]) assertStatus(await api(ADMIN, 'POST', '/users', { username: name, password: PASSWORD, email: `${name}@example.com`, realname: name }), 201)
      for (const project of ['sa', 'sb']) assertStatus(await api(ADMIN, 'POST', '/projects', { project_name: project, metadata: { public: 'false' } }), 201)
      for (const [name, role] of PROJECT_ROLES) assertStatus(await api(ADMIN, 'POST', '/projects/sa/members', { role_id: role, member_user: { username: name } }), 201)
      robots.scanAll = await robot('scan-all', [{ kind: 'system', namespace: '/', access: [...SCAN_ALL_ACTIONS, ...SCANNER_ACTIONS] }])
      robots.idle = await robot('idle', [{ kind: 'system', namespace: '/', access: [{ resource: 'garbage-collection', action: 'read' }] }])
      robots.scanner = await robot('scans-sa', [{ kind: 'project', namespace: 'sa', access: [{ resource: 'scan', action: 'create' }, { resource: 'scan', action: 'read' }, { resource: 'scan', action: 'stop' }, { resource: 'project', action: 'read' }] }])
      robots.puller = await robot('pulls-sa', [{ kind: 'project', namespace: 'sa', access: [{ resource: 'repository', action: 'pull' }, { resource: 'project', action: 'read' }] }])
    })
    after(async () => {
      await adapter.stop()
      await receiver.stop()
    })

    it('scan-all: 412 without a default scanner; only system admins and robots granted scan-all; schedule POST/PUT/None as Harbor', async () => {
      assertError(await api(ADMIN, 'GET', '/system/scanAll/schedule'), 412, 'PRECONDITION')
      assertError(await api(ADMIN, 'GET', '/scans/all/metrics'), 412, 'PRECONDITION')
      // Scanner routes: a system robot granted scanner may manage them, one without may not.
      assertError(await api(robots.idle!, 'POST', '/scanners', { name: 'fake', url: adapter.url }), 403, 'FORBIDDEN')
      assertError(await api(robots.idle!, 'GET', '/scanners'), 403, 'FORBIDDEN')
      assertStatus(await api(robots.scanAll!, 'POST', '/scanners', { name: 'fake', url: adapter.url }), 201)
      const [scanner] = (await api(robots.scanAll!, 'GET', '/scanners')).json()
      assertStatus(await api(robots.scanAll!, 'GET', `/scanners/${scanner.uuid}/metadata`), 200)
      assertError(await api(robots.idle!, 'GET', `/scanners/${scanner.uuid}`), 403, 'FORBIDDEN')
      assertError(await api(robots.idle!, 'PATCH', `/scanners/${scanner.uuid}`, { is_default: true }), 403, 'FORBIDDEN')
      // use_internal_addr: Berth has one address for adapters.
      const internal = await api(ADMIN, 'POST', '/scanners', { name: 'internal', url: adapter.url, use_internal_addr: true })
      assertError(internal, 400, 'BAD_REQUEST')
      assert.match(internal.json().errors[0].message, /use_internal_addr.*scanning\.registry_url/)

      const calls: [InjectOptions['method'], string, unknown?][] = [
        ['GET', '/system/scanAll/schedule'],
        ['POST', '/system/scanAll/schedule', { schedule: { type: 'None' } }],
        ['PUT', '/system/scanAll/schedule', { schedule: { type: 'None' } }],
        ['POST', '/system/scanAll/stop'],
        ['GET', '/scans/all/metrics'],
        ['GET', '/scans/schedule/metrics'],
      ]
      for (const [method, path, body] of calls) {
        for (const who of [...PROJECT_ROLES.map(([n]) => user(n)), user('other'), robots.idle!, robots.scanner!]) assertError(await api(who, method, path, body), 403, 'FORBIDDEN', `${who.name} ${method} ${path}`)
        assertError(await api(ANON, method, path, body), 401, 'UNAUTHORIZED', `${method} ${path}`)
      }
      assertError(await api(robots.scanAll!, 'POST', '/system/scanAll/stop'), 400, 'BAD_REQUEST', 'no run yet')
      assert.deepEqual(await metrics(robots.scanAll!), { total: 0, completed: 0, metrics: { Pending: 0, Running: 0, Success: 0, Error: 0, Stopped: 0 }, ongoing: false })
      assert.deepEqual((await api(ADMIN, 'GET', '/system/scanAll/schedule')).json().schedule, { type: 'None', cron: '' })
      assertStatus(await api(robots.scanAll!, 'POST', '/system/scanAll/schedule', { schedule: { type: 'Daily' } }), 201)
      const daily = (await api(ADMIN, 'GET', '/system/scanAll/schedule')).json()
      assert.equal(daily.schedule.type, 'Daily')
      assert.equal(daily.schedule.cron, '0 0 0 * * *')
      assertError(await api(ADMIN, 'POST', '/system/scanAll/schedule', { schedule: { type: 'Weekly' } }), 412, 'PRECONDITION')
      assertError(await api(ADMIN, 'PUT', '/system/scanAll/schedule', { schedule: { type: 'Manual' } }), 400, 'BAD_REQUEST')
      assertError(await api(ADMIN, 'PUT', '/system/scanAll/schedule', { schedule: { type: 'Custom', cron: 'often' } }), 400, 'BAD_REQUEST')
      assertError(await api(ADMIN, 'PUT', '/system/scanAll/schedule', { schedule: { type: 'Sometimes' } }), 400, 'BAD_REQUEST')
      assertStatus(await api(robots.scanAll!, 'PUT', '/system/scanAll/schedule', { schedule: { type: 'Custom', cron: '0 30 2 * * *' } }), 200)
      assert.equal((await api(ADMIN, 'GET', '/system/scanAll/schedule')).json().schedule.cron, '0 30 2 * * *')
      assertStatus(await api(ADMIN, 'PUT', '/system/scanAll/schedule', { schedule: { type: 'None' } }), 200)
      assert.equal((await api(ADMIN, 'GET', '/system/scanAll/schedule')).json().schedule.type, 'None')
      assertStatus(await api(ADMIN, 'POST', '/system/scanAll/schedule', { schedule: { type: 'None' } }), 201)
      assert.equal((await api(ADMIN, 'GET', '/system/scanAll/schedule')).json().schedule.type, 'None')
    })

    it("scan-all scans every project's images (an index as its children, accessories not), refuses a second run, and tells SCANNING_COMPLETED to subscribed policies", async () => {
      assertStatus(await api(ADMIN, 'POST', '/projects/sa/webhook/policies', { name: 'scans', event_types: ['SCANNING_COMPLETED', 'SCANNING_FAILED', 'SCANNING_STOPPED'], targets: [{ type: 'http', address: receiver.url }] }), 201)
      assertStatus(await api(ADMIN, 'POST', '/projects/sb/webhook/policies', { name: 'pushes', event_types: ['PUSH_ARTIFACT'], targets: [{ type: 'http', address: receiver.url }] }), 201)
      const one = await pushImage(t.app, 'sa/one', 'v1', 'one')
      const two = await pushImage(t.app, 'sb/two', 'v1', 'two')
      const amd = await pushImage(t.app, 'sb/multi', 'amd64', 'amd64')
      const arm = await pushImage(t.app, 'sb/multi', 'arm64', 'arm64')
      await pushManifest(t.app, 'sb/multi', 'latest', indexText(OCI_INDEX, [
        { mediaType: OCI_MANIFEST, digest: amd.digest, size: amd.size, platform: { os: 'linux', architecture: 'amd64' } } as never,
        { mediaType: OCI_MANIFEST, digest: arm.digest, size: arm.size, platform: { os: 'linux', architecture: 'arm64' } } as never,
      ]), OCI_INDEX)
      // A signature-like referrer: an accessory, not scanned.
      const accessory = await pushImage(t.app, 'sa/one', 'sig', 'sig', { artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json', subject: { mediaType: OCI_MANIFEST, digest: one.digest, size: one.size } as never })
      adapter.vulnerabilities.set(one.digest, [{ id: 'CVE-2024-1111', package: 'libc', version: '1', fix_version: '2', severity: 'High' }])
      const before = adapter.scans.length
      receiver.received.length = 0

      assertStatus(await api(robots.scanAll!, 'POST', '/system/scanAll/schedule', { schedule: { type: 'Manual' } }), 201)
      await runEnded()
      const m = await metrics()
      const scanned = adapter.scans.slice(before).map((s) => `${s.repository}@${s.digest}`)
      assert.deepEqual([...scanned].sort(), [`sa/one@${one.digest}`, `sb/multi@${amd.digest}`, `sb/multi@${arm.digest}`, `sb/two@${two.digest}`].sort(), 'each image once, an index as its children')
      assert.ok(!scanned.some((s) => s.endsWith(accessory.digest)), 'the accessory is not scanned')
      assert.ok(adapter.scans.slice(before).every((s) => s.pulled), 'every scan pulled its image')
      const failures = await t.berth.db.kysely.selectFrom('tasks').select(['subject', 'status_message']).where('status', '=', 'Error').execute()
      assert.deepEqual(m, { total: 4, completed: 4, metrics: { Pending: 0, Running: 0, Success: 4, Error: 0, Stopped: 0 }, ongoing: false, trigger: 'Manual' }, JSON.stringify(failures))
      const ov = await overview('sa/repositories/one/artifacts/v1')
      assert.equal(ov.scan_status, 'Success')
      assert.equal(ov.severity, 'High')
      assert.equal((await overview('sb/repositories/multi/artifacts/latest')).total_count, 2)

      // One SCANNING_COMPLETED for the one image of the subscribed project; none for the other project's policy.
      await until('the webhook', () => receiver.received.some((r) => JSON.parse(r.body).type === 'SCANNING_COMPLETED'))
      const hooks = receiver.received.map((r) => JSON.parse(r.body)).filter((b) => b.type.startsWith('SCANNING'))
      assert.equal(hooks.length, 1, JSON.stringify(hooks))
      const [hook] = hooks
      assert.equal(hook.event_data.repository.repo_full_name, 'sa/one')
      assert.equal(hook.event_data.repository.namespace, 'sa')
      assert.equal(hook.event_data.resources[0].digest, one.digest)
      assert.match(hook.event_data.resources[0].resource_url, /sa\/one@sha256:/)
      const sent = hook.event_data.resources[0].scan_overview[VULN]
      assert.equal(sent.scan_status, 'Success')
      assert.equal(sent.severity, 'High')
      assert.deepEqual(sent.summary, { total: 1, fixable: 1, summary: { High: 1 } })

      // A run while one runs is refused; stop ends it and its scans (reports Stopped, SCANNING_STOPPED told).
      adapter.slow = 1_000_000
      adapter.refreshAfter = 1
      receiver.received.length = 0
      assertStatus(await api(ADMIN, 'POST', '/system/scanAll/schedule', { schedule: { type: 'Manual' } }), 201)
      assertError(await api(ADMIN, 'POST', '/system/scanAll/schedule', { schedule: { type: 'Manual' } }), 409, 'CONFLICT')
      await until('scans run', async () => (await overview('sa/repositories/one/artifacts/v1'))?.scan_status === 'Running')
      assert.equal((await metrics()).ongoing, true)
      assertStatus(await api(robots.scanAll!, 'POST', '/system/scanAll/stop'), 202)
      await runEnded()
      const stopped = await metrics()
      assert.equal(stopped.metrics.Running + stopped.metrics.Pending, 0, JSON.stringify(stopped))
      assert.ok(stopped.metrics.Stopped >= 1, JSON.stringify(stopped))
      await ended('sa/repositories/one/artifacts/v1')
      assert.equal((await overview('sa/repositories/one/artifacts/v1')).scan_status, 'Stopped')
      await until('SCANNING_STOPPED', () => receiver.received.some((r) => JSON.parse(r.body).type === 'SCANNING_STOPPED'))
      const stop = receiver.received.map((r) => JSON.parse(r.body)).find((b) => b.type === 'SCANNING_STOPPED')
      assert.equal(stop.event_data.resources[0].scan_overview[VULN].scan_status, 'Stopped')
      await until('scan credentials gone', async () => (await t.berth.db.kysely.selectFrom('robots').select('id').where('name', 'like', 'robot$scan~%').execute()).length === 0)
      adapter.slow = 0
    })

    it('a schedule fires as a scheduled run (its own metrics)', async () => {
      assertStatus(await api(ADMIN, 'PUT', '/system/scanAll/schedule', { schedule: { type: 'Hourly' } }), 200)
      const sched = (await t.berth.jobs.schedules.get('SCAN_ALL', 0))!
      await t.berth.jobs.schedules.put({ ...sched, nextAt: new Date(Date.now() - 1000) } as never)
      await until('the scheduled run', async () => (await api(ADMIN, 'GET', '/scans/schedule/metrics')).json().trigger === 'Schedule')
      await until('the scheduled run ended', async () => (await api(ADMIN, 'GET', '/scans/schedule/metrics')).json().ongoing === false)
      const m = (await api(ADMIN, 'GET', '/scans/schedule/metrics')).json()
      assert.equal(m.total, 4, JSON.stringify(m))
      assert.equal((await metrics()).trigger, 'Schedule', 'the latest run of any trigger')
      assertStatus(await api(ADMIN, 'PUT', '/system/scanAll/schedule', { schedule: { type: 'None' } }), 200)
    })

    it('SCANNING_FAILED carries the failed overview; robots with and without scan permission on scan and log routes', async () => {
      receiver.received.length = 0
      adapter.error = 'the CVE database is gone'
      const path = '/projects/sa/repositories/one/artifacts/v1'
      assertError(await api(robots.puller!, 'POST', `${path}/scan`), 403, 'FORBIDDEN')
      assertStatus(await api(robots.scanner!, 'POST', `${path}/scan`), 202)
      await ended('sa/repositories/one/artifacts/v1')
      const failed = await overview('sa/repositories/one/artifacts/v1')
      assert.equal(failed.scan_status, 'Error')
      const log = await api(robots.scanner!, 'GET', `${path}/scan/${failed.report_id}/log`)
      assertStatus(log, 200)
      assert.match(log.body, /the CVE database is gone/)
      assertError(await api(robots.puller!, 'GET', `${path}/scan/${failed.report_id}/log`), 403, 'FORBIDDEN')
      assertError(await api(robots.scanner!, 'GET', `/projects/sb/repositories/two/artifacts/v1/scan/${failed.report_id}/log`), 404, 'NOT_FOUND')
      await until('SCANNING_FAILED', () => receiver.received.some((r) => JSON.parse(r.body).type === 'SCANNING_FAILED'))
      const hook = receiver.received.map((r) => JSON.parse(r.body)).find((b) => b.type === 'SCANNING_FAILED')
      assert.equal(hook.event_data.resources[0].scan_overview[VULN].scan_status, 'Error')
      assert.equal(hook.event_data.resources[0].scan_overview[VULN].report_id, failed.report_id)
      assert.equal(hook.operator, 'robot$scans-sa')
      adapter.error = ''

      // Stop by a robot with scan:stop; one without is refused.
      adapter.slow = 1_000_000
      assertStatus(await api(robots.scanner!, 'POST', `${path}/scan`), 202)
      await until('the scan runs', async () => (await overview('sa/repositories/one/artifacts/v1'))?.scan_status === 'Running')
      assertError(await api(robots.puller!, 'POST', `${path}/scan/stop`, { scan_type: 'vulnerability' }), 403, 'FORBIDDEN')
      assertStatus(await api(robots.scanner!, 'POST', `${path}/scan/stop`, { scan_type: 'vulnerability' }), 202)
      await ended('sa/repositories/one/artifacts/v1')
      assert.equal((await overview('sa/repositories/one/artifacts/v1')).scan_status, 'Stopped')
      adapter.slow = 0
    })

    it('the scan credential cannot list the catalog, pull another project or get a wider token', async () => {
      const other = await pushImage(t.app, 'sb/private', 'v1', 'private')
      const seen: Record<string, number> = {}
      adapter.onScan = async (s) => {
        const h = { authorization: s.authorization }
        seen.catalog = (await fetch(`${base}/v2/_catalog`, { headers: h })).status
        seen.otherProject = (await fetch(`${base}/v2/sb/private/manifests/${other.digest}`, { headers: h })).status
        seen.sameProjectOtherRepo = (await fetch(`${base}/v2/sb/two/manifests/v1`, { headers: h })).status
        seen.tags = (await fetch(`${base}/v2/${s.repository}/tags/list`, { headers: h })).status
        const token = await fetch(`${base}/service/token?service=berth&scope=repository:sb/private:pull`, { headers: h })
        seen.token = token.status
        const issued = token.status === 200 ? ((await token.json()) as { token?: string }).token : undefined
        seen.widened = issued === undefined ? 401 : (await fetch(`${base}/v2/sb/private/manifests/${other.digest}`, { headers: { authorization: `Bearer ${issued}` } })).status
        seen.api = (await fetch(`${base}${API}/projects/sb/repositories`, { headers: h })).status
      }
      const path = '/projects/sa/repositories/one/artifacts/v1'
      await until('a scan starts', async () => (await api(ADMIN, 'POST', `${path}/scan`)).statusCode === 202)
      await ended('sa/repositories/one/artifacts/v1')
      adapter.onScan = null
      assert.equal(seen.catalog !== 200 || seen.catalog === undefined, true, JSON.stringify(seen))
      assert.equal(seen.otherProject, 401)
      assert.equal(seen.sameProjectOtherRepo, 401)
      assert.equal(seen.widened, 401, JSON.stringify(seen))
      assert.notEqual(seen.api, 200, JSON.stringify(seen))
      const ov = await overview('sa/repositories/one/artifacts/v1')
      assert.equal(ov.scan_status, 'Success', (await api(ADMIN, 'GET', `${path}/scan/${ov.report_id}/log`)).body)
    })

    it('hostile repository, reference and report names are refused precisely and change nothing', async () => {
      const executions = async () => Number((await t.berth.db.kysely.selectFrom('executions').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)
      const before = await executions()
      const cases: [string, number][] = [
        ['/projects/sa/repositories/..%252F..%252Fsb%252Ftwo/artifacts/v1/scan', 400],
        ['/projects/sa/repositories/one%2500x/artifacts/v1/scan', 400],
        [`/projects/sa/repositories/${'a'.repeat(1100)}/artifacts/v1/scan`, 400],
        ['/projects/sa/repositories/one/artifacts/sha256:zz/scan', 400],
        ['/projects/sa/repositories/one/artifacts/..%2F..%2Fv1/scan', 400],
        ['/projects/sa/repositories/one/artifacts/v1%0Ax/scan', 400],
        ['/projects/sa/repositories/one/artifacts/nope/scan', 404],
        ['/projects/sa/repositories/two/artifacts/v1/scan', 404],
        ['/projects/..%2Fsb/repositories/two/artifacts/v1/scan', 404],
      ]
      for (const [path, status] of cases) {
        const res = await api(ADMIN, 'POST', path)
        assert.equal(res.statusCode, status, `${path}: ${res.body}`)
        assert.ok(Array.isArray(res.json().errors), path)
      }
      for (const report of ['..%2F..%2Fx', 'x'.repeat(65), '%00']) assert.ok([400, 404].includes((await api(ADMIN, 'GET', `/projects/sa/repositories/one/artifacts/v1/scan/${report}/log`)).statusCode), report)
      assertError(await api(ADMIN, 'POST', '/projects/sa/repositories/one/artifacts/v1/scan', { scan_type: 'everything' }), 400, 'BAD_REQUEST')
      assertError(await api(ADMIN, 'POST', '/projects/sa/repositories/one/artifacts/v1/scan', { scan_type: 'vulnerability', extra: 'x'.repeat(10_000) }), 400, 'BAD_REQUEST')
      assert.equal(await executions(), before, 'no scan was started')
    })
  })

  describe(`an adapter slower than the request timeout (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect, { scanning: { refresh_min_seconds: 0.01, refresh_max_seconds: 0.05, timeout: 60, request_timeout_seconds: 1 } as never })
    it('a report poll that takes longer than scanning.request_timeout_seconds ends the task in Error with the reason', async () => {
      const adapter = await new FakeScannerAdapter().start()
      try {
        t.berth.config.scanning.registry_url = 'http://127.0.0.1:9'
        const call = async (method: InjectOptions['method'], path: string, payload?: unknown) => (await t.anonymous.inject({ method, url: `${API}${path}`, headers: { authorization: ADMIN_AUTH }, ...(payload !== undefined ? { payload: payload as InjectOptions['payload'] } : {}) })) as Response
        assertStatus(await call('POST', '/scanners', { name: 'slow', url: adapter.url }), 201)
        assertStatus(await call('POST', '/projects', { project_name: 'slow' }), 201)
        await pushImage(t.app, 'slow/app', 'v1', 'slow')
        adapter.pull = false
        adapter.reportDelayMs = 2500
        const path = '/projects/slow/repositories/app/artifacts/v1'
        assertStatus(await call('POST', `${path}/scan`), 202)
        const overview = async () => (await call('GET', `${path}?with_scan_overview=true`)).json().scan_overview?.[VULN]
        await waitUntil('the scan ended', async () => ['Success', 'Error', 'Stopped'].includes((await overview())?.scan_status), { timeoutMs: 20_000, everyMs: 25 })
        const ov = await overview()
        assert.equal(ov.scan_status, 'Error')
        assert.match((await call('GET', `${path}/scan/${ov.report_id}/log`)).body, /did not answer within 1 s/)
      } finally {
        await adapter.stop()
      }
    })
  })

  describe(`scanner URLs behind the outbound guard (${dialect})`, await dialectSkip(dialect), () => {
    it('refuses loopback and metadata scanner URLs when not allowed, in any spelling, and never calls them', async () => {
      const berth = await createTestBerth(dialect, { replication: { outbound_deny: '127.0.0.0/8,::1/128' } as never })
      const adapter = await new FakeScannerAdapter().start()
      try {
        const call = async (method: InjectOptions['method'], path: string, payload?: unknown) => (await berth.app.inject({ method, url: `${API}${path}`, headers: { authorization: ADMIN_AUTH }, ...(payload !== undefined ? { payload: payload as InjectOptions['payload'] } : {}) })) as Response
        for (const url of [adapter.url, `http://[::1]:${adapter.port}`, `http://0.0.0.0:${adapter.port}`, `http://[::ffff:127.0.0.1]:${adapter.port}`, `http://2130706433:${adapter.port}`, 'http://169.254.169.254', 'http://[fd00:ec2::254]']) {
          for (const [method, path] of [['POST', '/scanners'], ['POST', '/scanners/ping']] as const) {
            const res = await call(method, path, { name: 'evil', url })
            assertError(res, 400, 'BAD_REQUEST', `${method} ${path} ${url}`)
            assert.match(res.json().errors[0].message, /refused|metadata/, url)
          }
        }
        assert.deepEqual((await call('GET', '/scanners')).json(), [])
        assert.deepEqual(adapter.received, [], 'nothing reached the adapter')
      } finally {
        await adapter.stop()
        await berth.destroy()
      }
    })
  })
}
