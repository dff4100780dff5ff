// Webhooks end to end on both databases, delivered to real HTTP receivers on loopback: the policy
// API (roles, validation, abuse, masked secrets), deliveries in Harbor's default JSON, CloudEvents
// and Slack formats with the auth header and a signature the receiver verifies, retries after a
// receiver that was down or failing, permanent failures, pulls and deletes, delivery history,
// the test send, and the outbound guard.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { ADMIN_AUTH, createTestBerth } from '../../../test/support/berth-app.js'
import { DIALECTS, dialectSkip } from '../../../test/support/databases.js'
import { waitUntil } from '../../../test/support/until.js'
import { Receiver } from '../../../test/support/webhook-receiver.js'
import { signature } from '../../services/webhook/delivery.js'
import { assertError, assertStatus, checkResponse, idFromLocation, totalOf, ADMIN, ANON, userActor, type Actor, PROJECT_ROLES } from './api-test-support.js'
import { pushImage, useBerth, type Response } from '../oci/oci-test-support.js'

const API = '/api/v2.0'
const PASSWORD = 'Webhook-Test-Passw0rd'
type Json = any

const user = (name: string): Actor => userActor(name, PASSWORD)

for (const dialect of DIALECTS) {
  describe(`webhooks (${dialect})`, await dialectSkip(dialect), () => {
    const t = useBerth(dialect, { events: { pull_flush_seconds: 1 } as never })
    const receivers: Receiver[] = []
    const receiver = async (port?: number) => {
      const r = await new Receiver().start(port)
      receivers.push(r)
      return r
    }

    async function api(who: Actor, method: InjectOptions['method'], path: string, body?: unknown): Promise<Response> {
      const res = (await t.anonymous.inject({ method, url: `${API}${path}`, headers: { ...who.headers }, ...(body !== undefined ? { payload: body as InjectOptions['payload'] } : {}) })) as Response
      checkResponse(res, `${who.name} ${method} ${path}`)
      return res
    }
    async function createPolicy(project: string, body: Json, who = ADMIN): Promise<number> {
      const res = await api(who, 'POST', `/projects/${project}/webhook/policies`, body)
      assertStatus(res, 201, `create policy in ${project}`)
      return idFromLocation(res, `${API}/projects/${project}/webhook/policies`)
    }
    const policy = (name: string, address: string, extra: Json = {}): Json => ({
      name,
      event_types: ['PUSH_ARTIFACT'],
      targets: [{ type: 'http', address, payload_format: 'Default', ...(extra.target ?? {}) }],
      ...(extra.policy ?? {}),
    })
    const until = (what: string, fn: () => Promise<boolean> | boolean, timeoutMs = 20_000) => waitUntil(what, fn, { timeoutMs, everyMs: 25 })
    const runsOf = async (project: string, id: number): Promise<Json[]> => (await api(ADMIN, 'GET', `/projects/${project}/webhook/policies/${id}/executions?page_size=100`)).json()
    const settled = (project: string, id: number, n: number) => until(`${n} run(s) of policy ${id} ended`, async () => (await runsOf(project, id)).filter((e: Json) => e.status !== 'Running').length >= n)

    const roles = PROJECT_ROLES

    before(async () => {
      for (const name of [...roles.map(([n]) => n), 'other']) assertStatus(await api(ADMIN, 'POST', '/users', { username: name, password: PASSWORD, email: `${name}@example.com`, realname: name }), 201)
      for (const project of ['matrix', 'hooks', 'elsewhere']) assertStatus(await api(ADMIN, 'POST', '/projects', { project_name: project, metadata: { public: 'false' } }), 201)
      for (const [name, role] of roles) assertStatus(await api(ADMIN, 'POST', '/projects/matrix/members', { role_id: role, member_user: { username: name } }), 201)
    })
    after(async () => {
      for (const r of receivers) await r.stop()
    })

    it('roles: project admins manage policies; maintainers only list them (as in Harbor); others 403, non-members 404, anonymous 401', async () => {
      const r = await receiver()
      const expected: Record<string, number> = { admin: 0, padm: 0, maint: 403, dev: 403, guest: 403, lguest: 403, other: 404, anonymous: 401 }
      const code = (n: number) => (n === 401 ? 'UNAUTHORIZED' : n === 403 ? 'FORBIDDEN' : 'NOT_FOUND')
      const kept = await createPolicy('matrix', policy('kept', r.url))
      for (const who of [ADMIN, ...roles.map(([n]) => user(n)), user('other'), ANON]) {
        const refusal = expected[who.name]!
        const list = await api(who, 'GET', '/projects/matrix/webhook/policies')
        if (who.name === 'maint') assertStatus(list, 200, 'maintainers list')
        else if (refusal === 0) assertStatus(list, 200)
        else assertError(list, refusal, code(refusal), `${who.name} list`)
        const create = await api(who, 'POST', '/projects/matrix/webhook/policies', policy(`by-${who.name}`, r.url))
        if (refusal === 0) {
          assertStatus(create, 201, `${who.name} create`)
          const id = idFromLocation(create, `${API}/projects/matrix/webhook/policies`)
          assertStatus(await api(who, 'GET', `/projects/matrix/webhook/policies/${id}`), 200)
          assertStatus(await api(who, 'PUT', `/projects/matrix/webhook/policies/${id}`, policy(`by-${who.name}`, r.url, { policy: { enabled: false } })), 200)
          assertStatus(await api(who, 'DELETE', `/projects/matrix/webhook/policies/${id}`), 200)
          continue
        }
        assertError(create, refusal, code(refusal), `${who.name} create`)
        for (const [method, path, body] of [
          ['GET', `/projects/matrix/webhook/policies/${kept}`],
          ['PUT', `/projects/matrix/webhook/policies/${kept}`, policy('taken-over', 'http://127.0.0.1:1/')],
          ['DELETE', `/projects/matrix/webhook/policies/${kept}`],
          ['GET', `/projects/matrix/webhook/policies/${kept}/executions`],
          ['GET', '/projects/matrix/webhook/lasttrigger'],
          ['POST', '/projects/matrix/webhook/policies/test', policy('t', r.url)],
        ] as const) {
          assertError(await api(who, method, path, body), refusal, code(refusal), `${who.name} ${method} ${path}`)
        }
      }
      const still = (await api(ADMIN, 'GET', `/projects/matrix/webhook/policies/${kept}`)).json()
      assert.deepEqual([still.name, still.enabled, still.targets[0].address], ['kept', true, r.url], 'no refused caller changed it')
      assert.equal(totalOf(await api(ADMIN, 'GET', '/projects/matrix/webhook/policies')), 1)
      assert.equal(r.received.length, 0, 'nothing was sent')
    })

    it('refuses bad policies precisely and creates nothing: fields, event types, addresses, bounds, names, other projects', async () => {
      const r = await receiver()
      const before = totalOf(await api(ADMIN, 'GET', '/projects/elsewhere/webhook/policies'))
      const cases: [Json, RegExp][] = [
        [{ ...policy('', r.url) }, /name is required/],
        [{ ...policy('x', r.url), targets: [] }, /at least one target/],
        [{ ...policy('x', r.url), event_types: [] }, /event_types/],
        [{ ...policy('x', r.url), event_types: ['SCANNING_EXPLODED'] }, /SCANNING_EXPLODED.*not supported/],
        [policy('x', 'ftp://127.0.0.1/'), /http:\/\/ or https:\/\//],
        [policy('x', 'not a url'), /http:\/\/ or https:\/\//],
        [policy('x', 'http://user:pw@127.0.0.1/'), /must not carry credentials/],
        [policy('x', r.url, { target: { type: 'email' } }), /http or slack/],
        [policy('x', r.url, { target: { payload_format: 'XML' } }), /Default or CloudEvents/],
        [policy('x', 'http://169.254.169.254/latest/meta-data/'), /metadata/],
        [policy('x', r.url, { target: { auth_header: 'Bearer a\nX-Injected: 1' } }), /control character/],
        [{ ...policy('x', r.url), targets: Array.from({ length: 11 }, () => ({ address: r.url })) }, /targets/],
        [{ ...policy('x', r.url), surprise: true }, /surprise/],
      ]
      for (const [body, pattern] of cases) {
        const res = await api(ADMIN, 'POST', '/projects/elsewhere/webhook/policies', body)
        assertError(res, 400, 'BAD_REQUEST', JSON.stringify(body).slice(0, 120))
        assert.match(res.json().errors[0].message, pattern)
      }
      assert.equal(totalOf(await api(ADMIN, 'GET', '/projects/elsewhere/webhook/policies')), before)
      // A name is one per project; ids of another project's policies are not found.
      const id = await createPolicy('elsewhere', policy('dup', r.url))
      assertError(await api(ADMIN, 'POST', '/projects/elsewhere/webhook/policies', policy('dup', r.url)), 409, 'CONFLICT')
      assertError(await api(ADMIN, 'GET', `/projects/hooks/webhook/policies/${id}`), 404, 'NOT_FOUND')
      assertError(await api(ADMIN, 'PUT', `/projects/hooks/webhook/policies/${id}`, policy('moved', r.url)), 404, 'NOT_FOUND')
      assertError(await api(ADMIN, 'DELETE', `/projects/hooks/webhook/policies/${id}`), 404, 'NOT_FOUND')
      assertError(await api(ADMIN, 'GET', '/projects/elsewhere/webhook/policies/abc'), 400, 'BAD_REQUEST')
      assertError(await api(ADMIN, 'GET', '/projects/elsewhere/webhook/policies?q=targets=x'), 400, 'BAD_REQUEST')
      assertError(await api(ADMIN, 'GET', '/projects/elsewhere/webhook/jobs'), 400, 'BAD_REQUEST')
      assertStatus(await api(ADMIN, 'GET', `/projects/elsewhere/webhook/policies/${id}`), 200)
    })

    it('a push is delivered in all three formats with the auth header and a signature the receiver verifies; secrets are masked; history, last trigger and jobs show it', async () => {
      const plain = await receiver()
      const cloud = await receiver()
      const slack = await receiver()
      const id = await createPolicy('hooks', {
        name: 'all-formats',
        description: 'three receivers',
        event_types: ['PUSH_ARTIFACT', 'DELETE_ARTIFACT'],
        targets: [
          { type: 'http', address: plain.url, auth_header: 'Bearer s3cret', signing_secret: 'sign-me', payload_format: 'Default' },
          { type: 'http', address: cloud.url, payload_format: 'CloudEvents' },
          { type: 'slack', address: slack.url },
        ],
      })
      const shown = (await api(ADMIN, 'GET', `/projects/hooks/webhook/policies/${id}`)).json()
      assert.deepEqual(
        shown.targets.map((x: Json) => [x.auth_header, x.signing_secret]),
        [
          ['*****', '*****'],
          ['', ''],
          ['', ''],
        ],
        'secrets are never shown back',
      )
      assert.equal(shown.creator, 'admin')

      const image = await pushImage(t.app, 'hooks/app', 'v1', 'webhook-push-1')
      await until('three deliveries', () => plain.received.length === 1 && cloud.received.length === 1 && slack.received.length === 1)

      const p = plain.received[0]!
      assert.equal(p.headers.authorization, 'Bearer s3cret')
      assert.equal(p.headers['content-type'], 'application/json')
      assert.equal(p.headers['x-berth-event'], 'PUSH_ARTIFACT')
      const ts = Number(p.headers['x-berth-timestamp'])
      assert.equal(p.headers['x-berth-signature'], signature('sign-me', ts, p.body), 'the receiver can verify the body')
      const body = plain.json(0)
      assert.equal(body.type, 'PUSH_ARTIFACT')
      assert.equal(body.operator, 'admin')
      assert.ok(Math.abs(body.occur_at - Date.now() / 1000) < 120)
      assert.equal(body.event_data.resources[0].digest, image.digest)
      assert.equal(body.event_data.resources[0].tag, 'v1')
      assert.match(body.event_data.resources[0].resource_url, /\/hooks\/app:v1$/)
      assert.deepEqual(body.event_data.repository, { name: 'app', namespace: 'hooks', repo_full_name: 'hooks/app', repo_type: 'private' })

      const c = cloud.received[0]!
      assert.equal(c.headers['content-type'], 'application/cloudevents+json')
      assert.equal(c.headers.authorization, undefined)
      assert.equal(c.headers['x-berth-signature'], undefined, 'no secret, no signature')
      const ce = cloud.json(0)
      assert.deepEqual([ce.specversion, ce.type, ce.datacontenttype, ce.source], ['1.0', 'harbor.artifact.pushed', 'application/json', `/projects/${shown.project_id}/webhook/policies/${id}`])
      assert.equal(ce.data.resources[0].digest, image.digest)
      assert.ok(!Number.isNaN(Date.parse(ce.time)))

      const s = slack.json(0)
      assert.ok(Array.isArray(s.blocks))
      assert.match(JSON.stringify(s.blocks), /PUSH_ARTIFACT/)
      assert.match(JSON.stringify(s.blocks), new RegExp(image.digest.slice(7, 30)))

      await settled('hooks', id, 1)
      const [run] = await runsOf('hooks', id)
      assert.deepEqual([run.vendor_type, run.vendor_id, run.status, run.trigger, run.metrics.task_count, run.metrics.success_task_count], ['WEBHOOK', id, 'Success', 'EVENT', 3, 3])
      assert.equal(run.extra_attrs.event_type, 'PUSH_ARTIFACT')
      const tasks = await api(ADMIN, 'GET', `/projects/hooks/webhook/policies/${id}/executions/${run.id}/tasks`)
      assertStatus(tasks, 200)
      assert.equal(totalOf(tasks), 3)
      const first = tasks.json()[0]
      assert.equal(first.extra_attrs.http_status, 200)
      const log = await api(ADMIN, 'GET', `/projects/hooks/webhook/policies/${id}/executions/${run.id}/tasks/${first.id}/log`)
      assertStatus(log, 200)
      assert.match(log.body, /POST http:\/\/127\.0\.0\.1:\d+\/hook: 200/)
      // Runs and tasks are reached only through their own policy.
      const other = await createPolicy('hooks', policy('other', plain.url, { policy: { event_types: ['QUOTA_EXCEED'] } }))
      assertError(await api(ADMIN, 'GET', `/projects/hooks/webhook/policies/${other}/executions/${run.id}/tasks`), 404, 'NOT_FOUND')
      assertError(await api(ADMIN, 'GET', `/projects/elsewhere/webhook/policies/${id}/executions`), 404, 'NOT_FOUND')

      const last = (await api(ADMIN, 'GET', '/projects/hooks/webhook/lasttrigger')).json()
      const push = last.find((l: Json) => l.policy_name === 'all-formats' && l.event_type === 'PUSH_ARTIFACT')
      assert.ok(push.last_trigger_time !== undefined && Date.parse(push.last_trigger_time) > Date.now() - 120_000, JSON.stringify(last))
      assert.equal(last.find((l: Json) => l.policy_name === 'all-formats' && l.event_type === 'DELETE_ARTIFACT').last_trigger_time, undefined)
      const jobs = await api(ADMIN, 'GET', `/projects/hooks/webhook/jobs?policy_id=${id}`)
      assert.equal(totalOf(jobs), 3)
      assert.equal(JSON.parse(jobs.json().find((j: Json) => j.notify_type === 'http' && j.job_detail.startsWith('{"type"')).job_detail).type, 'PUSH_ARTIFACT')
      const events = (await api(ADMIN, 'GET', '/projects/hooks/webhook/events')).json()
      assert.ok(events.event_type.includes('PULL_ARTIFACT') && events.notify_type.includes('slack'))

      // The same policy hears the deletion; a delete names the tags the artifact had.
      assertStatus(await t.app.inject({ method: 'DELETE', url: `/v2/hooks/app/manifests/${image.digest}` }), 202)
      await until('the deletion delivered', () => plain.received.length === 2)
      const del = plain.json(1)
      assert.equal(del.type, 'DELETE_ARTIFACT')
      assert.deepEqual(del.event_data.resources.map((x: Json) => [x.digest, x.tag]), [[image.digest, 'v1']])
    })

    it('a receiver that was down gets the delivery once it is back; one failing with 503 gets it on a retry; a 400 is not retried', async () => {
      // Down: a port nothing listens on yet.
      const later = await receiver()
      const port = later.port
      await later.stop()
      const flaky = await receiver()
      let calls = 0
      flaky.status = () => (++calls <= 1 ? 503 : 200)
      const refusing = await receiver()
      refusing.status = () => 400
      const id = await createPolicy('hooks', {
        name: 'retries',
        event_types: ['PUSH_ARTIFACT'],
        targets: [{ address: `http://127.0.0.1:${port}/hook` }, { address: flaky.url }, { address: refusing.url }],
      })
      await pushImage(t.app, 'hooks/retry', 'v1', 'webhook-retry-1')
      await until('the first attempts', () => flaky.received.length >= 1 && refusing.received.length >= 1)
      await later.start(port)
      await until('the down receiver got it after coming back', () => later.received.length === 1 && flaky.received.length === 2)
      await settled('hooks', id, 1)
      const [run] = await runsOf('hooks', id)
      assert.equal(run.status, 'Error')
      assert.deepEqual([run.metrics.success_task_count, run.metrics.error_task_count], [2, 1])
      assert.equal(refusing.received.length, 1, 'a 400 is not tried again')
      const tasks = (await api(ADMIN, 'GET', `/projects/hooks/webhook/policies/${id}/executions/${run.id}/tasks`)).json()
      const failed = tasks.find((x: Json) => x.status === 'Error')
      assert.match(failed.status_message, /: 400/)
      assert.ok(tasks.find((x: Json) => x.extra_attrs.payload !== undefined && x.run_count >= 2), 'the retried ones ran more than once')
      assert.equal(flaky.received[0]!.body, flaky.received[1]!.body, 'a retry sends the same bytes')
      assert.equal(flaky.received[0]!.headers['x-berth-delivery'], flaky.received[1]!.headers['x-berth-delivery'], 'with the same delivery id')
    })

    it('pulls are delivered when a policy asks for them; a disabled policy sends nothing; secrets stay with their address', async () => {
      const r = await receiver()
      const id = await createPolicy('hooks', policy('pulls', r.url, { policy: { event_types: ['PULL_ARTIFACT'] }, target: { auth_header: 'Basic abc' } }))
      const image = await pushImage(t.app, 'hooks/pulled', 'v1', 'webhook-pull-1')
      assertStatus(await t.app.inject({ method: 'GET', url: '/v2/hooks/pulled/manifests/v1', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } }), 200)
      await until('the pull delivered', () => r.received.length === 1)
      assert.equal(r.json(0).type, 'PULL_ARTIFACT')
      assert.equal(r.json(0).event_data.resources[0].digest, image.digest)
      assert.equal(r.received[0]!.headers.authorization, 'Basic abc')

      // Sent back masked, the header stays; moved to another address, it must be given again.
      assertStatus(await api(ADMIN, 'PUT', `/projects/hooks/webhook/policies/${id}`, policy('pulls', r.url, { policy: { event_types: ['PULL_ARTIFACT'] }, target: { auth_header: '*****' } })), 200)
      const moved = await api(ADMIN, 'PUT', `/projects/hooks/webhook/policies/${id}`, policy('pulls', `${r.url}/elsewhere`, { policy: { event_types: ['PULL_ARTIFACT'] }, target: { auth_header: '*****' } }))
      assertError(moved, 400, 'BAD_REQUEST')
      assert.match(moved.json().errors[0].message, /must be given again/)
      assertStatus(await t.app.inject({ method: 'GET', url: '/v2/hooks/pulled/manifests/v1', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } }), 200)
      await until('the second pull delivered with the kept header', () => r.received.length === 2)
      assert.equal(r.received[1]!.headers.authorization, 'Basic abc')

      assertStatus(await api(ADMIN, 'PUT', `/projects/hooks/webhook/policies/${id}`, policy('pulls', r.url, { policy: { event_types: ['PULL_ARTIFACT'], enabled: false } })), 200)
      const runs = (await runsOf('hooks', id)).length
      assertStatus(await t.app.inject({ method: 'GET', url: '/v2/hooks/pulled/manifests/v1', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } }), 200)
      await new Promise((resolve) => setTimeout(resolve, 2_500))
      assert.equal((await runsOf('hooks', id)).length, runs, 'a disabled policy starts no run')
      assert.equal(r.received.length, 2)
    })

    it('the test send posts a test event now, and says which receiver failed', async () => {
      const ok = await receiver()
      const failing = await receiver()
      failing.status = () => 500
      const res = await api(ADMIN, 'POST', '/projects/hooks/webhook/policies/test', policy('t', ok.url, { target: { payload_format: 'CloudEvents' } }))
      assertStatus(res, 200)
      assert.deepEqual(res.json(), [{ address: ok.url, status: 200 }])
      assert.equal(ok.json(0).data.test, true)
      const bad = await api(ADMIN, 'POST', '/projects/hooks/webhook/policies/test', policy('t', failing.url))
      assertError(bad, 400, 'BAD_REQUEST')
      assert.match(bad.json().errors[0].message, /500/)
      assertError(await api(ADMIN, 'POST', '/projects/hooks/webhook/policies/test', policy('t', 'http://169.254.169.254/')), 400, 'BAD_REQUEST')
    })
  })

  describe(`webhooks behind a deny list (${dialect})`, await dialectSkip(dialect), () => {
    it('refuses receivers at denied addresses, in any spelling, when stored and when sent to', async () => {
      const berth = await createTestBerth(dialect, { replication: { outbound_deny: '127.0.0.0/8,::1/128' } as never })
      const r = await new Receiver().start()
      try {
        assertStatus(await berth.app.inject({ method: 'POST', url: `${API}/projects`, headers: { authorization: ADMIN_AUTH }, payload: { project_name: 'guarded' } }), 201)
        for (const address of [r.url, `http://0.0.0.0:${r.port}/`, `http://[::ffff:127.0.0.1]:${r.port}/`, `http://2130706433:${r.port}/`]) {
          const res = await berth.app.inject({ method: 'POST', url: `${API}/projects/guarded/webhook/policies`, headers: { authorization: ADMIN_AUTH }, payload: { name: 'x', event_types: ['PUSH_ARTIFACT'], targets: [{ address }] } })
          assertError(res as Response, 400, 'BAD_REQUEST', address)
          assert.match(res.json().errors[0].message, /refused/)
        }
        const test = await berth.app.inject({ method: 'POST', url: `${API}/projects/guarded/webhook/policies/test`, headers: { authorization: ADMIN_AUTH }, payload: { name: 'x', targets: [{ address: r.url }] } })
        assertError(test as Response, 400, 'BAD_REQUEST')
        assert.equal(r.received.length, 0, 'nothing reached the receiver')
      } finally {
        await r.stop()
        await berth.destroy()
      }
    })
  })
}
