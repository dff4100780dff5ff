// Audit forwarding to a real rsyslog (Debian's rsyslogd, started here on loopback), set at run
// time as Harbor sets it (PUT /api/v2.0/configurations audit_log_forward_endpoint and
// skip_audit_log_database), on both databases: who may set it and which values are refused;
// pushes, pulls and deletes arriving as RFC 5424 messages with their fields over TCP and UDP;
// switched off; the endpoint down and back (requests go on, entries after arrive); and the
// database skipped (no new rows, messages still sent, pull counts still going up).
import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { after, before, describe, it } from 'node:test'
import { ADMIN_AUTH, basicAuth } from '../support/berth-app.js'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { missingRsyslog, startRsyslog, type Received, type Rsyslog } from '../support/rsyslog.js'
import { pushImage, useBerth, type Response } from '../../src/http/oci/oci-test-support.js'
import { assertError, assertStatus, totalOf } from '../../src/http/api/api-test-support.js'
import { SKIP_WITHOUT_ENDPOINT } from '../../src/services/system/settings-service.js'

const skipRsyslog = missingRsyslog()
const BASE = '/api/v2.0'
const USER_PASSWORD = 'Forward-Passw0rd'

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

for (const dialect of DIALECTS) {
  const skip = skipRsyslog ?? (await dialectSkip(dialect)).skip ?? false
  describe(`audit forwarding to rsyslog (${dialect})`, { skip, timeout: 180_000 }, () => {
    const t = useBerth(dialect)
    let syslog: Rsyslog
    before(async () => {
      syslog = await startRsyslog()
    })
    after(async () => {
      await syslog?.destroy()
    })

    const api = (authorization: string | undefined, method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, payload?: unknown): Promise<Response> =>
      t.anonymous.inject({ method, url: `${BASE}${path}`, headers: authorization === undefined ? {} : { authorization }, ...(payload === undefined ? {} : { payload: payload as object }) }) as Promise<Response>
    const configure = async (changes: Record<string, unknown>) => assertStatus(await api(ADMIN_AUTH, 'PUT', '/configurations', changes), 200, JSON.stringify(changes))
    const tcp = () => `127.0.0.1:${syslog.port}`
    /** Audit rows in the database (the buffer written first). */
    const rows = async () => totalOf(await api(ADMIN_AUTH, 'GET', '/audit-logs?page_size=1'))
    const ofResource = (all: Received[], resource: string, op?: string) => all.filter((r) => r.params.resource === resource && (op === undefined || r.msgId === op))
    const pullCount = async (repo: string) => {
      const res = await api(ADMIN_AUTH, 'GET', `/projects/library/repositories/${encodeURIComponent(repo)}`)
      assertStatus(res, 200)
      return (res.json() as { pull_count: number }).pull_count
    }
    const pull = async (repo: string, tag: string) => assertStatus((await t.app.inject({ method: 'GET', url: `/v2/library/${repo}/manifests/${tag}`, headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })) as Response, 200, `pull ${repo}:${tag}`)

    it('the settings: administrators only; malformed endpoints and skipping the database without one refused as Harbor does', async () => {
      assertStatus(await api(ADMIN_AUTH, 'POST', '/users', { username: 'plain', password: USER_PASSWORD, email: 'plain@example.com', realname: 'plain' }), 201)
      assertError(await api(undefined, 'PUT', '/configurations', { audit_log_forward_endpoint: tcp() }), 401, 'UNAUTHORIZED', 'anonymous')
      assertError(await api(basicAuth('plain', USER_PASSWORD), 'PUT', '/configurations', { audit_log_forward_endpoint: tcp() }), 403, 'FORBIDDEN', 'plain user')
      assertError(await api(basicAuth('plain', USER_PASSWORD), 'GET', '/configurations'), 403, 'FORBIDDEN', 'plain user reads')
      for (const bad of ['nohost', 'host:0', 'host:65536', 'http://host:514', 'host:514/x', 'tcp://:514', '[::1:514', '[not-ip]:514', '1.2.3:514', 'a b:514', `${'a'.repeat(300)}:514`, 'ftp://host:514', 514, true, null]) {
        const res = await api(ADMIN_AUTH, 'PUT', '/configurations', { audit_log_forward_endpoint: bad })
        assertError(res, 400, 'BAD_REQUEST', `endpoint ${JSON.stringify(bad)}`)
        assert.match((res.json() as { errors: { message: string }[] }).errors[0]!.message, /^audit_log_forward_endpoint /)
      }
      for (const bad of ['yes', 1, null]) assertError(await api(ADMIN_AUTH, 'PUT', '/configurations', { skip_audit_log_database: bad }), 400, 'BAD_REQUEST', `skip ${JSON.stringify(bad)}`)
      // Harbor's rule: no skipping the database without an endpoint, set now or before.
      const lone = await api(ADMIN_AUTH, 'PUT', '/configurations', { skip_audit_log_database: true })
      assertError(lone, 400, 'BAD_REQUEST')
      assert.equal((lone.json() as { errors: { message: string }[] }).errors[0]!.message, SKIP_WITHOUT_ENDPOINT)
      for (const good of ['syslog.example.com:514', 'tcp://10.0.0.1:6514', 'udp://[::1]:514', 'udp://logs-1.internal:514']) await configure({ audit_log_forward_endpoint: good })
      await configure({ audit_log_forward_endpoint: 'syslog.example.com:514', skip_audit_log_database: true })
      // Clearing the endpoint while skipping is on is the same mistake.
      const cleared = await api(ADMIN_AUTH, 'PUT', '/configurations', { audit_log_forward_endpoint: '' })
      assertError(cleared, 400, 'BAD_REQUEST')
      assert.equal((cleared.json() as { errors: { message: string }[] }).errors[0]!.message, SKIP_WITHOUT_ENDPOINT)
      await configure({ audit_log_forward_endpoint: '', skip_audit_log_database: false })
      const shown = (await api(ADMIN_AUTH, 'GET', '/configurations')).json() as Record<string, { value: unknown; editable: boolean }>
      assert.deepEqual(shown.audit_log_forward_endpoint, { value: '', editable: true })
      assert.deepEqual(shown.skip_audit_log_database, { value: false, editable: true })
    })

    it('a push, a pull and a delete arrive over TCP as RFC 5424 messages with their fields, and stay in the database', async () => {
      await configure({ audit_log_forward_endpoint: tcp() })
      const before = await rows()
      const image = await pushImage(t.app, 'library/fwd', 'v1', `fwd-${dialect}`)
      await pull('fwd', 'v1')
      assertStatus((await t.app.inject({ method: 'DELETE', url: `/v2/library/fwd/manifests/${image.digest}` })) as Response, 202)
      const all = await syslog.waitFor((a) => ofResource(a, 'library/fwd:v1', 'create').length === 1 && ofResource(a, 'library/fwd:v1', 'pull').length === 1 && ofResource(a, `library/fwd@${image.digest}`, 'delete').length === 1)
      const pushed = ofResource(all, 'library/fwd:v1', 'create')[0]!
      assert.equal(pushed.appName, 'audit')
      assert.equal(pushed.hostname, hostname().slice(0, 255))
      assert.equal(pushed.procId, String(process.pid))
      assert.equal(pushed.pri, 1 * 8 + 6, 'facility user, severity info')
      assert.match(pushed.structuredData, /^\[audit@32473 /)
      assert.equal(pushed.params.operator, 'admin')
      assert.equal(pushed.params.operation, 'create')
      assert.equal(pushed.params.resource_type, 'artifact')
      assert.equal(pushed.params.result, 'success')
      assert.equal(pushed.params.project_id, '1', 'library')
      assert.match(pushed.params.op_time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
      assert.equal(pushed.msg, 'action:create, resource:library/fwd:v1, resource_type:artifact, operator:admin, result:success')
      assert.equal(ofResource(all, `library/fwd@${image.digest}`, 'delete')[0]!.params.resource_type, 'artifact')
      // The change of the setting itself is forwarded too (it was written after the change).
      assert.ok(all.some((r) => r.params.resource_type === 'configuration' && r.params.resource === 'audit_log_forward_endpoint'), 'the configuration change')
      assert.ok((await rows()) >= before + 3, 'the database keeps its entries')
    })

    it('a failed login arrives as a warning', async () => {
      assertStatus(await api(basicAuth('plain', 'Wrong-Passw0rd'), 'GET', '/users/current'), 401)
      const all = await syslog.waitFor((a) => a.some((r) => r.msgId === 'login' && r.params.result === 'failure' && r.params.operator === 'plain'))
      assert.equal(all.find((r) => r.msgId === 'login' && r.params.operator === 'plain' && r.params.result === 'failure')!.pri, 1 * 8 + 4, 'facility user, severity warning')
    })

    it('switched off, entries stop arriving (and still reach the database)', async () => {
      await configure({ audit_log_forward_endpoint: '' })
      await pushImage(t.app, 'library/quiet', 'v1', `quiet-${dialect}`)
      await t.berth.audit.flush()
      const logs = (await api(ADMIN_AUTH, 'GET', '/audit-logs?q=resource=library/quiet:v1')).json() as unknown[]
      assert.equal(logs.length, 1, 'in the database')
      // On again: a marker arrives, and the entry made while off never did.
      await configure({ audit_log_forward_endpoint: tcp() })
      await pushImage(t.app, 'library/marker', 'on-again', `marker-${dialect}`)
      const all = await syslog.waitFor((a) => ofResource(a, 'library/marker:on-again').length === 1)
      assert.equal(ofResource(all, 'library/quiet:v1').length, 0)
    })

    it('with the endpoint down, requests go on; entries made meanwhile and after arrive once it is back', async () => {
      await configure({ audit_log_forward_endpoint: tcp() })
      await syslog.stop()
      // Every request answers while nothing listens: forwarding never holds a request up.
      await pushImage(t.app, 'library/down', 'v1', `down-${dialect}`)
      for (let i = 0; i < 5; i++) await pull('down', 'v1')
      await t.berth.audit.flush()
      await sleep(300)
      await syslog.start()
      await pushImage(t.app, 'library/down', 'after', `after-${dialect}`)
      const all = await syslog.waitFor((a) => ofResource(a, 'library/down:after', 'create').length === 1, 60_000)
      // What waited in the queue while the endpoint was down went out once it was back.
      assert.equal(ofResource(all, 'library/down:v1', 'create').length, 1)
      assert.equal(ofResource(all, 'library/down:v1', 'pull').length, 5)
      const stats = t.berth.audit.forwardingStats()
      assert.ok(stats !== null && stats.dropped === 0 && stats.queued === 0, JSON.stringify(stats))
    })

    it('skip_audit_log_database: no new rows, every entry forwarded, pull counts still go up; off again, rows again', async () => {
      await pushImage(t.app, 'library/counted', 'v1', `counted-${dialect}`)
      const skipChanges = async () => ((await api(ADMIN_AUTH, 'GET', '/audit-logs?q=resource=skip_audit_log_database')).json() as unknown[]).length
      const changesBefore = await skipChanges()
      await configure({ audit_log_forward_endpoint: tcp(), skip_audit_log_database: true })
      await t.berth.audit.flush()
      const rowsBefore = await rows()
      const pullsBefore = await pullCount('counted')
      for (let i = 0; i < 3; i++) await pull('counted', 'v1')
      await pushImage(t.app, 'library/counted', 'v2', `counted2-${dialect}`)
      const all = await syslog.waitFor((a) => ofResource(a, 'library/counted:v1', 'pull').length === 3 && ofResource(a, 'library/counted:v2', 'create').length === 1)
      assert.equal(all.filter((r) => r.params.resource === 'library/counted:v1' && r.msgId === 'pull').length, 3)
      assert.equal(await rows(), rowsBefore, 'no new rows in the database')
      assert.equal(await pullCount('counted'), pullsBefore + 3, 'pull counts go up all the same')
      // Turning the database back on is itself a row (so is turning it off: kept there on purpose).
      await configure({ skip_audit_log_database: false })
      await pushImage(t.app, 'library/counted', 'v3', `counted3-${dialect}`)
      await t.berth.audit.flush()
      const logs = (await api(ADMIN_AUTH, 'GET', '/audit-logs?q=resource=library/counted:v3')).json() as unknown[]
      assert.equal(logs.length, 1)
      assert.equal(await skipChanges(), changesBefore + 2, 'both changes of skip_audit_log_database are in the database')
    })

    it('over UDP (udp://host:port) each entry arrives as one datagram', async () => {
      await configure({ audit_log_forward_endpoint: `udp://127.0.0.1:${syslog.port}` })
      await pushImage(t.app, 'library/datagram', 'v1', `udp-${dialect}`)
      await pull('datagram', 'v1')
      const all = await syslog.waitFor((a) => ofResource(a, 'library/datagram:v1', 'create').length === 1 && ofResource(a, 'library/datagram:v1', 'pull').length === 1)
      assert.equal(ofResource(all, 'library/datagram:v1', 'create')[0]!.params.operator, 'admin')
      await configure({ audit_log_forward_endpoint: '' })
    })
  })
}
