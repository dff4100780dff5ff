// Replication with a foreign peer: the CNCF distribution registry (Debian's docker-registry) as
// the target of a push policy (images, an index with its children, a deletion it can only do by
// digest) and as the source of a pull policy into a flattened namespace.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { missingTools, startBerth } from '../support/berth-process.js'
import { startDistributionRegistry, type DistributionRegistry } from '../support/distribution-registry.js'
import { randomImage, sha256 } from '../support/raw-images.js'
import { Readable } from 'node:stream'
import { RemoteRegistry } from '../../src/remote/remote-registry.js'
import { OutboundGuard } from '../../src/remote/outbound-guard.js'
import { FAST, Instance, push, until, type Json } from '../support/replication.js'
import { manifestAccept } from '../fixtures/oci-layout.js'

const KiB = 1024
const INDEX = 'application/vnd.oci.image.index.v1+json'

/** The digest the distribution registry serves for a reference, or null. */
async function digestAt(registry: DistributionRegistry, repo: string, ref: string): Promise<string | null> {
  const res = await fetch(`${registry.url}/v2/${repo}/manifests/${ref}`, { headers: { accept: manifestAccept } })
  const bytes = Buffer.from(await res.arrayBuffer())
  return res.status === 200 ? sha256(bytes) : null
}

describe('replication with the CNCF distribution registry', { timeout: 120_000, skip: missingTools(['docker-registry']) }, () => {
  let registry: DistributionRegistry
  let berth: Instance
  let registryId = 0

  before(async () => {
    registry = await startDistributionRegistry()
    berth = new Instance('berth', await startBerth({ env: FAST }))
    registryId = await berth.create('/registries', { name: 'distribution', type: 'docker-registry', url: registry.url })
  })
  after(async () => {
    await berth?.proc.stop()
    await registry?.destroy()
  })

  const run = async (policy: number): Promise<Json> => {
    const id = await berth.create('/replication/executions', { policy_id: policy })
    await until('the execution ends', async () => (await berth.api('GET', `/replication/executions/${id}`)).json.status !== 'InProgress')
    return (await berth.api('GET', `/replication/executions/${id}`)).json
  }

  it('pushes images and an index with its children to it, digests unchanged, and a deletion by digest', async () => {
    const policy = await berth.create('/replication/policies', {
      name: 'to-distribution',
      dest_registry: { id: registryId },
      trigger: { type: 'event_based' },
      filters: [{ type: 'name', value: 'library/{web,api}' }],
      replicate_deletion: true,
      enabled: true,
    })
    const web = randomImage('library/web', 'v1', [200 * KiB])
    const api = randomImage('library/api', 'v1', [100 * KiB])
    const other = randomImage('library/other', 'v1', [10 * KiB])
    for (const img of [web, api, other]) await push(berth, img)
    await until('web and api on the registry', async () => (await digestAt(registry, 'library/web', 'v1')) === web.manifestDigest && (await digestAt(registry, 'library/api', 'v1')) === api.manifestDigest)
    assert.equal(await digestAt(registry, 'library/other', 'v1'), null, 'the name filter keeps library/other home')

    // An index over two images pushed by digest: the children travel first.
    const amd = randomImage('library/web', 'amd', [20 * KiB])
    const arm = randomImage('library/web', 'arm', [21 * KiB])
    for (const img of [amd, arm]) await push(berth, img)
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX, manifests: [amd, arm].map((i) => ({ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: i.manifestDigest, size: i.manifest.length })) }))
    const put = await fetch(`${berth.url}/v2/library/web/manifests/multi`, { method: 'PUT', headers: { authorization: berth.proc.authorization, 'content-type': INDEX }, body: index })
    assert.equal(put.status, 201)
    await until('the index on the registry', async () => (await digestAt(registry, 'library/web', 'multi')) === sha256(index))
    assert.equal(await digestAt(registry, 'library/web', amd.manifestDigest), amd.manifestDigest)

    // The registry cannot delete a tag: the manifest goes instead (its only tag was this one).
    const del = await fetch(`${berth.url}/v2/library/api/manifests/v1`, { method: 'DELETE', headers: { authorization: berth.proc.authorization } })
    assert.equal(del.status, 202)
    await until('api gone from the registry', async () => (await digestAt(registry, 'library/api', api.manifestDigest)) === null)
    const executions = (await berth.api('GET', `/replication/executions?policy_id=${policy}`)).json as Json[]
    assert.ok(executions.every((e) => e.status !== 'Failed'), JSON.stringify(executions))
  })

  it('pulls from it into a flattened namespace, creating the project', async () => {
    const img = randomImage('team/tools/cli', 'v3', [50 * KiB])
    // Pushed with the client replication uses (the registry takes no monolithic POST).
    const client = new RemoteRegistry({ url: registry.url, guard: new OutboundGuard({ allow: [], deny: [] }) })
    for (const b of img.blobs) await client.pushBlob(img.repo, b.digest, b.bytes.length, async () => Readable.from([b.bytes]))
    await client.putManifest(img.repo, img.tag, { digest: img.manifestDigest, mediaType: 'application/vnd.oci.image.manifest.v1+json', body: img.manifest })
    /** A manual pull policy from the distribution registry into `namespace`. */
    const pull = (name: string, namespace: string, replaceCount: number, filters: Json[]) =>
      berth.create('/replication/policies', { name, src_registry: { id: registryId }, dest_registry: null, dest_namespace: namespace, dest_namespace_replace_count: replaceCount, trigger: { type: 'manual' }, filters, enabled: true })
    const policy = await pull('from-distribution', 'mirror', 2, [{ type: 'name', value: 'team/**' }, { type: 'tag', value: 'v*' }])
    const e = await run(policy)
    assert.deepEqual([e.status, e.total, e.succeed], ['Succeed', 1, 1], JSON.stringify(e))
    assert.equal(await berth.digestOf('mirror/cli', 'v3'), img.manifestDigest)
    const project = await berth.api('GET', '/projects/mirror')
    assert.equal(project.status, 200)
    // Run again: nothing to do, nothing changes.
    const again = await run(policy)
    assert.deepEqual([again.status, again.succeed], ['Succeed', 1])
    const tasks = (await berth.api('GET', `/replication/executions/${again.id}/tasks`)).json as Json[]
    const log = (await berth.api('GET', `/replication/executions/${again.id}/tasks/${tasks[0].id}/log`)).json as string
    assert.match(log, /already sha256:/)

    // Named outright, a repository needs no catalog listing (Docker Hub has none).
    const named = await pull('from-distribution-named', 'named', 1, [{ type: 'name', value: 'team/tools/cli' }])
    assert.deepEqual([(await run(named)).status, await berth.digestOf('named/tools/cli', 'v3')], ['Succeed', img.manifestDigest])
  })
})
