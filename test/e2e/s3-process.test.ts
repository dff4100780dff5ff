// A real Berth process on S3 storage (BERTH_STORAGE_DRIVER=s3, against the fake S3 of
// test/support/s3-server.ts): skopeo round trip, a chunked upload by raw HTTP, and the bytes in the bucket.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { layoutManifestFor, sha256Digest, writeImage } from '../fixtures/oci-layout.js'
import { missingTools, startBerth, withServerLogs, type BerthProcess } from '../support/berth-process.js'
import { runCommand } from '../support/run-command.js'
import { berthS3Env, driverFor, startS3, type FakeS3 } from '../support/s3-server.js'
import type { S3Driver } from '../../src/storage/drivers/s3.js'

const MiB = 1024 * 1024
const skip = missingTools(['skopeo'])

describe('a Berth process on S3 storage', { skip, timeout: 120_000 }, () => {
  let s3: FakeS3
  let server: BerthProcess | undefined
  let bucket: S3Driver
  let work: string
  before(async () => {
    s3 = await startS3()
    work = mkdtempSync(join(tmpdir(), 'berth-s3-e2e-'))
    server = await startBerth({
      env: berthS3Env(s3, { BERTH_S3_PREFIX: 'registry' }),
    })
    // What the server stored, seen through a driver of our own on the same bucket and prefix.
    bucket = driverFor(s3, { prefix: 'registry' })
  })
  after(async () => {
    await server?.stop()
    bucket?.destroy()
    await s3?.stop()
    rmSync(work, { recursive: true, force: true })
  })

  const blobsInBucket = async () => {
    const found = new Set<string>()
    for await (const p of bucket.list('blobs')) found.add(p)
    return found
  }

  it('pushes and pulls with skopeo; the blobs are objects in the bucket', withServerLogs(() => server, async () => {
    const src = join(work, 'src')
    const back = join(work, 'back')
    const img = writeImage(src, { seed: 's3-process', tag: 'v1' })
    const ref = `docker://${new URL(server!.url).host}/library/on-s3:v1`
    const flags = ['--insecure-policy', '--command-timeout', '60s']
    const creds = server!.creds
    await runCommand('skopeo', [...flags, 'copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${src}:v1`, ref], { timeoutMs: 90_000 })
    await runCommand('skopeo', [...flags, 'copy', '--src-tls-verify=false', '--src-creds', creds, ref, `oci:${back}:v1`], { timeoutMs: 90_000 })
    assert.equal(layoutManifestFor(back, 'v1')?.digest, img.manifest.digest)

    const stored = await blobsInBucket()
    for (const d of [img.manifest, ...img.blobs]) {
      const hex = d.digest.slice('sha256:'.length)
      assert.ok(stored.has(`blobs/sha256/${hex.slice(0, 2)}/${hex}`), `${d.digest} in the bucket`)
    }
    assert.equal(existsSync(join(server!.dataDir, 'storage', 'blobs')), false, 'nothing stored on the local disk')
    const uploads: string[] = []
    for await (const p of bucket.list('uploads')) uploads.push(p)
    assert.deepEqual(uploads, [], 'no upload left behind')
  }))

  it('takes a chunked upload (POST, two PATCHes, PUT) and serves it back, whole and by range', withServerLogs(() => server, async () => {
    const auth = { authorization: server!.authorization }
    // The first chunk is above S3's 5 MiB part minimum, so publishing it copies server-side.
    const chunk1 = randomBytes(6 * MiB)
    const chunk2 = randomBytes(MiB)
    const whole = Buffer.concat([chunk1, chunk2])
    const digest = sha256Digest(whole)
    const post = await fetch(`${server!.url}/v2/library/chunked/blobs/uploads/`, { method: 'POST', headers: auth })
    assert.equal(post.status, 202)
    const location = new URL(post.headers.get('location')!, server!.url)
    const patch1 = await fetch(location, { method: 'PATCH', body: chunk1, headers: { ...auth, 'content-range': `0-${chunk1.length - 1}`, 'content-type': 'application/octet-stream' } })
    assert.equal(patch1.status, 202, await patch1.text())
    const next = new URL(patch1.headers.get('location') ?? location.toString(), server!.url)
    const patch2 = await fetch(next, { method: 'PATCH', body: chunk2, headers: { ...auth, 'content-range': `${chunk1.length}-${whole.length - 1}`, 'content-type': 'application/octet-stream' } })
    assert.equal(patch2.status, 202, await patch2.text())
    assert.equal(patch2.headers.get('range'), `0-${whole.length - 1}`)
    const done = new URL(patch2.headers.get('location') ?? next.toString(), server!.url)
    done.searchParams.set('digest', digest)
    const put = await fetch(done, { method: 'PUT', headers: auth })
    assert.equal(put.status, 201, await put.text())

    const got = Buffer.from(await (await fetch(`${server!.url}/v2/library/chunked/blobs/${digest}`, { headers: auth })).arrayBuffer())
    assert.equal(sha256Digest(got), digest)
    const ranged = await fetch(`${server!.url}/v2/library/chunked/blobs/${digest}`, { headers: { ...auth, range: `bytes=${6 * MiB - 2}-${6 * MiB + 1}` } })
    assert.equal(ranged.status, 206)
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), whole.subarray(6 * MiB - 2, 6 * MiB + 2))
    const hex = digest.slice('sha256:'.length)
    assert.equal((await bucket.stat(`blobs/sha256/${hex.slice(0, 2)}/${hex}`))?.size, whole.length)
    assert.ok(s3.stats.partCopies >= 2, 'the parts were copied server-side')
    assert.equal(s3.stats.tooSmall, 0, 'no multipart upload broke the 5 MiB part minimum')
  }))
})

describe('a Berth process on S3 with s3.redirect', { skip, timeout: 120_000 }, () => {
  let s3: FakeS3
  let server: BerthProcess | undefined
  let work: string
  before(async () => {
    s3 = await startS3()
    work = mkdtempSync(join(tmpdir(), 'berth-s3-redirect-'))
    server = await startBerth({
      env: berthS3Env(s3, { BERTH_S3_REDIRECT: 'true' }),
    })
  })
  after(async () => {
    await server?.stop()
    await s3?.stop()
    rmSync(work, { recursive: true, force: true })
  })

  it('blob GETs answer 307 to a presigned URL that serves the bytes; skopeo follows it', withServerLogs(() => server, async () => {
    const src = join(work, 'src')
    const back = join(work, 'back')
    const img = writeImage(src, { seed: 's3-redirect', tag: 'v1' })
    const ref = `docker://${new URL(server!.url).host}/library/redirected:v1`
    const flags = ['--insecure-policy', '--command-timeout', '60s']
    await runCommand('skopeo', [...flags, 'copy', '--dest-tls-verify=false', '--dest-creds', server!.creds, `oci:${src}:v1`, ref], { timeoutMs: 90_000 })
    const layer = img.layers[0]!
    const res = await fetch(`${server!.url}/v2/library/redirected/blobs/${layer.digest}`, { headers: { authorization: server!.authorization }, redirect: 'manual' })
    assert.equal(res.status, 307)
    const location = res.headers.get('location')!
    assert.ok(location.startsWith(s3.endpoint), location)
    const bytes = Buffer.from(await (await fetch(location)).arrayBuffer())
    assert.equal(sha256Digest(bytes), layer.digest)
    // HEAD is answered here, with the blob's size.
    const head = await fetch(`${server!.url}/v2/library/redirected/blobs/${layer.digest}`, { method: 'HEAD', headers: { authorization: server!.authorization } })
    assert.equal(head.status, 200)
    assert.equal(Number(head.headers.get('content-length')), layer.size)
    await runCommand('skopeo', [...flags, 'copy', '--src-tls-verify=false', '--src-creds', server!.creds, ref, `oci:${back}:v1`], { timeoutMs: 90_000 })
    assert.equal(layoutManifestFor(back, 'v1')?.digest, img.manifest.digest)
  }))
})
