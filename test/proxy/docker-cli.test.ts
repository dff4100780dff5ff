// The docker CLI as a client of Berth, with a daemon of the suite's own (test/support/docker-daemon.ts):
// `docker login`, a pull through a proxy-cache project whose upstream is the CNCF distribution
// registry with auth (counted by a loopback proxy: the second pull of the tag asks the upstream
// only for the tag), then `docker push` of that image into an ordinary project and a pull back
// after every local image was removed. One dialect: the database plays no part in what Docker does.
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { missingTools } from '../support/berth-process.js'
import { ADMIN_AUTH, createTestBerth, TEST_ADMIN_PASSWORD, type TestBerth } from '../support/berth-app.js'
import { startDistributionRegistry, type DistributionRegistry } from '../support/distribution-registry.js'
import { startCountingProxy, type CountingProxy } from '../support/counting-proxy.js'
import { startDockerDaemon, type DockerDaemon } from '../support/docker-daemon.js'
import { writeImage, type ImageFixture } from '../fixtures/oci-layout.js'
import { runCommand } from '../support/run-command.js'

const API = '/api/v2.0'
const UPSTREAM_USER = { username: 'up', password: 'up-Passw0rd' }

describe('the docker CLI through Berth', { timeout: 300_000, skip: missingTools(['dockerd', 'docker', 'skopeo', 'docker-registry']) }, () => {
  // Short: the daemon's unix socket path must stay under 108 bytes.
  const work = join(tmpdir().length <= 20 ? tmpdir() : '/tmp', `berth-dk-${randomBytes(4).toString('hex')}`)
  let registry: DistributionRegistry
  let upstream: CountingProxy
  let berth: TestBerth
  let daemon: DockerDaemon
  let host = ''
  let img: ImageFixture

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await berth.app.inject({ method: method as 'GET', url: `${API}${path}`, headers: { authorization: ADMIN_AUTH }, ...(body === undefined ? {} : { payload: body as object }) })
    return { status: res.statusCode, json: res.body === '' ? null : (JSON.parse(res.body) as any), location: res.headers.location as string | undefined }
  }
  const imageId = async (ref: string) => (await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', ref])).stdout.trim()

  before(async () => {
    mkdirSync(work)
    // The daemon takes seconds to start: it starts while the registries do.
    const starting = startDockerDaemon(join(work, 'd'))
    registry = await startDistributionRegistry({ auth: UPSTREAM_USER })
    upstream = await startCountingProxy(registry.url)
    berth = await createTestBerth('sqlite', { jobs: { workers: 0 }, proxy_cache: { upstream_timeout_seconds: 10 } })
    await berth.app.listen({ host: '127.0.0.1', port: 0 })
    host = `127.0.0.1:${(berth.app.server.address() as { port: number }).port}`
    const r = await api('POST', '/registries', { name: 'upstream', type: 'docker-registry', url: upstream.url, credential: { type: 'basic', access_key: UPSTREAM_USER.username, access_secret: UPSTREAM_USER.password } })
    assert.equal(r.status, 201, JSON.stringify(r.json))
    const p = await api('POST', '/projects', { project_name: 'hub', registry_id: Number(/\/(\d+)$/.exec(r.location!)![1]) })
    assert.equal(p.status, 201, JSON.stringify(p.json))
    const layout = join(work, 'layout')
    img = writeImage(layout, { seed: 'docker-cli', tag: 'v1' })
    await runCommand('skopeo', ['--insecure-policy', 'copy', '--dest-tls-verify=false', '--dest-creds', `${UPSTREAM_USER.username}:${UPSTREAM_USER.password}`, `oci:${layout}:v1`, `docker://${new URL(registry.url).host}/tools/cli:v1`], { timeoutMs: 90_000 })
    daemon = await starting
  })
  after(async () => {
    await daemon?.stop()
    await berth?.destroy()
    await upstream?.close()
    await registry?.destroy()
    rmSync(work, { recursive: true, force: true })
  })

  it('refuses a wrong password at docker login, and takes the right one', async () => {
    const wrong = await daemon.docker(['login', host, '-u', 'admin', '--password-stdin'], { allowFailure: true, input: Buffer.from('not-the-password\n') })
    assert.notEqual(wrong.code, 0)
    assert.match(wrong.stderr, /unauthorized|401/i)
    await daemon.docker(['login', host, '-u', 'admin', '--password-stdin'], { input: Buffer.from(`${TEST_ADMIN_PASSWORD}\n`) })
  })

  it('pulls through the proxy-cache project: fetched from the upstream once, then served from the cache', async () => {
    upstream.reset()
    await daemon.docker(['pull', '-q', `${host}/hub/tools/cli:v1`])
    assert.equal(await imageId(`${host}/hub/tools/cli:v1`), img.config.digest, 'docker built the image from the config upstream has')
    assert.equal(upstream.count(/^GET \/v2\/tools\/cli\/blobs\//), img.blobs.length, 'each blob fetched once')
    await daemon.docker(['rmi', `${host}/hub/tools/cli:v1`])
    upstream.reset()
    await daemon.docker(['pull', '-q', `${host}/hub/tools/cli:v1`])
    assert.equal(await imageId(`${host}/hub/tools/cli:v1`), img.config.digest)
    assert.equal(upstream.count(/\/blobs\//), 0, 'blobs came from the cache')
    assert.equal(upstream.count(/^GET \/v2\/tools\/cli\/manifests\//), 0, 'only the tag was checked, not fetched again')
    const artifacts = await api('GET', '/projects/hub/repositories/tools%252Fcli/artifacts?with_tag=true')
    assert.equal(artifacts.status, 200)
    assert.deepEqual(artifacts.json.map((a: { tags: { name: string }[] }) => a.tags.map((t) => t.name)), [['v1']])
  })

  it('pushes the image into an ordinary project and pulls it back after every local image is gone', async () => {
    const target = `${host}/library/cli:v1`
    await daemon.docker(['tag', `${host}/hub/tools/cli:v1`, target])
    await daemon.docker(['push', '-q', target])
    const artifact = await api('GET', '/projects/library/repositories/cli/artifacts/v1')
    assert.equal(artifact.status, 200, JSON.stringify(artifact.json))
    await daemon.docker(['rmi', '-f', target, `${host}/hub/tools/cli:v1`])
    assert.equal((await daemon.docker(['image', 'inspect', target], { allowFailure: true })).code === 0, false)
    await daemon.docker(['pull', '-q', target])
    assert.equal(await imageId(target), img.config.digest)
  })

  it('is refused a push into the proxy-cache project', async () => {
    await daemon.docker(['tag', `${host}/library/cli:v1`, `${host}/hub/tools/cli:v2`])
    const r = await daemon.docker(['push', '-q', `${host}/hub/tools/cli:v2`], { allowFailure: true })
    assert.notEqual(r.code, 0)
    assert.match(r.stderr, /denied|not allowed|proxy/i)
  })
})
