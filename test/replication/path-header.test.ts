// X-Berth-Replication-Path is believed only from callers that replicate, on both databases: a
// developer who claims a peer already has an artifact is ignored (the path is not stored and the
// artifact still reaches that peer); a robot's path is stored and keeps the artifact off it.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { InjectOptions } from 'fastify'
import { ADMIN_AUTH, TEST_ADMIN_PASSWORD, basicAuth, createTestBerth, type TestBerth } from '../support/berth-app.js'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { waitUntil } from '../support/until.js'
import { assertStatus } from '../../src/http/api/api-test-support.js'
import { OCI_INDEX, OCI_MANIFEST, pushImage, type App } from '../../src/http/oci/oci-test-support.js'

const API = '/api/v2.0'
const PATH_HEADER = 'x-berth-replication-path'
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** The app with these headers on every injected request. */
function withHeaders(app: App, headers: Record<string, string>): App {
  return new Proxy(app, {
    get(target, prop, receiver) {
      if (prop !== 'inject') return Reflect.get(target, prop, receiver)
      return (opts: InjectOptions) => target.inject({ ...opts, headers: { ...headers, ...(opts.headers ?? {}) } })
    },
  })
}

for (const dialect of DIALECTS) {
  describe(`the replication path header (${dialect})`, await dialectSkip(dialect), () => {
    let a: TestBerth
    let peer: TestBerth

    const api = (b: TestBerth, method: 'GET' | 'POST' | 'PUT', path: string, payload?: unknown, authorization = ADMIN_AUTH) =>
      b.app.inject({ method, url: `${API}${path}`, headers: { authorization }, ...(payload === undefined ? {} : { payload: payload as object }) })
    const onPeer = async (repo: string, ref: string) =>
      (await peer.app.inject({ method: 'HEAD', url: `/v2/${repo}/manifests/${ref}`, headers: { authorization: ADMIN_AUTH, accept: `${OCI_MANIFEST}, ${OCI_INDEX}` } })).statusCode === 200
    const pathOf = async (repo: string, digest: string) => {
      const r = await a.stores.repositories.get(repo)
      assert.ok(r !== null, `${repo} exists`)
      return a.stores.artifactPaths.get(r.id, digest)
    }
    const DEV = basicAuth('dana', 'Dana-Passw0rd1')
    let robot = ''

    before(async () => {
      const patch = { jobs: { workers: 2, lease_seconds: 5 }, replication: { reconcile_seconds: 0, task_attempts: 2 } }
      a = await createTestBerth(dialect, patch)
      peer = await createTestBerth(dialect, patch)
      await a.app.listen({ host: '127.0.0.1', port: 0 })
      const peerUrl = await peer.app.listen({ host: '127.0.0.1', port: 0 })
      for (const b of [a, peer]) assertStatus(await api(b, 'POST', '/projects', { project_name: 'team', metadata: { public: 'false' } }), 201)
      assertStatus(await api(a, 'POST', '/users', { username: 'dana', password: 'Dana-Passw0rd1', email: 'dana@example.com', realname: 'Dana' }), 201)
      assertStatus(await api(a, 'POST', '/projects/team/members', { role_id: 2, member_user: { username: 'dana' } }), 201)
      const r = await api(a, 'POST', '/robots', {
        name: 'replicator',
        level: 'project',
        duration: -1,
        permissions: [{ kind: 'project', namespace: 'team', access: [{ resource: 'repository', action: 'pull' }, { resource: 'repository', action: 'push' }] }],
      })
      assertStatus(r, 201)
      robot = basicAuth(r.json().name, r.json().secret)
      const reg = await api(a, 'POST', '/registries', { name: 'peer', type: 'berth', url: peerUrl, credential: { type: 'basic', access_key: 'admin', access_secret: TEST_ADMIN_PASSWORD } })
      assertStatus(reg, 201)
      const registry = Number(/\/(\d+)$/.exec(String(reg.headers.location))![1])
      assertStatus(await api(a, 'POST', '/replication/policies', { name: 'to-peer', dest_registry: { id: registry }, trigger: { type: 'event_based' }, filters: [{ type: 'name', value: 'team/**' }], override: true, enabled: true }), 201)
    })
    after(async () => {
      await a?.destroy()
      await peer?.destroy()
    })

    it("a developer's forged path is ignored: not stored, and the artifact still reaches the peer it names", async () => {
      const forged = { [PATH_HEADER]: peer.instanceId }
      const basic = await pushImage(withHeaders(a.app, { authorization: DEV, ...forged }), 'team/app', 'forged', 'forged-basic')
      assert.deepEqual(await pathOf('team/app', basic.digest), [], 'no path stored')
      // With a bearer token as registry clients use, too.
      const token = (await a.app.inject({ method: 'GET', url: '/service/token?service=berth-registry&scope=repository:team/app:pull,push', headers: { authorization: DEV } })).json().token as string
      const bearer = await pushImage(withHeaders(a.app, { authorization: `Bearer ${token}`, ...forged }), 'team/app', 'forged-token', 'forged-token')
      assert.deepEqual(await pathOf('team/app', bearer.digest), [], 'no path stored from a token either')
      await waitUntil('both reach the peer', async () => (await onPeer('team/app', 'forged')) && (await onPeer('team/app', 'forged-token')), { timeoutMs: 30_000, everyMs: 100 })
    })

    it("a robot's path is stored and keeps the artifact off the peers it names", async () => {
      const pushed = await pushImage(withHeaders(a.app, { authorization: robot, [PATH_HEADER]: peer.instanceId }), 'team/app', 'relayed', 'relayed')
      assert.deepEqual(await pathOf('team/app', pushed.digest), [peer.instanceId])
      // A control push without the header replicates; the relayed one, pushed before it, never does.
      await pushImage(withHeaders(a.app, { authorization: robot }), 'team/app', 'control', 'control')
      await waitUntil('the control push reaches the peer', () => onPeer('team/app', 'control'), { timeoutMs: 30_000, everyMs: 100 })
      await sleep(500)
      assert.equal(await onPeer('team/app', 'relayed'), false, 'the peer on the path was skipped')
    })
  })
}
