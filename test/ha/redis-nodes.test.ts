// Two nodes (in process) sharing PostgreSQL and Redis: a lockout, a settings change, a password
// change and the end of a user's console sessions made on one node hold on the other at once;
// without Redis a node keeps serving pushes and pulls, reports it in /api/v2.0/health, and stays ready.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Berth } from '../../src/app/server.js'
import { createTestDatabase, dialectSkip, type TestDatabase } from '../support/databases.js'
import { basicAuth, TEST_ADMIN_PASSWORD } from '../support/berth-app.js'
import { inProcessNode } from '../support/in-process-node.js'
import { REDIS_URL, redisSkip, testPrefix } from '../support/redis.js'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { header, pushImage, sha256, startUpload, withAuthorization, withQuery, type App } from '../../src/http/oci/oci-test-support.js'

const ADMIN = basicAuth('admin', TEST_ADMIN_PASSWORD)
const skip = (await dialectSkip('postgres')).skip ?? (await redisSkip()).skip

const node = (databaseUrl: string, storage: string, redisUrl: string, prefix: string) => inProcessNode(databaseUrl, storage, { url: redisUrl, prefix })

describe('nodes sharing Redis', { skip: skip ?? false, timeout: 60_000 }, () => {
  let database: TestDatabase
  let storage: string
  let a: Berth & { dir: string }
  let b: Berth & { dir: string }
  const prefix = testPrefix()

  before(async () => {
    database = await createTestDatabase('postgres')
    storage = await mkdtemp(join(tmpdir(), 'berth-ha-storage-'))
    a = await node(database.url, storage, REDIS_URL, prefix)
    b = await node(database.url, storage, REDIS_URL, prefix)
    const until = Date.now() + 5000
    while (a.shared.status() !== 'up' || b.shared.status() !== 'up') {
      if (Date.now() > until) throw new Error('redis not ready')
      await new Promise((r) => setTimeout(r, 50))
    }
    const res = await a.app.inject({ method: 'POST', url: '/api/v2.0/users', headers: { authorization: ADMIN }, payload: { username: 'carol', password: 'Carol-Passw0rd', email: 'c@example.com' } })
    assert.equal(res.statusCode, 201)
  })
  after(async () => {
    for (const n of [a, b]) {
      await n?.close()
      if (n) await rm(n.dir, { recursive: true, force: true })
    }
    await database?.drop()
    await rm(storage, { recursive: true, force: true })
  })

  it('a lockout earned on one node holds on the other', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await a.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: basicAuth('carol', `Wrong-Passw0rd${i}`) } })
      assert.equal(res.statusCode, 401)
    }
    const onB = await b.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: basicAuth('carol', 'Carol-Passw0rd') } })
    assert.equal(onB.statusCode, 429)
  })

  it('guesses sent at once to both nodes get at most max_failed_logins password checks in all', async () => {
    const res = await a.app.inject({ method: 'POST', url: '/api/v2.0/users', headers: { authorization: ADMIN }, payload: { username: 'racer', password: 'Racer-Passw0rd', email: 'r@example.com' } })
    assert.equal(res.statusCode, 201)
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        (i % 2 === 0 ? a : b).app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: basicAuth('racer', i === 13 ? 'Racer-Passw0rd' : `Guess-Passw0rd${i}`) } }),
      ),
    )
    const statuses = answers.map((r) => r.statusCode)
    assert.ok(statuses.filter((s) => s !== 429).length <= 5, statuses.join(' '))
    assert.ok(statuses.every((s) => s === 401 || s === 429 || s === 200), statuses.join(' '))
  })

  it('a setting changed on one node applies on the other at once', async () => {
    // Fill b's settings cache first, so only the message can make it read again.
    assert.equal((await b.app.inject({ method: 'POST', url: '/api/v2.0/users', payload: { username: 'selfie', password: 'Selfie-Passw0rd' } })).statusCode, 401)
    assert.equal((await a.app.inject({ method: 'PUT', url: '/api/v2.0/configurations', headers: { authorization: ADMIN }, payload: { self_registration: true } })).statusCode, 200)
    const until = Date.now() + 2000
    let status = 0
    while (Date.now() < until) {
      status = (await b.app.inject({ method: 'POST', url: '/api/v2.0/users', payload: { username: 'selfie', password: 'Selfie-Passw0rd' } })).statusCode
      if (status === 201) break
      await new Promise((r) => setTimeout(r, 50))
    }
    assert.equal(status, 201)
  })

  it('read-only switched on one node refuses writes on the other at once (well within the settings cache life), and off again', async () => {
    const project = (name: string) => b.app.inject({ method: 'POST', url: '/api/v2.0/projects', headers: { authorization: ADMIN }, payload: { project_name: name, metadata: { public: 'false' } } })
    // b read the settings just now (its cache is fresh): only the message can make it read them again.
    assert.equal((await project('before-ro')).statusCode, 201)
    assert.equal((await a.app.inject({ method: 'PUT', url: '/api/v2.0/configurations', headers: { authorization: ADMIN }, payload: { read_only: true } })).statusCode, 200)
    const settle = async (want: number, name: string) => {
      // Less than the 5 s a node keeps its settings: the bus message, not the cache's end, did it.
      const until = Date.now() + 2000
      let res = await project(name)
      while (res.statusCode !== want && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 50))
        res = await project(name)
      }
      return res
    }
    const refused = await settle(403, 'during-ro')
    assert.equal(refused.statusCode, 403)
    assert.deepEqual(refused.json(), { errors: [{ code: 'DENIED', message: 'The system is in read only mode. Any modification is prohibited.' }] })
    const push = await b.app.inject({ method: 'POST', url: '/v2/library/ro/blobs/uploads/', headers: { authorization: ADMIN, 'content-length': '0' } })
    assert.equal(push.statusCode, 403)
    assert.equal((await b.app.inject({ method: 'GET', url: '/api/v2.0/systeminfo', headers: { authorization: ADMIN } })).json().read_only, true)
    assert.equal((await a.app.inject({ method: 'PUT', url: '/api/v2.0/configurations', headers: { authorization: ADMIN }, payload: { read_only: false } })).statusCode, 200)
    assert.equal((await settle(201, 'after-ro')).statusCode, 201)
  })

  it("a password changed on one node is refused on the other at once, despite its credential cache", async () => {
    const old = basicAuth('selfie', 'Selfie-Passw0rd')
    const me = await b.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: old } })
    assert.equal(me.statusCode, 200)
    const id = me.json().user_id
    const change = await a.app.inject({ method: 'PUT', url: `/api/v2.0/users/${id}/password`, headers: { authorization: ADMIN }, payload: { new_password: 'Selfie-Passw0rd2' } })
    assert.equal(change.statusCode, 200)
    const until = Date.now() + 2000
    let status = 0
    while (Date.now() < until) {
      status = (await b.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: old } })).statusCode
      if (status === 401) break
      await new Promise((r) => setTimeout(r, 50))
    }
    assert.equal(status, 401)
  })

  it("a user's console sessions ended on one node (password reset, deletion) are refused on the other at once; a revoked admin flag too", async () => {
    const create = async (username: string) => {
      const res = await a.app.inject({ method: 'POST', url: '/api/v2.0/users', headers: { authorization: ADMIN }, payload: { username, password: 'Sess-Passw0rd1', email: `${username}@example.com` } })
      assert.equal(res.statusCode, 201, res.body)
      return Number(res.headers.location!.split('/').pop())
    }
    /** Signs in on node b; returns the session cookie. */
    const signIn = async (username: string) => {
      const res = await b.app.inject({ method: 'POST', url: '/c/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `principal=${username}&password=Sess-Passw0rd1` })
      assert.equal(res.statusCode, 200, res.body)
      return `sid=${res.cookies.find((c) => c.name === 'sid')!.value}`
    }
    const onB = (cookie: string, url = '/api/v2.0/users/current') => b.app.inject({ method: 'GET', url, headers: { cookie } }).then((r) => r.statusCode)
    const [resetId, deletedId] = await Promise.all([create('sess-reset'), create('sess-deleted')])
    const [reset, deleted] = await Promise.all([signIn('sess-reset'), signIn('sess-deleted')])
    assert.deepEqual([await onB(reset), await onB(deleted)], [200, 200])

    assert.equal((await a.app.inject({ method: 'PUT', url: `/api/v2.0/users/${resetId}/sysadmin`, headers: { authorization: ADMIN }, payload: { sysadmin_flag: true } })).statusCode, 200)
    assert.equal(await onB(reset, '/api/v2.0/users'), 200, 'administrator on b')
    assert.equal((await a.app.inject({ method: 'PUT', url: `/api/v2.0/users/${resetId}/sysadmin`, headers: { authorization: ADMIN }, payload: { sysadmin_flag: false } })).statusCode, 200)
    assert.equal(await onB(reset, '/api/v2.0/users'), 403, 'revoked on a: no longer administrator on b')

    assert.equal((await a.app.inject({ method: 'PUT', url: `/api/v2.0/users/${resetId}/password`, headers: { authorization: ADMIN }, payload: { new_password: 'Sess-Passw0rd2' } })).statusCode, 200)
    assert.equal(await onB(reset), 401, 'reset on a: the session on b has ended')
    assert.equal((await a.app.inject({ method: 'DELETE', url: `/api/v2.0/users/${deletedId}`, headers: { authorization: ADMIN } })).statusCode, 200)
    assert.equal(await onB(deleted), 401, 'deleted on a: the session on b has ended')
  })

  /** The digest a node serves for a tag, or its status when it serves none. */
  async function served(app: App, repo: string, ref: string): Promise<string | number> {
    const res = await app.inject({ method: 'GET', url: `/v2/${repo}/manifests/${ref}`, headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })
    return res.statusCode === 200 ? header(res, 'docker-content-digest')! : res.statusCode
  }

  it('a tag moved, added or deleted on one node is served that way by the other at once (no stale cache)', async () => {
    const onA = withAuthorization(a.app, ADMIN)
    const onB = withAuthorization(b.app, ADMIN)
    const repo = 'library/moving'
    const api = `/api/v2.0/projects/library/repositories/moving`
    const one = await pushImage(onA, repo, 'latest', 'moving-1')
    assert.equal(await served(onB, repo, 'latest'), one.digest) // b caches the lookup
    assert.equal(await served(onB, repo, one.digest), one.digest)
    // Pushed over on a: b serves the new manifest on its very next request.
    const two = await pushImage(onA, repo, 'latest', 'moving-2')
    assert.equal(await served(onB, repo, 'latest'), two.digest)
    // A tag added through the API.
    assert.equal((await onA.inject({ method: 'POST', url: `${api}/artifacts/${one.digest}/tags`, payload: { name: 'stable' } })).statusCode, 201)
    assert.equal(await served(onB, repo, 'stable'), one.digest)
    // A tag deleted through the API, and through /v2/.
    assert.equal((await onA.inject({ method: 'DELETE', url: `${api}/artifacts/${one.digest}/tags/stable` })).statusCode, 200)
    assert.equal(await served(onB, repo, 'stable'), 404)
    assert.equal((await onA.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/latest` })).statusCode, 202)
    assert.equal(await served(onB, repo, 'latest'), 404)
    // A manifest deleted by digest, and then the whole repository.
    assert.equal(await served(onB, repo, two.digest), two.digest)
    assert.equal((await onA.inject({ method: 'DELETE', url: `/v2/${repo}/manifests/${two.digest}` })).statusCode, 202)
    assert.equal(await served(onB, repo, two.digest), 404)
    assert.equal(await served(onB, repo, one.digest), one.digest)
    assert.equal((await onA.inject({ method: 'DELETE', url: api })).statusCode, 200)
    assert.equal(await served(onB, repo, one.digest), 404)
  })

  it('a chunk sent to one node waits while another node writes to the same upload session', async () => {
    const onA = withAuthorization(a.app, ADMIN)
    const onB = withAuthorization(b.app, ADMIN)
    const location = await startUpload(onA, 'library/locked')
    const first = Buffer.alloc(64 * 1024, 1)
    const slow = new PassThrough()
    const writing = onA.inject({ method: 'PATCH', url: location, headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${first.length - 1}` }, payload: slow })
    slow.write(first.subarray(0, 1024))
    await new Promise((r) => setTimeout(r, 300)) // a holds the session's lock, mid-chunk
    // b gets a chunk for the same offset: it must wait for a, then find the session moved on.
    const racing = onB.inject({ method: 'PATCH', url: location, headers: { 'content-type': 'application/octet-stream', 'content-range': '0-9' }, payload: Buffer.alloc(10, 2) })
    await new Promise((r) => setTimeout(r, 300))
    slow.end(first.subarray(1024))
    const [done, raced] = await Promise.all([writing, racing])
    assert.equal(done.statusCode, 202, done.body)
    assert.equal(raced.statusCode, 416, raced.body)
    assert.equal(header(raced, 'range'), `0-${first.length - 1}`)
    // The session holds exactly a's chunk: it closes with a's digest.
    const closed = await onB.inject({ method: 'PUT', url: withQuery(location, { digest: sha256(first) }), headers: { 'content-length': '0' } })
    assert.equal(closed.statusCode, 201, closed.body)
  })

  it('health shows Redis as a component', async () => {
    const h = (await a.app.inject({ method: 'GET', url: '/api/v2.0/health' })).json()
    assert.deepEqual(h.components.find((c: { name: string }) => c.name === 'redis'), { name: 'redis', status: 'healthy' })
  })

  it('a node whose Redis is unreachable serves pushes and pulls, stays ready, and reports it', async () => {
    const lonely = await node(database.url, storage, 'redis://127.0.0.1:1', testPrefix())
    try {
      const app = withAuthorization(lonely.app, ADMIN)
      const pushed = await pushImage(app, 'library/without-redis', 'v1', 'no-redis')
      const pulled = await app.inject({ method: 'GET', url: '/v2/library/without-redis/manifests/v1', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })
      assert.equal(pulled.headers['docker-content-digest'], pushed.digest)
      assert.equal((await lonely.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200)
      const h = (await lonely.app.inject({ method: 'GET', url: '/api/v2.0/health' })).json()
      assert.equal(h.status, 'unhealthy')
      assert.equal(h.components.find((c: { name: string }) => c.name === 'redis').status, 'unhealthy')
      // Lockouts still work, on this node's own counters.
      for (let i = 0; i < 5; i++) await lonely.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: basicAuth('dave', `Nope-Passw0rd${i}`) } })
      assert.equal((await lonely.app.inject({ method: 'GET', url: '/api/v2.0/users/current', headers: { authorization: basicAuth('dave', 'Nope-Passw0rd9') } })).statusCode, 429)
    } finally {
      await lonely.close()
      await rm(lonely.dir, { recursive: true, force: true })
    }
  })
})
