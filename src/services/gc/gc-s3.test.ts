// Garbage collection on the S3 driver (s3rver): the run deletes the garbage's objects from the
// bucket in DeleteObjects batches and leaves every object a manifest still uses.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { ADMIN_AUTH, createTestBerth, type TestBerth } from '../../../test/support/berth-app.js'
import { startS3, type FakeS3 } from '../../../test/support/s3-server.js'
import { waitUntil } from '../../../test/support/until.js'
import { bytesOf, pushBlob, pushImage, withAuthorization, type App } from '../../http/oci/oci-test-support.js'
import { blobPath } from '../../storage/layout.js'
import type { Digest } from '../../oci/digest.js'

describe('garbage collection on the S3 driver', { timeout: 120_000 }, () => {
  let s3: FakeS3
  let berth: TestBerth
  let v2: App
  const PREFIX = 'gc-test'

  const keys = async (): Promise<Set<string>> => {
    const client = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } })
    const out = new Set<string>()
    let token: string | undefined
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${PREFIX}/blobs/`, ContinuationToken: token }))
      for (const o of page.Contents ?? []) out.add(o.Key!.slice(PREFIX.length + 1))
      token = page.NextContinuationToken
    } while (token !== undefined)
    client.destroy()
    return out
  }

  before(async () => {
    s3 = await startS3()
    berth = await createTestBerth('sqlite', {
      storage: { driver: 's3' },
      s3: { endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, prefix: PREFIX, access_key: s3.accessKey, secret_key: s3.secretKey, force_path_style: true },
      jobs: { workers: 2 },
    })
    v2 = withAuthorization(berth.app, ADMIN_AUTH)
  })
  after(async () => {
    await berth?.destroy()
    await s3?.stop()
  })

  it('frees the objects of unreferenced blobs and keeps the rest', async () => {
    const kept = await pushImage(v2, 'library/s3gc', 'keep', 's3-keep')
    const gone = await pushImage(v2, 'library/s3gc', 'gone', 's3-gone')
    assert.equal((await v2.inject({ method: 'DELETE', url: `/v2/library/s3gc/manifests/${gone.digest}` })).statusCode, 202)
    const orphans: string[] = []
    for (let i = 0; i < 25; i++) orphans.push(await pushBlob(v2, 'library/s3gc', bytesOf(`s3-orphan-${i}`, 100)))
    const old = new Date(Date.now() - 3 * 3_600_000).toISOString()
    await berth.db.kysely.updateTable('blobs').set({ created_at: old, touched_at: old }).execute()
    await berth.db.kysely.updateTable('repository_blobs').set({ created_at: old }).execute()

    const garbage = [gone.digest, gone.config.digest, gone.layers[0]!.digest, ...orphans].map((d) => blobPath(d as Digest))
    const live = [kept.digest, kept.config.digest, kept.layers[0]!.digest].map((d) => blobPath(d as Digest))
    const before = await keys()
    for (const k of [...garbage, ...live]) assert.ok(before.has(k), `${k} is in the bucket before`)

    const res = await v2.inject({ method: 'POST', url: '/api/v2.0/system/gc/schedule', payload: { schedule: { type: 'Manual' }, parameters: { workers: 2 } } })
    assert.equal(res.statusCode, 201, res.body)
    const id = res.headers.location!.split('/').pop()
    await waitUntil('gc ends', async () => !['Running', 'Pending'].includes((await v2.inject({ method: 'GET', url: `/api/v2.0/system/gc/${id}` })).json().job_status), { timeoutMs: 30_000, everyMs: 25 })
    const run = (await v2.inject({ method: 'GET', url: `/api/v2.0/system/gc/${id}` })).json()
    assert.equal(run.job_status, 'Success')
    assert.equal(JSON.parse(run.job_parameters).purged_blobs, garbage.length)

    const after = await keys()
    for (const k of garbage) assert.equal(after.has(k), false, `${k} deleted from the bucket`)
    for (const k of live) assert.ok(after.has(k), `${k} kept`)
    assert.equal((await v2.inject({ method: 'GET', url: `/v2/library/s3gc/blobs/${kept.layers[0]!.digest}` })).statusCode, 200)
  })
})
