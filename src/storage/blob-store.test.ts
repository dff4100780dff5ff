// BlobStore: verified publishing, atomic chunks, and uploads continued by another process.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, appendFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createHash } from 'node:crypto'
import { FilesystemDriver } from './drivers/filesystem.js'
import { BlobStore } from './blob-store.js'
import { isBerthError } from '../lib/errors.js'
import type { Digest } from '../oci/digest.js'
import { localHashers } from '../lib/hasher.js'

const digest = (b: Buffer, alg: 'sha256' | 'sha512' = 'sha256') => `${alg}:${createHash(alg).update(b).digest('hex')}` as Digest
const body = (s: string | Buffer) => Readable.from([Buffer.from(s)])

async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of s) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/** A body that sends `bytes` and then fails, as a client that disconnects mid-chunk. */
function brokenBody(bytes: Buffer): Readable {
  return new Readable({
    read() {
      this.push(bytes)
      this.destroy(new Error('client went away'))
    },
  })
}

const hashers = localHashers

describe('BlobStore', () => {
  let root: string
  let store: BlobStore
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-blobs-'))
    store = new BlobStore(new FilesystemDriver(root), hashers)
  })
  after(() => rm(root, { recursive: true, force: true }))

  it('publishes a verified upload at its digest and removes the upload', async () => {
    const bytes = Buffer.from('hello blob')
    await store.createUpload('u1')
    const size = await store.append('u1', body(bytes), { size: 0 })
    assert.equal(size, bytes.length)
    const info = await store.commit('u1', digest(bytes), { size })
    assert.deepEqual(info, { digest: digest(bytes), size: bytes.length })
    assert.deepEqual(await readAll(await store.open(digest(bytes))), bytes)
    assert.deepEqual(await store.stat(digest(bytes)), { digest: digest(bytes), size: bytes.length })
    assert.equal(await store.uploadStoredSize('u1'), null)
  })

  it('refuses a wrong digest and publishes nothing', async () => {
    const bytes = Buffer.from('some bytes')
    const wrong = digest(Buffer.from('other bytes'))
    await store.createUpload('u2')
    const size = await store.append('u2', body(bytes), { size: 0 })
    await assert.rejects(store.commit('u2', wrong, { size }), (e) => isBerthError(e, 'DIGEST_INVALID'))
    assert.equal(await store.stat(wrong), null)
    assert.equal(await store.uploadStoredSize('u2'), bytes.length)
  })

  it('checks sha512 digests too, known in advance or not', async () => {
    for (const [id, algorithm] of [['u3a', 'sha512'], ['u3b', undefined]] as const) {
      const bytes = Buffer.from(`sha512 content ${id}`)
      await store.createUpload(id)
      const size = await store.append(id, body(bytes), algorithm ? { size: 0, algorithm } : { size: 0 })
      const info = await store.commit(id, digest(bytes, 'sha512'), { size })
      assert.equal(info.digest, digest(bytes, 'sha512'))
      assert.deepEqual(await readAll(await store.open(info.digest)), bytes)
    }
  })

  it('an out-of-order chunk is refused and changes nothing', async () => {
    await store.createUpload('u4')
    const size = await store.append('u4', body('abc'), { size: 0, expectedOffset: 0 })
    await assert.rejects(store.append('u4', body('zzz'), { size, expectedOffset: 0 }), (e) => isBerthError(e, 'CHUNK_OUT_OF_ORDER'))
    await assert.rejects(store.append('u4', body('zzz'), { size, expectedOffset: 5 }), (e) => isBerthError(e, 'CHUNK_OUT_OF_ORDER'))
    assert.equal(await store.uploadStoredSize('u4'), 3)
  })

  it('a chunk cut short by a disconnect is undone entirely', async () => {
    await store.createUpload('u5')
    const size = await store.append('u5', body('first'), { size: 0 })
    await assert.rejects(store.append('u5', brokenBody(Buffer.alloc(100_000, 7)), { size }))
    assert.equal(await store.uploadStoredSize('u5'), 5)
    const total = await store.append('u5', body('second'), { size })
    assert.equal((await store.commit('u5', digest(Buffer.from('firstsecond')), { size: total })).size, 11)
  })

  it('bytes beyond the acknowledged size (a crash mid-chunk) are discarded', async () => {
    await store.createUpload('u9')
    const size = await store.append('u9', body('kept'), { size: 0 })
    await appendFile(join(root, 'uploads/u9/data'), 'garbage from a crashed chunk')
    const fresh = new BlobStore(new FilesystemDriver(root), hashers)
    const total = await fresh.append('u9', body('+more'), { size, expectedOffset: size })
    assert.equal((await fresh.commit('u9', digest(Buffer.from('kept+more')), { size: total })).size, 9)
    await store.createUpload('u10')
    const s10 = await store.append('u10', body('exact'), { size: 0 })
    await appendFile(join(root, 'uploads/u10/data'), 'junk')
    const info = await new BlobStore(new FilesystemDriver(root), hashers).commit('u10', digest(Buffer.from('exact')), { size: s10 })
    assert.deepEqual(await readAll(await store.open(info.digest)), Buffer.from('exact'))
  })

  it('a chunk of the wrong length is undone (SIZE_INVALID)', async () => {
    await store.createUpload('u6')
    await assert.rejects(store.append('u6', body('abc'), { size: 0, expectedLength: 4 }), (e) => isBerthError(e, 'SIZE_INVALID'))
    assert.equal(await store.uploadStoredSize('u6'), 0)
  })

  it('another process (a fresh store on the same storage) continues an upload', async () => {
    const part1 = Buffer.alloc(3 << 20, 1)
    const part2 = Buffer.alloc(1 << 20, 2)
    await store.createUpload('u7')
    const size = await store.append('u7', body(part1), { size: 0 })
    const other = new BlobStore(new FilesystemDriver(root), hashers)
    const total = await other.append('u7', body(part2), { size, expectedOffset: part1.length })
    assert.equal(total, part1.length + part2.length)
    const whole = Buffer.concat([part1, part2])
    assert.equal((await other.commit('u7', digest(whole), { size: total })).size, whole.length)
  })

  it('a missing upload is BLOB_UPLOAD_UNKNOWN', async () => {
    await assert.rejects(store.append('nope', body('x'), { size: 0 }), (e) => isBerthError(e, 'BLOB_UPLOAD_UNKNOWN'))
  })

  it('putBytes stores small content once; cancel is idempotent; no temp files remain', async () => {
    const bytes = Buffer.from('{"manifest":true}')
    await store.putBytes(digest(bytes), bytes)
    await store.putBytes(digest(bytes), bytes)
    assert.deepEqual(await readAll(await store.open(digest(bytes))), bytes)
    await store.cancel('u2')
    await store.cancel('u2')
    for (const id of ['u4', 'u5', 'u6']) await store.cancel(id)
    assert.deepEqual(await readdir(join(root, 'uploads')), [])
  })
})
