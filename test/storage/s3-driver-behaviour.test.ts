// The S3 driver beyond the conformance suite: uploads continued by another node, move's copy and
// stream-through paths, cancel aborting multipart uploads, presigned redirects, the piece planner.
// Against a fake S3 (test/support/s3-server.ts; its header lists where it differs from S3).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { planPieces, type S3Driver, type S3DriverOptions } from '../../src/storage/drivers/s3.js'
import { BlobStore } from '../../src/storage/blob-store.js'
import type { StorageDriver } from '../../src/storage/driver.js'
import type { Digest } from '../../src/oci/digest.js'
import { driverFor, startS3, type FakeS3 } from '../support/s3-server.js'

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

async function put(d: StorageDriver, path: string, bytes: Buffer, offset?: number): Promise<number> {
  const w = await d.write(path, offset === undefined ? {} : { offset })
  await pipeline(Readable.from([bytes]), w.stream)
  return w.commit()
}

/** Writes `sizes` as consecutive writes (so as parts) of distinct bytes; returns the whole content. */
async function putParts(d: StorageDriver, path: string, sizes: number[]): Promise<Buffer> {
  const all: Buffer[] = []
  let at = 0
  for (const [i, n] of sizes.entries()) {
    const bytes = Buffer.alloc(n, i + 1)
    bytes.writeUInt32BE(at, 0)
    assert.equal(await put(d, path, bytes, i === 0 ? undefined : at), at + n)
    all.push(bytes)
    at += n
  }
  return Buffer.concat(all)
}

async function listAll(d: StorageDriver, prefix: string): Promise<string[]> {
  const out: string[] = []
  for await (const p of d.list(prefix)) out.push(p)
  return out.sort()
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex')

describe('S3 driver', { timeout: 60_000 }, () => {
  let s3: FakeS3
  const drivers: S3Driver[] = []
  const driver = (extra: Partial<S3DriverOptions> & { prefix: string }, server: FakeS3 = s3) => {
    const d = driverFor(server, extra)
    drivers.push(d)
    return d
  }
  const fresh = () => `t/${randomUUID()}`
  before(async () => {
    s3 = await startS3()
  })
  after(async () => {
    for (const d of drivers) d.destroy()
    await s3?.stop()
  })

  it('an upload begun by one node is continued, re-hashed and committed by another', async () => {
    const prefix = fresh()
    const nodeA = new BlobStore(driver({ prefix }))
    const nodeB = new BlobStore(driver({ prefix }))
    const id = randomUUID()
    const one = Buffer.from('first chunk, from node A; ')
    const two = Buffer.from('second chunk, from node B')
    await nodeA.createUpload(id)
    assert.equal(await nodeA.append(id, Readable.from([one]), { size: 0 }), one.length)
    assert.equal(await nodeB.uploadStoredSize(id), one.length)
    assert.equal(await nodeB.append(id, Readable.from([two]), { size: one.length }), one.length + two.length)
    const whole = Buffer.concat([one, two])
    const digest = `sha256:${sha(whole)}` as Digest
    assert.deepEqual(await nodeB.commit(id, digest, { size: whole.length }), { digest, size: whole.length })
    assert.deepEqual(await nodeA.stat(digest), { digest, size: whole.length })
    assert.deepEqual(await readAll(await nodeA.open(digest)), whole)
    assert.equal((await readAll(await nodeA.open(digest, { offset: 6, length: 5 }))).toString(), 'chunk')
    assert.deepEqual(await listAll(nodeA.driver, 'uploads'), [])
  })

  it('two drivers continue and cancel writes of the same file; a cancelled continuation leaves it as it was', async () => {
    const prefix = fresh()
    const a = driver({ prefix })
    const b = driver({ prefix })
    await put(a, 'up/data', Buffer.from('abc'))
    assert.equal(await put(b, 'up/data', Buffer.from('def'), 3), 6)
    const w = await b.write('up/data', { offset: 6 })
    await new Promise<void>((res) => w.stream.write(Buffer.from('ghi'), () => res()))
    await w.cancel()
    assert.equal((await a.stat('up/data'))?.size, 6)
    assert.equal(await put(a, 'up/data', Buffer.from('GHI'), 6), 9)
    assert.equal((await readAll(await b.read('up/data'))).toString(), 'abcdefGHI')
    assert.equal((await readAll(await b.read('up/data', { offset: 2, length: 5 }))).toString(), 'cdefG')
    // A continuation at 0 that is cancelled leaves the file existing and empty.
    const z = await a.write('up/data', { offset: 0 })
    assert.equal((await b.stat('up/data'))?.size, 0)
    await z.cancel()
    assert.equal((await b.stat('up/data'))?.size, 0)
    assert.equal(await put(b, 'up/data', Buffer.from('xyz'), 0), 3)
    assert.equal((await readAll(await a.read('up/data'))).toString(), 'xyz')
  })

  it('a cancelled write of several parts aborts its multipart upload and publishes nothing', async () => {
    const d = driver({ prefix: fresh(), partSize: 5 * MiB })
    await put(d, 'up/data', Buffer.from('kept'))
    const aborts = s3.stats.aborts
    const w = await d.write('up/data', { offset: 4 })
    const chunk = Buffer.alloc(MiB, 7)
    for (let i = 0; i < 12; i++) await new Promise<void>((res, rej) => w.stream.write(chunk, (e) => (e ? rej(e) : res())))
    await w.cancel()
    assert.equal(s3.stats.aborts, aborts + 1)
    assert.equal((await d.stat('up/data'))?.size, 4)
    assert.equal((await readAll(await d.read('up/data'))).toString(), 'kept')
  })

  it('a write aborted by its signal fails and its cancel leaves the file as it was', async () => {
    const d = driver({ prefix: fresh() })
    await put(d, 'up/data', Buffer.from('kept'))
    const ac = new AbortController()
    const w = await d.write('up/data', { offset: 4, signal: ac.signal })
    const body = new Readable({ read() {} })
    body.push(Buffer.alloc(1000, 1))
    setTimeout(() => ac.abort(), 20)
    await assert.rejects(pipeline(body, w.stream, { signal: ac.signal }))
    await w.cancel()
    assert.equal((await d.stat('up/data'))?.size, 4)
    // A commit that fails (here: aborted) is undone by cancel; at offset 0 the file stays, empty.
    for (const offset of [4, 0]) {
      const ac2 = new AbortController()
      const w2 = await d.write('up/data', { offset, signal: ac2.signal })
      await new Promise<void>((res) => w2.stream.write(Buffer.from('more'), () => res()))
      ac2.abort()
      await assert.rejects(w2.commit())
      await w2.cancel()
      assert.equal((await d.stat('up/data'))?.size, offset)
    }
  })

  it('move streams small parts through into one object', async () => {
    const d = driver({ prefix: fresh() })
    const bytes = await putParts(d, 'uploads/u1/data', [1 * KiB, 2 * KiB, 3 * KiB])
    const before = { ...s3.stats }
    await d.move('uploads/u1/data', 'blobs/sha256/ab/small')
    assert.equal(s3.stats.partCopies, before.partCopies)
    assert.equal(s3.stats.completes, before.completes, 'one PutObject, no multipart upload')
    assert.deepEqual(await readAll(await d.read('blobs/sha256/ab/small')), bytes)
    assert.equal(await d.stat('uploads/u1/data'), null)
    assert.deepEqual(await listAll(d, 'uploads'), [])
    assert.deepEqual(await listAll(d, 'blobs'), ['blobs/sha256/ab/small'])
  })

  it('move copies parts of 5 MiB and more server-side (UploadPartCopy)', async () => {
    const d = driver({ prefix: fresh() })
    const bytes = await putParts(d, 'uploads/u2/data', [5 * MiB + KiB, 5 * MiB + KiB, KiB])
    const before = { ...s3.stats }
    await d.move('uploads/u2/data', 'blobs/sha256/cd/large')
    assert.equal(s3.stats.partCopies - before.partCopies, 3)
    assert.equal(s3.stats.completes - before.completes, 1)
    assert.equal(s3.stats.tooSmall, 0)
    const back = await readAll(await d.read('blobs/sha256/cd/large'))
    assert.equal(back.length, bytes.length)
    assert.equal(sha(back), sha(bytes))
    assert.deepEqual(await listAll(d, 'uploads'), [])
  })

  it('move mixes streamed and copied pieces, every piece but the last at least 5 MiB', async () => {
    const d = driver({ prefix: fresh() })
    const bytes = await putParts(d, 'uploads/u3/data', [KiB, 5 * MiB + KiB, 5 * MiB + KiB, 100])
    const before = { ...s3.stats }
    await d.move('uploads/u3/data', 'blobs/sha256/ef/mixed')
    // The first KiB is streamed with all of the next part (its rest would be too small to copy);
    // the third part and the tail are copied.
    assert.equal(s3.stats.partCopies - before.partCopies, 2)
    assert.equal(s3.stats.tooSmall, 0)
    assert.equal(sha(await readAll(await d.read('blobs/sha256/ef/mixed'))), sha(bytes))
  })

  it('where the store lacks UploadPartCopy (s3rver), move streams those pieces instead', async () => {
    const plain = await startS3({ partCopy: false })
    try {
      const d = driver({ prefix: fresh() }, plain)
      const bytes = await putParts(d, 'uploads/u4/data', [5 * MiB + KiB, 5 * MiB + KiB])
      const completes = plain.stats.completes
      await d.move('uploads/u4/data', 'blobs/sha256/01/fallback')
      assert.equal(plain.stats.partCopies, 0)
      assert.equal(plain.stats.completes - completes, 1)
      assert.equal(sha(await readAll(await d.read('blobs/sha256/01/fallback'))), sha(bytes))
      // A cut of a part (continuing inside it) falls back the same way.
      assert.equal(await put(d, 'blobs/sha256/01/fallback', Buffer.from('!'), 3), 4)
      assert.deepEqual(await readAll(await d.read('blobs/sha256/01/fallback')), Buffer.concat([bytes.subarray(0, 3), Buffer.from('!')]))
    } finally {
      await plain.stop()
    }
  })

  it('a finished object is replaced by move and can be continued at an offset', async () => {
    const d = driver({ prefix: fresh() })
    await put(d, 'tmp/a', Buffer.from('0123456789'))
    await d.move('tmp/a', 'done/x')
    assert.equal((await d.stat('done/x'))?.size, 10)
    assert.equal(await put(d, 'done/x', Buffer.from('AB'), 4), 6)
    assert.equal((await readAll(await d.read('done/x'))).toString(), '0123AB')
    assert.equal((await readAll(await d.read('done/x', { offset: 6 }))).toString(), '')
    assert.equal((await readAll(await d.read('done/x', { offset: 3, length: 0 }))).toString(), '')
  })

  it('lists a file once while both its object and its parts exist', async () => {
    const prefix = fresh()
    const d = driver({ prefix })
    await put(d, 'p/x', Buffer.from('parts'))
    await put(d, 'p/x-y', Buffer.from('other'))
    const raw = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey } })
    try {
      await raw.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/p/x`, Body: 'object' }))
    } finally {
      raw.destroy()
    }
    assert.deepEqual(await listAll(d, 'p'), ['p/x', 'p/x-y'])
    assert.equal((await readAll(await d.read('p/x'))).toString(), 'object', 'the object wins')
    await d.delete('p/x')
    assert.deepEqual(await listAll(d, 'p'), ['p/x-y'])
  })

  it('refuses paths with segments ending in .parts', async () => {
    const d = driver({ prefix: fresh() })
    await assert.rejects(d.write('a/b.parts/0000000000000000'), /invalid storage path/)
    await assert.rejects(d.stat('x.parts'), /invalid storage path/)
  })

  it('redirects to presigned GET and HEAD URLs when asked to, which fetch() can follow', async () => {
    const prefix = fresh()
    const d = driver({ prefix, redirect: true })
    await put(d, 'tmp/r', Buffer.from('redirected bytes'))
    await d.move('tmp/r', 'blobs/sha256/aa/r')
    const get = await d.redirectUrl('blobs/sha256/aa/r', 'GET')
    assert.ok(get?.startsWith(`${s3.endpoint}/${s3.bucket}/${prefix}/blobs/sha256/aa/r?`), get ?? 'null')
    assert.match(get!, /X-Amz-Expires=900/)
    const res = await fetch(get!)
    assert.equal(res.status, 200)
    assert.equal(await res.text(), 'redirected bytes')
    const head = await fetch((await d.redirectUrl('blobs/sha256/aa/r', 'HEAD'))!, { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.headers.get('content-length'), '16')
    assert.equal(await driver({ prefix }).redirectUrl('blobs/sha256/aa/r', 'GET'), null)
  })
})

describe('S3 driver: move planning', () => {
  const seg = (key: string, length: number) => ({ key, start: 0, length })
  const check = (sizes: number[]) => {
    const segments = sizes.map((n, i) => seg(`p${i}`, n))
    const total = sizes.reduce((a, b) => a + b, 0)
    const pieces = planPieces(segments, total)
    const lengths = pieces.map((p) => (p.kind === 'copy' ? p.segment.length : p.length))
    assert.equal(lengths.reduce((a, b) => a + b, 0), total, 'pieces cover the file')
    for (const n of lengths.slice(0, -1)) assert.ok(n >= 5 * MiB, `a piece of ${n} bytes before the last`)
    for (const n of lengths) assert.ok(n <= 5 * GiB, `a piece of ${n} bytes`)
    assert.ok(pieces.length <= 10_000)
    // The pieces, in order, read the file's bytes in order.
    const flat = pieces.flatMap((p) => (p.kind === 'copy' ? [p.segment] : p.segments))
    let file = 0
    const starts = [0]
    for (const n of sizes) starts.push(starts.at(-1)! + n)
    for (const s of flat) {
      const i = Number(s.key.slice(1))
      assert.equal(starts[i]! + s.start, file)
      file += s.length
    }
    return pieces
  }

  it('copies large parts, streams runs of small ones, and splits parts above 5 GiB', () => {
    assert.deepEqual(check([6 * MiB, 6 * MiB, 1]).map((p) => p.kind), ['copy', 'copy', 'copy'])
    assert.deepEqual(check([KiB, 2 * KiB]).map((p) => p.kind), ['stream'])
    assert.deepEqual(check([KiB, 20 * MiB]).map((p) => p.kind), ['stream', 'copy'], 'borrows from a part whose rest can still be copied')
    assert.deepEqual(check([6 * GiB]).map((p) => p.kind), ['copy', 'copy'])
    assert.deepEqual(check([0, 6 * MiB, 0, 3 * MiB]).map((p) => p.kind), ['copy', 'copy'])
  })

  it('keeps S3 limits for random part sizes', () => {
    let seed = 42
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(rand() * 12)
      const sizes = Array.from({ length: n }, () => (rand() < 0.5 ? Math.floor(rand() * 6 * MiB) : Math.floor(rand() * 12 * MiB)))
      check(sizes)
    }
  })

  it('streams in equal pieces when there would be more than 10,000', () => {
    const pieces = check(Array.from({ length: 20_000 }, () => 5 * MiB))
    assert.ok(pieces.every((p) => p.kind === 'stream'))
  })
})
