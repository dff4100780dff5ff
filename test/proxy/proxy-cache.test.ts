// Proxy-cache projects against a real upstream: the CNCF distribution registry with htpasswd
// auth, behind a counting loopback proxy (how many requests reach the upstream, and an upstream
// that goes down). First pulls fetch and store, later pulls are served from the cache, a moved
// tag is fetched anew, a blob pulled by many at once is fetched once, and pushes are refused.
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { missingTools } from '../support/berth-process.js'
import { ADMIN_AUTH, basicAuth, createTestBerth, TEST_ADMIN_PASSWORD, type TestBerth } from '../support/berth-app.js'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { startDistributionRegistry, type DistributionRegistry } from '../support/distribution-registry.js'
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.js'
import { randomImage, sha256, type RawImage } from '../support/raw-images.js'
import { RemoteRegistry } from '../../src/remote/remote-registry.js'
import { OutboundGuard } from '../../src/remote/outbound-guard.js'
import { manifestAccept, readLayoutBlob, writeImage } from '../fixtures/oci-layout.js'
import { isolatedPodman } from '../support/podman.js'
import { runCommand } from '../support/run-command.js'
import { mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

const KiB = 1024
const API = '/api/v2.0'
const UPSTREAM_USER = { username: 'up', password: 'up-Passw0rd' }
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

/** Pushes an image to the upstream with the remote client (the registry takes no monolithic POST). */
async function pushUpstream(url: string, img: RawImage): Promise<void> {
  const client = new RemoteRegistry({ url, ...UPSTREAM_USER, guard: new OutboundGuard({ allow: [], deny: [] }) })
  for (const b of img.blobs) await client.pushBlob(img.repo, b.digest, b.bytes.length, async () => Readable.from([b.bytes]))
  await client.putManifest(img.repo, img.tag, { digest: img.manifestDigest, mediaType: OCI_MANIFEST, body: img.manifest })
}

for (const dialect of DIALECTS) {
  describe(`proxy-cache projects (${dialect})`, { timeout: 180_000, ...(await dialectSkip(dialect)), skip: (await dialectSkip(dialect)).skip ?? missingTools(['docker-registry']) }, () => {
    let registry: DistributionRegistry
    let upstream: CountingProxy
    let berth: TestBerth
    let base = ''
    let registryId = 0
    let projectId = 0

    const api = async (method: string, path: string, body?: unknown, authorization = ADMIN_AUTH) => {
      const res = await berth.app.inject({ method: method as 'GET', url: `${API}${path}`, headers: { authorization }, ...(body === undefined ? {} : { payload: body as object }) })
      return { status: res.statusCode, json: res.body === '' ? null : (JSON.parse(res.body) as any), location: res.headers.location as string | undefined }
    }
    const v2 = (path: string, init: RequestInit = {}) => fetch(`${base}/v2/${path}`, { ...init, headers: { authorization: ADMIN_AUTH, accept: manifestAccept, ...(init.headers ?? {}) } })
    const upstreamGets = (what: 'manifests' | 'blobs', repo: string) => upstream.count(new RegExp(`^GET /v2/${repo}/${what}/`))

    before(async () => {
      registry = await startDistributionRegistry({ auth: UPSTREAM_USER })
      upstream = await startCountingProxy(registry.url)
      berth = await createTestBerth(dialect, { jobs: { workers: 0 }, proxy_cache: { upstream_timeout_seconds: 5, fetch_wait_seconds: 60 } })
      await berth.app.listen({ host: '127.0.0.1', port: 0 })
      const address = berth.app.server.address() as { port: number }
      base = `http://127.0.0.1:${address.port}`
      const r = await api('POST', '/registries', { name: 'upstream', type: 'docker-registry', url: upstream.url, credential: { type: 'basic', access_key: UPSTREAM_USER.username, access_secret: UPSTREAM_USER.password } })
      assert.equal(r.status, 201, JSON.stringify(r.json))
      registryId = Number(/\/(\d+)$/.exec(r.location!)![1])
      const p = await api('POST', '/projects', { project_name: 'hub', registry_id: registryId, metadata: { public: 'true' } })
      assert.equal(p.status, 201, JSON.stringify(p.json))
      projectId = Number(/\/(\d+)$/.exec(p.location!)![1])
    })
    after(async () => {
      await berth?.destroy()
      await upstream?.close()
      await registry?.destroy()
    })

    it('creates the project with registry_id and Harbor\'s default retention policy (not pulled for 7 days)', async () => {
      const p = await api('GET', `/projects/${projectId}`)
      assert.equal(p.json.registry_id, registryId)
      const retentionId = Number(p.json.metadata.retention_id)
      assert.ok(retentionId > 0, JSON.stringify(p.json.metadata))
      const policy = await api('GET', `/retentions/${retentionId}`)
      assert.equal(policy.status, 200)
      assert.equal(policy.json.rules[0].template, 'nDaysSinceLastPull')
      assert.equal(policy.json.rules[0].params.nDaysSinceLastPull, 7)
      const list = await api('GET', '/projects?name=hub')
      assert.equal(list.json.find((x: any) => x.name === 'hub').registry_id, registryId)
      const ordinary = await api('GET', '/projects/library')
      assert.equal(ordinary.json.registry_id, undefined)
      // registry_id cannot be changed: PUT ignores it, as Harbor does.
      assert.equal((await api('PUT', `/projects/${projectId}`, { registry_id: 999, metadata: {} })).status, 200)
      assert.equal((await api('GET', `/projects/${projectId}`)).json.registry_id, registryId)
    })

    it('refuses a registry_id from a non-admin, of a missing registry, or not positive', async () => {
      assert.equal((await api('POST', '/users', { username: 'dev', email: 'dev@example.com', realname: 'Dev', password: 'Dev-Passw0rd1' })).status, 201)
      const dev = basicAuth('dev', 'Dev-Passw0rd1')
      const denied = await api('POST', '/projects', { project_name: 'mine', registry_id: registryId }, dev)
      assert.equal(denied.status, 403)
      assert.match(denied.json.errors[0].message, /Only system admin can create proxy cache project/)
      assert.equal((await api('POST', '/projects', { project_name: 'mine' }, dev)).status, 201, 'an ordinary project is fine')
      const missing = await api('POST', '/projects', { project_name: 'ghost', registry_id: 4242 })
      assert.equal(missing.status, 404)
      assert.match(missing.json.errors[0].message, /registry 4242 not found/)
      assert.equal((await api('POST', '/projects', { project_name: 'zero', registry_id: 0 })).status, 400)
      for (const name of ['ghost', 'zero']) assert.equal((await api('GET', `/projects/${name}`)).status, 404, `${name} was not created`)
    })

    it('fetches a missing tag and its blobs from the upstream on the first pull, then serves them from the cache', async () => {
      const img = randomImage('team/app', 'v1', [300 * KiB, 40 * KiB])
      await pushUpstream(registry.url, img)
      upstream.reset()
      const m = await v2('hub/team/app/manifests/v1')
      assert.equal(m.status, 200, await m.clone().text())
      assert.equal(m.headers.get('docker-content-digest'), img.manifestDigest)
      assert.ok(Buffer.from(await m.arrayBuffer()).equals(img.manifest))
      for (const b of img.blobs) {
        const res = await v2(`hub/team/app/blobs/${b.digest}`)
        assert.equal(res.status, 200)
        assert.equal(sha256(Buffer.from(await res.arrayBuffer())), b.digest)
      }
      assert.equal(upstreamGets('blobs', 'team/app'), img.blobs.length)
      // A pull through the cache is audited as a pull.
      await berth.audit.flush()
      const logs = await api('GET', '/projects/hub/logs?page_size=100')
      assert.ok(logs.json.some((l: any) => l.operation === 'pull' && l.resource === 'hub/team/app:v1'), JSON.stringify(logs.json))
      // The cache now holds it all: blobs and the digest come without the upstream, a tag with one HEAD.
      upstream.reset()
      for (const b of img.blobs) assert.equal(sha256(Buffer.from(await (await v2(`hub/team/app/blobs/${b.digest}`)).arrayBuffer())), b.digest)
      assert.equal((await v2(`hub/team/app/manifests/${img.manifestDigest}`)).status, 200)
      assert.equal(upstream.count(/./), 0, 'by digest and blobs: no upstream request')
      assert.equal((await v2('hub/team/app/manifests/v1')).status, 200)
      assert.equal(upstreamGets('manifests', 'team/app'), 0, 'a cached tag is only checked (HEAD)')
      // Ordinary content of the project: listed by the API, counted by the quota.
      const artifacts = await api('GET', '/projects/hub/repositories/team%252Fapp/artifacts')
      assert.equal(artifacts.status, 200)
      assert.equal(artifacts.json[0].digest, img.manifestDigest)
      const quota = await api('GET', `/quotas?reference_id=${projectId}`)
      const used = quota.json[0].used.storage
      assert.equal(used, img.manifest.length + img.blobs.reduce((n, b) => n + b.bytes.length, 0))
    })

    it('serves the new digest when the upstream tag moved', async () => {
      const first = randomImage('team/moving', 'latest', [10 * KiB])
      await pushUpstream(registry.url, first)
      assert.equal((await v2('hub/team/moving/manifests/latest')).headers.get('docker-content-digest'), first.manifestDigest)
      const second = randomImage('team/moving', 'latest', [11 * KiB])
      await pushUpstream(registry.url, second)
      const res = await v2('hub/team/moving/manifests/latest')
      assert.equal(res.headers.get('docker-content-digest'), second.manifestDigest)
      // The first stays cached by digest.
      assert.equal((await v2(`hub/team/moving/manifests/${first.manifestDigest}`)).status, 200)
    })

    it('fetches a blob pulled by many at once only once', async () => {
      const img = randomImage('team/busy', 'v1', [2048 * KiB])
      await pushUpstream(registry.url, img)
      assert.equal((await v2('hub/team/busy/manifests/v1')).status, 200)
      upstream.reset()
      const layer = img.blobs[1]!
      const bodies = await Promise.all(Array.from({ length: 8 }, async () => Buffer.from(await (await v2(`hub/team/busy/blobs/${layer.digest}`)).arrayBuffer())))
      for (const b of bodies) assert.equal(sha256(b), layer.digest)
      assert.equal(upstreamGets('blobs', 'team/busy'), 1)
    })

    it('serves a cached tag while the upstream is down, and answers a clean 404 for what it never cached', async () => {
      const img = randomImage('team/steady', 'v1', [5 * KiB])
      await pushUpstream(registry.url, img)
      assert.equal((await v2('hub/team/steady/manifests/v1')).status, 200)
      await upstream.down()
      try {
        const cached = await v2('hub/team/steady/manifests/v1')
        assert.equal(cached.status, 200)
        assert.equal(cached.headers.get('docker-content-digest'), img.manifestDigest)
        const unknown = await v2('hub/team/steady/manifests/v2')
        assert.equal(unknown.status, 404)
        assert.equal(((await unknown.json()) as any).errors[0].code, 'MANIFEST_UNKNOWN')
        const blob = await v2(`hub/team/other/blobs/${sha256(Buffer.from('never'))}`)
        assert.equal(blob.status, 404)
      } finally {
        await upstream.up()
      }
    })

    it('while read-only: serves what is cached without asking the upstream, fetches nothing new (404 saying why); off again, fetches', async () => {
      const cachedImg = randomImage('team/frozen', 'v1', [6 * KiB])
      await pushUpstream(registry.url, cachedImg)
      assert.equal((await v2('hub/team/frozen/manifests/v1')).status, 200)
      for (const b of cachedImg.blobs) assert.equal((await v2(`hub/team/frozen/blobs/${b.digest}`)).status, 200)
      const fresh = randomImage('team/frozen', 'v2', [7 * KiB])
      await pushUpstream(registry.url, fresh)
      assert.equal((await api('PUT', '/configurations', { read_only: true })).status, 200)
      try {
        upstream.reset()
        const cached = await v2('hub/team/frozen/manifests/v1')
        assert.equal(cached.status, 200)
        assert.equal(cached.headers.get('docker-content-digest'), cachedImg.manifestDigest)
        for (const b of cachedImg.blobs) assert.equal((await v2(`hub/team/frozen/blobs/${b.digest}`)).status, 200)
        const notCached = await v2('hub/team/frozen/manifests/v2')
        assert.equal(notCached.status, 404)
        const body = (await notCached.json()) as any
        assert.equal(body.errors[0].code, 'MANIFEST_UNKNOWN')
        assert.match(body.errors[0].message, /read-only/)
        assert.equal((await v2(`hub/team/frozen/manifests/${fresh.manifestDigest}`)).status, 404)
        assert.equal((await v2(`hub/team/frozen/blobs/${fresh.blobs[1]!.digest}`)).status, 404)
        assert.equal(upstream.count(/./), 0, 'the upstream is not asked while read-only')
      } finally {
        assert.equal((await api('PUT', '/configurations', { read_only: false })).status, 200)
      }
      const now = await v2('hub/team/frozen/manifests/v2')
      assert.equal(now.status, 200)
      assert.equal(now.headers.get('docker-content-digest'), fresh.manifestDigest)
    })

    it('refuses pushes and deletes through /v2/ with Harbor\'s DENIED', async () => {
      const post = await v2('hub/team/app/blobs/uploads/', { method: 'POST' })
      assert.equal(post.status, 403)
      const body = (await post.json()) as any
      assert.equal(body.errors[0].code, 'DENIED')
      assert.match(body.errors[0].message, /can not push artifact to a proxy project: hub/)
      const put = await v2('hub/team/app/manifests/v9', { method: 'PUT', headers: { 'content-type': OCI_MANIFEST }, body: '{}' })
      assert.equal(put.status, 403)
      assert.equal((await v2('hub/team/app/manifests/v1', { method: 'DELETE' })).status, 403)
    })

    it('lets anonymous callers pull from a public proxy project, and not push', async () => {
      const img = randomImage('team/open', 'v1', [3 * KiB])
      await pushUpstream(registry.url, img)
      const res = await fetch(`${base}/v2/hub/team/open/manifests/v1`, { headers: { accept: manifestAccept } })
      assert.equal(res.status, 200)
      const push = await fetch(`${base}/v2/hub/team/open/blobs/uploads/`, { method: 'POST' })
      assert.equal(push.status, 401)
    })

    it('refuses hostile repository names without asking the upstream', async () => {
      upstream.reset()
      for (const path of ['hub/UPPER/manifests/v1', 'hub/-dash/manifests/v1', 'hub/a%2F..%2Fb/manifests/v1', 'hub/a..b/manifests/v1', `hub/${'x'.repeat(300)}/manifests/v1`, 'hub/ok/manifests/bad%20tag']) {
        const res = await v2(path)
        assert.ok(res.status === 400 || res.status === 404, `${path}: ${res.status}`)
        await res.arrayBuffer()
      }
      assert.equal(upstream.count(/./), 0)
    })

    it('skopeo copies through the cache to an OCI layout, and podman pulls through it', { skip: missingTools(['skopeo', 'podman']) }, async () => {
      // Short and lower case: podman refuses a long --runroot.
      const work = join(tmpdir().length <= 20 ? tmpdir() : '/tmp', `berth-px-${randomBytes(4).toString('hex')}`)
      mkdirSync(work)
      try {
        const layout = join(work, 'layout')
        const img = writeImage(layout, { seed: `proxy-${dialect}`, tag: 'v1' })
        const skopeo = (args: string[]) => runCommand('skopeo', ['--insecure-policy', '--command-timeout', '60s', ...args], { timeoutMs: 90_000 })
        await skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', `${UPSTREAM_USER.username}:${UPSTREAM_USER.password}`, `oci:${layout}:v1`, `docker://${new URL(registry.url).host}/tools/cli:v1`])
        const host = new URL(base).host
        upstream.reset()
        const out = join(work, 'out')
        await skopeo(['copy', '--src-tls-verify=false', '--src-creds', `admin:${TEST_ADMIN_PASSWORD}`, `docker://${host}/hub/tools/cli:v1`, `oci:${out}:v1`])
        for (const d of [img.manifest, ...img.blobs]) assert.ok(readLayoutBlob(out, d.digest).equals(readLayoutBlob(layout, d.digest)), `${d.digest} came through unchanged`)
        assert.equal(upstreamGets('blobs', 'tools/cli'), img.blobs.length)
        // Podman pulls the same through the cache: only the tag is checked upstream.
        upstream.reset()
        const podman = isolatedPodman(join(work, 'p'))
        await podman.run(['pull', '-q', '--tls-verify=false', '--creds', `admin:${TEST_ADMIN_PASSWORD}`, '--signature-policy', podman.policy, `${host}/hub/tools/cli:v1`])
        const inspected = JSON.parse((await podman.run(['image', 'inspect', `${host}/hub/tools/cli:v1`])).stdout) as { Id: string }[]
        assert.equal(`sha256:${inspected[0]!.Id}`, img.config.digest)
        assert.equal(upstreamGets('blobs', 'tools/cli') + upstreamGets('manifests', 'tools/cli'), 0, 'served from the cache')
        await podman.run(['rmi', '--all', '--force'])
      } finally {
        rmSync(work, { recursive: true, force: true })
      }
    })

    it('refuses deleting a registry a proxy project caches (412)', async () => {
      const r = await api('DELETE', `/registries/${registryId}`)
      assert.equal(r.status, 412)
      assert.match(r.json.errors[0].message, /proxy cache projects hub/)
    })
  })
}
