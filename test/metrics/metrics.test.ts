// Prometheus metrics of a real Berth on both databases: the listener on a port of its own (no
// credentials there, while the registry still asks for them), the request counters under
// Harbor's and distribution's names after a push, a pull and API calls, storage timings, the
// exporter's gauges after projects, members and quotas, login throttling and garbage
// collection counters, and label cardinality that does not grow with repositories or tags.
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { ADMIN_AUTH, basicAuth, createTestBerth, type TestBerth } from '../support/berth-app.js'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { parseExposition, scrape, type Exposition } from '../support/prometheus.js'
import { waitUntil } from '../support/until.js'
import { pushImage, withAuthorization, type App } from '../../src/http/oci/oci-test-support.js'
import { assertStatus } from '../../src/http/api/api-test-support.js'

const API = '/api/v2.0'
/** Makes everything stored so far older than any time window. */
async function backdate(berth: TestBerth): Promise<void> {
  const old = new Date(Date.now() - 3 * 3_600_000).toISOString()
  const k = berth.db.kysely
  await k.updateTable('blobs').set({ created_at: old, touched_at: old }).execute()
  await k.updateTable('repository_blobs').set({ created_at: old }).execute()
  await k.updateTable('artifacts').set({ created_at: old }).execute()
}

/** Metrics of the node and process that do not depend on what the registry did. */
const RUNTIME = /^(process_|nodejs_)/

/** Every series (name and labels) of a scrape, except the runtime's own. */
function seriesOf(e: Exposition): Set<string> {
  return new Set(e.samples.filter((s) => !RUNTIME.test(s.name)).map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`))
}

for (const dialect of DIALECTS) {
  describe(`metrics on ${dialect}`, { ...(await dialectSkip(dialect)), timeout: 120_000 }, () => {
    let berth: TestBerth
    let v2: App
    let url = ''
    const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, payload?: unknown, auth: string | null = ADMIN_AUTH) =>
      berth.app.inject({ method, url: `${API}${path}`, headers: auth === null ? {} : { authorization: auth }, ...(payload === undefined ? {} : { payload: payload as object }) })
    const pull = async (repo: string, ref: string) => assertStatus(await v2.inject({ method: 'GET', url: `/v2/${repo}/manifests/${ref}`, headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } }), 200)

    before(async () => {
      berth = await createTestBerth(dialect, { metrics: { enabled: true, port: 0, path: '/metrics', cache_seconds: 1 }, events: { pull_flush_seconds: 0.05 }, gc: { time_window_minutes: 0 }, jobs: { workers: 2, lease_seconds: 5 } })
      v2 = withAuthorization(berth.app, ADMIN_AUTH)
      assert.ok(berth.metricsListener !== undefined)
      url = `http://127.0.0.1:${berth.metricsListener.port}/metrics`
    })
    after(async () => {
      await berth?.destroy()
    })

    it('answers on its own port without credentials while the registry port still asks for them', async () => {
      const address = await berth.app.listen({ host: '127.0.0.1', port: 0 })
      assert.equal((await fetch(`${address}/v2/`)).status, 401)
      assert.doesNotMatch(await (await fetch(`${address}/metrics`)).text(), /harbor_core_http_request_total/, 'the registry port does not serve the metrics')
      const res = await fetch(url)
      assert.equal(res.status, 200)
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
      assert.ok(parseExposition(await res.text()).samples.length > 0)
      assert.equal((await fetch(url.replace('/metrics', '/other'))).status, 404)
      assert.equal((await fetch(url, { method: 'POST' })).status, 405)
      assert.equal((await fetch(url, { method: 'HEAD' })).status, 200)
    })

    it('counts a push, a pull and API calls under Harbor core and distribution names, with bounded labels', async () => {
      await pushImage(v2, 'library/app', 'v1', 'metrics-app')
      await pull('library/app', 'v1')
      assertStatus(await call('GET', '/projects'), 200)
      assertStatus(await call('GET', '/projects/library'), 200)
      assertStatus(await v2.inject({ method: 'GET', url: '/v2/library/app/manifests/nope' }), 404)
      const m = await scrape(url)
      assert.equal(m.types.get('harbor_core_http_request_total'), 'counter')
      assert.equal(m.types.get('harbor_core_http_request_duration_seconds'), 'summary')
      assert.equal(m.types.get('registry_http_request_duration_seconds'), 'histogram')
      assert.ok(m.sum('registry_http_requests_total', { handler: 'manifest', method: 'PUT', code: '201' }) >= 1)
      assert.ok(m.sum('registry_http_requests_total', { handler: 'manifest', method: 'GET', code: '200' }) >= 1)
      assert.ok(m.sum('registry_http_requests_total', { handler: 'manifest', method: 'GET', code: '404' }) >= 1)
      assert.ok(m.sum('registry_http_requests_total', { handler: 'blob_upload', method: 'POST', code: '201' }) >= 2)
      assert.ok(m.sum('registry_http_request_duration_seconds_count', { handler: 'manifest', method: 'GET' }) >= 2)
      assert.ok(m.sum('harbor_core_http_request_total', { operation: 'v2_manifest', method: 'PUT', code: '201' }) >= 1)
      assert.ok(m.sum('harbor_core_http_request_total', { operation: '/api/v2.0/projects', method: 'GET', code: '200' }) >= 1)
      assert.ok(m.sum('harbor_core_http_request_total', { operation: '/api/v2.0/projects/:project', method: 'GET', code: '200' }) >= 1)
      assert.ok(m.sum('harbor_core_http_request_duration_seconds_count', { operation: '/api/v2.0/projects', method: 'GET' }) >= 1)
      assert.equal(m.find('harbor_core_http_inflight_requests').length, 1)
      // Storage actions of the push (the blobs written, committed and moved into place) and the pull.
      for (const action of ['Writer', 'Commit', 'Move', 'Stat']) assert.ok(m.sum('registry_storage_action_seconds_count', { driver: 'filesystem', action }) >= 1, action)
      // Names of repositories, tags and digests never become label values.
      const values = m.samples.flatMap((s) => Object.values(s.labels))
      assert.ok(!values.some((v) => v.includes('library/app') || v.includes('sha256:') || v === 'v1' || v === 'nope'), values.filter((v) => v.includes('app')).join(' '))
      // The process and the node.
      assert.ok(m.find('process_cpu_user_seconds_total').length === 1)
      assert.equal(m.sum('harbor_health'), 1)
      assert.equal(m.sum('harbor_up', { component: 'database' }), 1)
      assert.equal(m.sum('harbor_up', { component: 'storage' }), 1)
      assert.equal(m.find('harbor_system_info', { auth_mode: 'db_auth', self_registration: 'false' })[0]?.value, 1)
      assert.equal(m.sum('berth_redis_fallback'), 0)
    })

    it('shows projects, repositories, members, quotas and pulls as Harbor exporter does', async () => {
      assertStatus(await call('POST', '/users', { username: 'mia', password: 'Mia-Passw0rd1', email: 'mia@example.com', realname: 'Mia' }), 201)
      assertStatus(await call('POST', '/projects', { project_name: 'alpha', metadata: { public: 'false' }, storage_limit: 10 << 20 }), 201)
      assertStatus(await call('POST', '/projects/alpha/members', { role_id: 2, member_user: { username: 'mia' } }), 201)
      const image = await pushImage(v2, 'alpha/one', 'v1', 'alpha-one')
      await pushImage(v2, 'alpha/two', 'v1', 'alpha-two')
      await pull('alpha/one', 'v1')
      await pull('alpha/one', image.digest)
      const members = (await call('GET', '/projects/alpha/members')).json() as { entity_type: string }[]
      const project = (await call('GET', '/projects/alpha')).json() as { project_id: number }
      const quota = (await call('GET', `/quotas/${project.project_id}`)).json() as { hard: { storage: number }; used: { storage: number } }
      let m = await scrape(url)
      await waitUntil('the pulls are counted', async () => {
        m = await scrape(url)
        return m.sum('harbor_artifact_pulled', { project_name: 'alpha' }) === 2
      }, { timeoutMs: 15_000, everyMs: 200 })
      assert.equal(m.sum('harbor_project_repo_total', { project_name: 'alpha', public: 'false' }), 2)
      assert.equal(m.sum('harbor_project_member_total', { project_name: 'alpha' }), members.filter((x) => x.entity_type === 'u').length)
      assert.ok(m.sum('harbor_project_member_total', { project_name: 'alpha' }) >= 1)
      assert.equal(m.sum('harbor_project_quota_byte', { project_name: 'alpha' }), 10 << 20)
      assert.equal(quota.hard.storage, 10 << 20)
      assert.equal(m.sum('harbor_project_quota_usage_byte', { project_name: 'alpha' }), quota.used.storage)
      assert.ok(quota.used.storage > 0)
      assert.equal(m.sum('harbor_project_total', { public: 'false' }), 1)
      assert.equal(m.sum('harbor_project_total', { public: 'true' }), 1, 'library')
      assert.equal(m.types.get('harbor_project_total'), 'gauge')
      // The job service: every registered type has a queue (0 when empty), the schedules are counted.
      assert.ok(m.find('harbor_task_queue_size').length >= 3)
      assert.ok(m.find('harbor_task_queue_latency').length >= 3)
      assert.ok(m.sum('harbor_task_scheduled_total') >= 1, 'the periodic purges have schedules')
      assert.ok(m.find('harbor_task_concurrency').length >= 3)
      assert.equal(m.sum('berth_replication_tasks', { status: 'Failed' }), 0)
      assert.ok(m.sum('berth_metrics_snapshot_computations_total') >= 1)
    })

    it('counts failed logins that lock a user out, and the logins refused then', async () => {
      assertStatus(await call('POST', '/users', { username: 'guessed', password: 'Guessed-Passw0rd1', email: 'g@example.com', realname: 'G' }), 201)
      for (let i = 0; i < 5; i++) assertStatus(await call('GET', '/users/current', undefined, basicAuth('guessed', `Wrong-Passw0rd${i}`)), 401)
      assertStatus(await call('GET', '/users/current', undefined, basicAuth('guessed', 'Guessed-Passw0rd1')), 429)
      const m = await scrape(url)
      assert.equal(m.sum('berth_login_lockouts_total', { scope: 'user' }), 1)
      assert.ok(m.sum('berth_login_refused_total', { reason: 'locked_out' }) >= 1)
    })

    it('counts the bytes garbage collection frees and the job it ran as', async () => {
      const image = await pushImage(v2, 'library/gone', 'v1', 'gc-gone')
      assertStatus(await v2.inject({ method: 'DELETE', url: `/v2/library/gone/manifests/${image.digest}` }), 202)
      await backdate(berth)
      const res = await call('POST', '/system/gc/schedule', { schedule: { type: 'Manual' }, parameters: { delete_untagged: true } })
      assertStatus(res, 201)
      await waitUntil('gc ends', async () => (await scrape(url)).sum('harbor_jobservice_task_total', { status: 'Success' }) >= 1 && (await scrape(url)).sum('berth_gc_freed_bytes_total') > 0, { timeoutMs: 20_000, everyMs: 100 })
      const m = await scrape(url)
      assert.ok(m.sum('berth_gc_freed_bytes_total') >= image.size + image.config.size + image.layers[0]!.size)
      assert.ok(m.sum('harbor_jobservice_task_process_time_seconds_count', { status: 'Success' }) >= 1)
    })

    it('does not add series for more repositories, tags and pulls', async () => {
      const round = async (i: number) => {
        await pushImage(v2, `library/many-${i}`, 't0', `many-${i}-0`)
        await pushImage(v2, `library/many-${i}`, 't1', `many-${i}-1`)
        await pull(`library/many-${i}`, 't0')
        await pull(`library/many-${i}`, 't1')
      }
      await round(0)
      await new Promise((r) => setTimeout(r, 1_100))
      const before = seriesOf(await scrape(url))
      for (let i = 1; i <= 15; i++) await round(i)
      await new Promise((r) => setTimeout(r, 1_100))
      const after = seriesOf(await scrape(url))
      const added = [...after].filter((s) => !before.has(s))
      assert.deepEqual(added, [])
    })
  })
}

describe('metrics settings', () => {
  it('no listener and no metrics when metrics.enabled is false', async () => {
    const berth = await createTestBerth('sqlite')
    try {
      assert.equal(berth.metricsListener, undefined)
      assert.equal(berth.metrics, undefined)
    } finally {
      await berth.destroy()
    }
  })

  it('a metrics port already taken stops start-up naming metrics.port', async () => {
    const taken = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()))
    const port = (taken.address() as { port: number }).port
    try {
      await assert.rejects(createTestBerth('sqlite', { metrics: { enabled: true, port, path: '/metrics', cache_seconds: 30 } }), (err: Error) => {
        assert.match(err.message, /config key metrics\.port: 127\.0\.0\.1:\d+ is already in use/)
        return true
      })
    } finally {
      taken.close()
    }
  })
})
