// Proxy-cache hits and misses as metrics, against a real upstream (the CNCF distribution
// registry): the first pull of a tag and its blob is a miss, the next ones are hits.
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { after, before, describe, it } from 'node:test'
import { missingTools } from '../support/berth-process.js'
import { ADMIN_AUTH, createTestBerth, type TestBerth } from '../support/berth-app.js'
import { DIALECTS, dialectSkip } from '../support/databases.js'
import { startDistributionRegistry, type DistributionRegistry } from '../support/distribution-registry.js'
import { randomImage } from '../support/raw-images.js'
import { scrape } from '../support/prometheus.js'
import { RemoteRegistry } from '../../src/remote/remote-registry.js'
import { OutboundGuard } from '../../src/remote/outbound-guard.js'

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

for (const dialect of DIALECTS) {
  const skip = (await dialectSkip(dialect)).skip ?? missingTools(['docker-registry'])
  describe(`proxy-cache metrics (${dialect})`, { timeout: 120_000, skip }, () => {
    let registry: DistributionRegistry
    let berth: TestBerth
    let url = ''

    before(async () => {
      registry = await startDistributionRegistry()
      berth = await createTestBerth(dialect, { jobs: { workers: 0 }, metrics: { enabled: true, port: 0, path: '/metrics', cache_seconds: 30 } })
      url = `http://127.0.0.1:${berth.metricsListener!.port}/metrics`
      const r = await berth.app.inject({ method: 'POST', url: '/api/v2.0/registries', headers: { authorization: ADMIN_AUTH }, payload: { name: 'upstream', type: 'docker-registry', url: registry.url } })
      assert.equal(r.statusCode, 201, r.body)
      const id = Number(/\/(\d+)$/.exec(r.headers.location as string)![1])
      const p = await berth.app.inject({ method: 'POST', url: '/api/v2.0/projects', headers: { authorization: ADMIN_AUTH }, payload: { project_name: 'hub', registry_id: id, metadata: { public: 'true' } } })
      assert.equal(p.statusCode, 201, p.body)
    })
    after(async () => {
      await berth?.destroy()
      await registry?.destroy()
    })

    it('counts the first pull of a manifest and a blob as misses and the next ones as hits', async () => {
      const img = randomImage('library/tiny', 'v1', [1024])
      const client = new RemoteRegistry({ url: registry.url, guard: new OutboundGuard({ allow: [], deny: [] }) })
      for (const b of img.blobs) await client.pushBlob(img.repo, b.digest, b.bytes.length, async () => Readable.from([b.bytes]))
      await client.putManifest(img.repo, img.tag, { digest: img.manifestDigest, mediaType: OCI_MANIFEST, body: img.manifest })
      const get = (path: string) => berth.app.inject({ method: 'GET', url: `/v2/hub/library/tiny/${path}`, headers: { authorization: ADMIN_AUTH, accept: OCI_MANIFEST } })
      const layer = img.blobs[img.blobs.length - 1]!.digest
      for (let i = 0; i < 3; i++) {
        assert.equal((await get('manifests/v1')).statusCode, 200)
        const blob = await get(`blobs/${layer}`)
        assert.equal(blob.statusCode, 200)
      }
      const m = await scrape(url)
      assert.equal(m.sum('berth_proxy_cache_requests_total', { kind: 'manifest', result: 'miss' }), 1)
      assert.equal(m.sum('berth_proxy_cache_requests_total', { kind: 'manifest', result: 'hit' }), 2)
      assert.equal(m.sum('berth_proxy_cache_requests_total', { kind: 'blob', result: 'miss' }), 1)
      assert.equal(m.sum('berth_proxy_cache_requests_total', { kind: 'blob', result: 'hit' }), 2)
    })
  })
}
