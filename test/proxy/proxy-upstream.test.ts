// Proxy-cache projects against an upstream this suite plays itself: one that lies (a manifest that
// does not match its digest, a blob body that never ends or hashes to something else), one that
// holds a blob back until told (two nodes sharing a database and storage pull it at once: it is
// fetched once; a project's max_upstream_conn is reached), the filter pattern, a registry the
// outbound guard forbids, and who may pull from a private proxy project.
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { ADMIN_AUTH, basicAuth, createTestBerth, type TestBerth } from '../support/berth-app.js'
import { createTestDatabase, DIALECTS, dialectSkip, type TestDatabase } from '../support/databases.js'
import { inProcessNode } from '../support/in-process-node.js'
import { REDIS_URL, redisSkip, testPrefix } from '../support/redis.js'
import type { Berth } from '../../src/app/server.js'

const API = '/api/v2.0'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`

/** An image the fake upstream serves: a manifest over one config and one layer. */
function image(layerBytes: number) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', nonce: randomBytes(8).toString('hex') }))
  const layer = randomBytes(layerBytes)
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(layer), size: layer.length }],
    }),
  )
  return { config, layer, manifest, digest: sha256(manifest) }
}

type Handler = (req: IncomingMessage, res: ServerResponse) => boolean

/** A registry on loopback made of handlers (the first that answers wins); counts `METHOD path`. */
class FakeUpstream {
  readonly seen: string[] = []
  private handlers: Handler[] = []
  private server!: Server
  url = ''

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      this.seen.push(`${req.method} ${req.url}`)
      if (req.url === '/v2/' || req.url === '/v2') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
      for (const h of this.handlers) if (h(req, res)) return
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NOT_FOUND","message":"no"}]}')
    })
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
  }

  on(h: Handler): void {
    this.handlers.push(h)
  }

  count(pattern: RegExp): number {
    return this.seen.filter((s) => pattern.test(s)).length
  }

  /** Serves an image honestly under `repo:tag`. */
  serve(repo: string, tag: string, img: ReturnType<typeof image>): void {
    this.on((req, res) => {
      const m = new RegExp(`^/v2/${repo}/(manifests|blobs)/([^/?]+)$`).exec(req.url ?? '')
      if (m === null) return false
      if (m[1] === 'manifests' && (m[2] === tag || m[2] === img.digest)) {
        res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': img.digest, 'content-length': String(img.manifest.length) })
        res.end(req.method === 'HEAD' ? undefined : img.manifest)
        return true
      }
      const blob = m[1] === 'blobs' ? [img.config, img.layer].find((b) => sha256(b) === m[2]) : undefined
      if (blob === undefined) return false
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(blob.length), 'docker-content-digest': m[2]! })
      res.end(req.method === 'HEAD' ? undefined : blob)
      return true
    })
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((r) => this.server.close(() => r()))
  }
}

const redisSkipped = (await redisSkip()).skip ?? false

for (const dialect of DIALECTS) {
  describe(`proxy cache with a fake upstream (${dialect})`, { timeout: 120_000, ...(await dialectSkip(dialect)) }, () => {
    const upstream = new FakeUpstream()
    let berth: TestBerth
    let registryId = 0

    const api = async (b: Berth, method: string, path: string, body?: unknown, authorization = ADMIN_AUTH) => {
      const res = await b.app.inject({ method: method as 'GET', url: `${API}${path}`, headers: { authorization }, ...(body === undefined ? {} : { payload: body as object }) })
      return { status: res.statusCode, json: res.body === '' ? null : (JSON.parse(res.body) as any), location: res.headers.location as string | undefined }
    }
    /** A GET on /v2/ as `authorization` ('' for anonymous). */
    const v2 = (b: Berth, path: string, authorization = ADMIN_AUTH) =>
      b.app.inject({ method: 'GET', url: `/v2/${path}`, headers: { accept: OCI_MANIFEST, ...(authorization === '' ? {} : { authorization }) } })
    const proxyProject = async (b: Berth, name: string, metadata: Record<string, string> = {}, id = registryId) => {
      const r = await api(b, 'POST', '/projects', { project_name: name, registry_id: id, metadata })
      assert.equal(r.status, 201, JSON.stringify(r.json))
    }
    const stored = async (b: Berth, digest: string) => (await b.stores.blobLinks.state(digest)) !== 'absent'

    before(async () => {
      await upstream.start()
      berth = await createTestBerth(dialect, { jobs: { workers: 2, lease_seconds: 5 }, proxy_cache: { upstream_timeout_seconds: 5, fetch_wait_seconds: 30 } })
      const r = await api(berth, 'POST', '/registries', { name: 'fake', type: 'docker-registry', url: upstream.url })
      registryId = Number(/\/(\d+)$/.exec(r.location!)![1])
    })
    after(async () => {
      await berth?.destroy()
      await upstream.close()
    })

    it('refuses a manifest that does not match its digest, and stores nothing', async () => {
      const honest = image(100)
      const forged = Buffer.from(honest.manifest.toString('utf8').replace('"amd64"', '"arm64"').replace('schemaVersion', 'schemaVersion'))
      upstream.on((req, res) => {
        if (!(req.url ?? '').startsWith('/v2/evil/manifests/')) return false
        // Claims the honest digest, sends other bytes.
        res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': honest.digest })
        res.end(req.method === 'HEAD' ? undefined : Buffer.concat([forged, Buffer.from(' ')]))
        return true
      })
      await proxyProject(berth, 'lies')
      const res = await v2(berth, 'lies/evil/manifests/v1')
      assert.equal(res.statusCode, 404, res.body)
      assert.equal(res.json().errors[0].code, 'MANIFEST_UNKNOWN')
      assert.equal(await berth.stores.repositories.get('lies/evil'), null)
      assert.equal(await stored(berth, honest.digest), false)
    })

    it('stops a blob body that runs past its size, and one that hashes to something else, storing neither', async () => {
      const declared = 64 * 1024
      const endless = sha256(Buffer.from('endless'))
      const wrong = sha256(Buffer.from('wrong'))
      upstream.on((req, res) => {
        const url = req.url ?? ''
        if (url === `/v2/evil/blobs/${endless}`) {
          if (req.method === 'HEAD') return void res.writeHead(200, { 'content-length': String(declared) }).end(), true
          res.writeHead(200, { 'content-type': 'application/octet-stream' })
          const chunk = randomBytes(16 * 1024)
          const pump = () => {
            while (!res.destroyed && res.write(chunk));
            if (!res.destroyed) res.once('drain', pump)
          }
          pump()
          return true
        }
        if (url === `/v2/evil/blobs/${wrong}`) {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(declared) })
          res.end(req.method === 'HEAD' ? undefined : randomBytes(declared))
          return true
        }
        return false
      })
      for (const digest of [endless, wrong]) {
        const res = await fetchThrough(berth, `lies/evil/blobs/${digest}`)
        assert.ok(res.length < declared || sha256(res) !== digest, 'the client never gets a whole blob that fails')
        assert.equal(await stored(berth, digest), false, `${digest} not stored`)
        assert.equal(await berth.stores.blobLinks.get('lies/evil', digest), null)
      }
    })

    it('stores an index when pulled and its children when they are pulled, listed under it', async () => {
      const amd = image(100)
      const arm = image(120)
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [amd, arm].map((c, i) => ({ mediaType: OCI_MANIFEST, digest: c.digest, size: c.manifest.length, platform: { os: 'linux', architecture: i === 0 ? 'amd64' : 'arm64' } })) }))
      const indexDigest = sha256(index)
      upstream.on((req, res) => {
        if (req.url !== '/v2/multi/app/manifests/v1' && req.url !== `/v2/multi/app/manifests/${indexDigest}`) return false
        res.writeHead(200, { 'content-type': OCI_INDEX, 'docker-content-digest': indexDigest, 'content-length': String(index.length) })
        res.end(req.method === 'HEAD' ? undefined : index)
        return true
      })
      upstream.serve('multi/app', 'amd', amd)
      upstream.serve('multi/app', 'arm', arm)
      await proxyProject(berth, 'multi')
      const got = await berth.app.inject({ method: 'GET', url: '/v2/multi/multi/app/manifests/v1', headers: { authorization: ADMIN_AUTH, accept: OCI_INDEX } })
      assert.equal(got.statusCode, 200, got.body)
      assert.equal(got.headers['docker-content-digest'], indexDigest)
      assert.equal((await v2(berth, `multi/multi/app/manifests/${amd.digest}`)).statusCode, 200)
      assert.equal(sha256((await v2(berth, `multi/multi/app/blobs/${sha256(amd.layer)}`)).rawPayload), sha256(amd.layer))
      const listed = await api(berth, 'GET', '/projects/multi/repositories/multi%252Fapp/artifacts')
      assert.deepEqual(listed.json.map((a: any) => a.digest), [indexDigest], 'the child is listed under its index')
      const refs = listed.json[0].references.map((r: any) => [r.child_digest, r.child_id > 0])
      assert.deepEqual(refs, [[amd.digest, true], [arm.digest, false]], 'only the pulled child is here')
    })

    it("never opens another project's blob by its digest: the upstream must have it", async () => {
      assert.equal((await api(berth, 'POST', '/projects', { project_name: 'secret', metadata: { public: 'false' } })).status, 201)
      const bytes = randomBytes(4096)
      const digest = sha256(bytes)
      const pushed = await berth.app.inject({ method: 'POST', url: `/v2/secret/app/blobs/uploads/?digest=${digest}`, headers: { authorization: ADMIN_AUTH, 'content-type': 'application/octet-stream' }, payload: bytes })
      assert.equal(pushed.statusCode, 201, pushed.body)
      await proxyProject(berth, 'peek', { public: 'true' })
      const res = await berth.app.inject({ method: 'GET', url: `/v2/peek/app/blobs/${digest}` })
      assert.equal(res.statusCode, 404, res.body)
      assert.equal(res.json().errors[0].code, 'BLOB_UNKNOWN')
      assert.equal(await berth.stores.blobLinks.get('peek/app', digest), null)
    })

    it('asks the upstream only for repositories matching the filter pattern', async () => {
      const img = image(10)
      upstream.serve('allowed/app', 'v1', img)
      upstream.serve('other/app', 'v1', img)
      await proxyProject(berth, 'filtered', { proxy_cache_filter_pattern: 'allowed/**' })
      assert.equal((await v2(berth, 'filtered/allowed/app/manifests/v1')).statusCode, 200)
      const before = upstream.count(/other\/app/)
      assert.equal((await v2(berth, 'filtered/other/app/manifests/v1')).statusCode, 404)
      assert.equal(upstream.count(/other\/app/), before)
    })

    it('takes a regex filter in Go\'s syntax, found anywhere in the name; a pattern that does not compile fetches nothing', async () => {
      const img = image(10)
      upstream.serve('team-a/app', 'v1', img)
      upstream.serve('team-b/app', 'v1', img)
      await proxyProject(berth, 'rfiltered', { proxy_cache_filter_kind: 'regex', proxy_cache_filter_pattern: 'a/(app|web)$' })
      assert.equal((await v2(berth, 'rfiltered/team-a/app/manifests/v1')).statusCode, 200)
      const before = upstream.count(/team-b\/app/)
      assert.equal((await v2(berth, 'rfiltered/team-b/app/manifests/v1')).statusCode, 404)
      assert.equal(upstream.count(/team-b\/app/), before, 'not asked for a name outside the filter')
      // Backreferences are not RE2: the pattern does not compile, and nothing is fetched.
      await proxyProject(berth, 'rbroken', { proxy_cache_filter_kind: 'regex', proxy_cache_filter_pattern: '(team)-\\1' })
      const count = upstream.count(/./)
      assert.equal((await v2(berth, 'rbroken/team-a/app/manifests/v1')).statusCode, 404)
      assert.equal(upstream.count(/./), count)
    })

    it('answers 429 past the project\'s max_upstream_conn', async () => {
      const img = image(256 * 1024)
      let release!: () => void
      const held = new Promise<void>((r) => (release = r))
      upstream.on((req, res) => {
        if (req.url !== `/v2/slow/app/blobs/${sha256(img.layer)}` || req.method !== 'GET') return false
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(img.layer.length) })
        res.write(img.layer.subarray(0, 1024))
        void held.then(() => res.end(img.layer.subarray(1024)))
        return true
      })
      upstream.serve('slow/app', 'v1', img)
      await proxyProject(berth, 'narrow', { max_upstream_conn: '1' })
      assert.equal((await v2(berth, 'narrow/slow/app/manifests/v1')).statusCode, 200)
      const first = fetchThrough(berth, `narrow/slow/app/blobs/${sha256(img.layer)}`)
      await until(async () => upstream.count(new RegExp(`GET /v2/slow/app/blobs/${sha256(img.layer)}`)) === 1)
      const second = await v2(berth, `narrow/slow/app/blobs/${sha256(img.config)}`)
      assert.equal(second.statusCode, 429, second.body)
      release()
      assert.equal(sha256(await first), sha256(img.layer))
      assert.equal((await v2(berth, `narrow/slow/app/blobs/${sha256(img.config)}`)).statusCode, 200)
    })

    it('lets members and robots with pull rights pull from a private proxy project, and nobody else', async () => {
      const img = image(10)
      upstream.serve('private/app', 'v1', img)
      await proxyProject(berth, 'closed', { public: 'false' })
      const project = (await api(berth, 'GET', '/projects/closed')).json
      const users: [string, number][] = [['padm', 1], ['maint', 4], ['dev', 2], ['guest', 3], ['lguest', 5]]
      for (const [name, role] of users) {
        assert.equal((await api(berth, 'POST', '/users', { username: name, email: `${name}@example.com`, realname: name, password: `${name}-Passw0rd1` })).status, 201)
        assert.equal((await api(berth, 'POST', `/projects/${project.project_id}/members`, { role_id: role, member_user: { username: name } })).status, 201)
      }
      assert.equal((await api(berth, 'POST', '/users', { username: 'stranger', email: 's@example.com', realname: 's', password: 'Stranger-Passw0rd1' })).status, 201)
      const robot = async (access: { resource: string; action: string }[]) => {
        const r = await api(berth, 'POST', '/robots', { name: `r${randomBytes(3).toString('hex')}`, level: 'project', duration: -1, permissions: [{ kind: 'project', namespace: 'closed', access }] })
        assert.equal(r.status, 201, JSON.stringify(r.json))
        return basicAuth(r.json.name, r.json.secret)
      }
      const puller = await robot([{ resource: 'repository', action: 'pull' }])
      const other = await robot([{ resource: 'artifact', action: 'read' }])
      const expected: [string, string, number][] = [
        ['admin', ADMIN_AUTH, 200],
        ...users.map(([n]) => [n, basicAuth(n, `${n}-Passw0rd1`), 200] as [string, string, number]),
        ['robot with pull', puller, 200],
        ['robot without pull', other, 403],
        ['stranger', basicAuth('stranger', 'Stranger-Passw0rd1'), 403],
        ['anonymous', '', 401],
      ]
      for (const [who, auth, status] of expected) {
        const res = await v2(berth, 'closed/private/app/manifests/v1', auth)
        assert.equal(res.statusCode, status, `${who}: ${res.body.slice(0, 200)}`)
      }
      // Even its Project Admin may not push into it.
      const push = await berth.app.inject({ method: 'POST', url: '/v2/closed/private/app/blobs/uploads/', headers: { authorization: basicAuth('padm', 'padm-Passw0rd1') } })
      assert.equal(push.statusCode, 403)
      assert.equal(push.json().errors[0].code, 'DENIED')
    })

    it('expires cached artifacts not pulled for 7 days with the default retention policy, giving their quota back', async () => {
      const old = image(2000)
      const fresh = image(3000)
      upstream.serve('aging/old', 'v1', old)
      upstream.serve('aging/fresh', 'v1', fresh)
      await proxyProject(berth, 'aging')
      for (const repo of ['old', 'fresh']) assert.equal((await v2(berth, `aging/aging/${repo}/manifests/v1`)).statusCode, 200)
      const k = berth.db.kysely
      const setPulled = async (repo: string, daysAgo: number) => {
        const at = new Date(Date.now() - daysAgo * 86_400_000).toISOString()
        const r = await k.selectFrom('repositories').select('id').where('name', '=', repo).executeTakeFirstOrThrow()
        await k.updateTable('artifacts').set({ created_at: at, pull_time: at }).where('repository_id', '=', r.id).execute()
      }
      await setPulled('aging/aging/old', 10)
      await setPulled('aging/aging/fresh', 1)
      const project = (await api(berth, 'GET', '/projects/aging')).json
      const quotaOf = async () => (await api(berth, 'GET', `/quotas?reference_id=${project.project_id}`)).json[0].used.storage as number
      const before = await quotaOf()
      assert.equal(before, old.manifest.length + old.config.length + old.layer.length + fresh.manifest.length + fresh.config.length + fresh.layer.length, 'the quota counts cached content by its declared sizes')
      const retentionId = Number(project.metadata.retention_id)
      const run = await api(berth, 'POST', `/retentions/${retentionId}/executions`, { dry_run: false })
      assert.equal(run.status, 201, JSON.stringify(run.json))
      await until(async () => (await api(berth, 'GET', `/retentions/${retentionId}/executions`)).json.every((e: any) => e.status !== 'Running' && e.status !== 'Pending'))
      assert.equal(await berth.stores.artifacts.getByDigest('aging/aging/old', old.digest), null, 'not pulled for 10 days: expired')
      assert.notEqual(await berth.stores.artifacts.getByDigest('aging/aging/fresh', fresh.digest), null, 'pulled yesterday: kept')
      assert.equal(await quotaOf(), fresh.manifest.length + fresh.config.length + fresh.layer.length)
    })

    it('refuses a registry_id whose registry the outbound guard forbids', async () => {
      const closed = await createTestBerth(dialect, { jobs: { workers: 0 }, replication: { outbound_deny: '127.0.0.0/8,::1/128' } })
      try {
        // Stored directly: the registry API refuses such a URL already.
        const id = await closed.stores.registries.create({ name: 'loop', type: 'docker-registry', url: upstream.url, description: '', credentialType: 'basic', accessKey: '', sealedSecret: '', insecure: false })
        const r = await api(closed, 'POST', '/projects', { project_name: 'loop', registry_id: id })
        assert.equal(r.status, 400, JSON.stringify(r.json))
        assert.match(r.json.errors[0].message, /cannot be proxied/)
        assert.equal((await api(closed, 'GET', '/projects/loop')).status, 404)
      } finally {
        await closed.destroy()
      }
    })

    for (const shared of ['database', 'redis'] as const) {
      it(`fetches a blob two nodes sharing a database and storage pull at once only once, and counts max_upstream_conn across them (locks in ${shared})`, { skip: shared === 'redis' ? redisSkipped : false }, async () => {
        const database: TestDatabase = await createTestDatabase(dialect)
        const storage = await mkdtemp(join(tmpdir(), 'berth-proxy-storage-'))
        const nodes: (Berth & { dir: string })[] = []
        try {
          const redis = shared === 'redis' ? { url: REDIS_URL, prefix: testPrefix() } : undefined
          nodes.push(await inProcessNode(database.url, storage, redis), await inProcessNode(database.url, storage, redis))
          const [a, b] = [nodes[0]!, nodes[1]!]
          const img = image(512 * 1024)
          let release!: () => void
          const held = new Promise<void>((r) => (release = r))
          const layer = sha256(img.layer)
          upstream.on((req, res) => {
            if (req.url !== `/v2/${shared}/app/blobs/${layer}` || req.method !== 'GET') return false
            res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(img.layer.length) })
            void held.then(() => res.end(img.layer))
            return true
          })
          upstream.serve(`${shared}/app`, 'v1', img)
          const reg = await api(a, 'POST', '/registries', { name: 'fake', type: 'docker-registry', url: upstream.url })
          await proxyProject(a, 'both', { max_upstream_conn: '1' }, Number(/\/(\d+)$/.exec(reg.location!)![1]))
          assert.equal((await v2(a, `both/${shared}/app/manifests/v1`)).statusCode, 200)
          const pulls = [fetchThrough(a, `both/${shared}/app/blobs/${layer}`), fetchThrough(b, `both/${shared}/app/blobs/${layer}`)]
          await until(async () => upstream.count(new RegExp(`GET /v2/${shared}/app/blobs/${layer}`)) === 1)
          // max_upstream_conn counts across the nodes: both nodes are refused a second transfer.
          for (const node of [a, b]) assert.equal((await v2(node, `both/${shared}/app/blobs/${sha256(img.config)}`)).statusCode, 429)
          release()
          for (const body of await Promise.all(pulls)) assert.equal(sha256(body), layer)
          assert.equal(upstream.count(new RegExp(`GET /v2/${shared}/app/blobs/${layer}`)), 1)
          assert.equal((await v2(b, `both/${shared}/app/blobs/${sha256(img.config)}`)).statusCode, 200, 'the connection is free again')
        } finally {
          for (const n of nodes) {
            await n.close()
            await rm(n.dir, { recursive: true, force: true })
          }
          await database.drop()
          await rm(storage, { recursive: true, force: true })
        }
      })
    }
  })
}

/** A blob GET's body as far as it came (a body the server cut off ends early, not with an error). */
async function fetchThrough(b: Berth, path: string): Promise<Buffer> {
  const res = await b.app.inject({ method: 'GET', url: `/v2/${path}`, headers: { authorization: ADMIN_AUTH } }).catch(() => null)
  return res === null ? Buffer.alloc(0) : res.rawPayload
}

async function until(fn: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((r) => setTimeout(r, 20))
  }
}
