// BlobStore: verified publishing, atomic chunks, and uploads continued by another process.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { createHash } from 'node:crypto'
import { FilesystemDriver } from './drivers/filesystem.js'
import { BlobStore } from './blob-store.js'
import { isBerthError } from '../lib/errors.js'
import type { Digest } from '../oci/digest.js'

const digest = (b: Buffer, alg: 'sha256' | 'sha512' = 'sha256') => `${alg}:${createHash(alg).update(b).digest('hex')}` as Digest

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

describe('BlobStore', () => {
  let root: string
  let store: BlobStore
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'berth-blobs-'))
    store = new BlobStore(new FilesystemDriver(root))
  })
  after(() => rm(root, { recursive: true, force: true }))

  it('publishes a verified upload at its digest and removes the upload', async () => {
    const bytes = Buffer.from('hello blob')
    await store.createUpload('u1')
    assert.equal(await store.append('u1', Readable.from([bytes])), bytes.length)
    const info = await store.commit('u1', digest(bytes))
    assert.deepEqual(info, { digest: digest(bytes), size: bytes.length })
    assert.deepEqual(await readAll(await store.open(digest(bytes))), bytes)
    assert.equal(await store.uploadSize('u1'), null)
  })

  it('refuses a wrong digest and publishes nothing', async () => {
    const bytes = Buffer.from('some bytes')
    const wrong = digest(Buffer.from('other bytes'))
    await store.createUpload('u2')
    await store.append('u2', Readable.from([bytes]))
    await assert.rejects(store.commit('u2', wrong), (e) => isBerthError(e, 'DIGEST_INVALID'))
    assert.equal(await store.stat(wrong), null)
    assert.equal(await store.uploadSize('u2'), bytes.length)
  })

  it('checks sha512 digests too', async () => {
    const bytes = Buffer.from('sha512 content')
    await store.createUpload('u3')
    await store.append('u3', Readable.from([bytes]))
    const info = await store.commit('u3', digest(bytes, 'sha512'))
    assert.equal(info.digest, digest(bytes, 'sha512'))
    assert.deepEqual(await readAll(await store.open(info.digest)), bytes)
  })

  it('an out-of-order chunk is refused and changes nothing', async () => {
    await store.createUpload('u4')
    await store.append('u4', Readable.from([Buffer.from('abc')]), { expectedOffset: 0 })
    await assert.rejects(store.append('u4', Readable.from([Buffer.from('zzz')]), { expectedOffset: 0 }), (e) => isBerthError(e, 'CHUNK_OUT_OF_ORDER'))
    await assert.rejects(store.append('u4', Readable.from([Buffer.from('zzz')]), { expectedOffset: 5 }), (e) => isBerthError(e, 'CHUNK_OUT_OF_ORDER'))
    assert.equal(await store.uploadSize('u4'), 3)
  })

  it('a chunk cut short by a disconnect is undone entirely', async () => {
    await store.createUpload('u5')
    await store.append('u5', Readable.from([Buffer.from('first')]))
    await assert.rejects(store.append('u5', brokenBody(Buffer.alloc(100_000, 7))))
    assert.equal(await store.uploadSize('u5'), 5)
    await store.append('u5', Readable.from([Buffer.from('second')]))
    const info = await store.commit('u5', digest(Buffer.from('firstsecond')))
    assert.equal(info.size, 11)
  })

  it('a chunk of the wrong length is undone (SIZE_INVALID)', async () => {
    await store.createUpload('u6')
    await assert.rejects(store.append('u6', Readable.from([Buffer.from('abc')]), { expectedLength: 4 }), (e) => isBerthError(e, 'SIZE_INVALID'))
    assert.equal(await store.uploadSize('u6'), 0)
  })

  it('another process (a fresh store on the same storage) continues an upload', async () => {
    const part1 = Buffer.alloc(3 << 20, 1)
    const part2 = Buffer.alloc(1 << 20, 2)
    await store.createUpload('u7')
    await store.append('u7', Readable.from([part1]))
    const other = new BlobStore(new FilesystemDriver(root))
    assert.equal(await other.append('u7', Readable.from([part2]), { expectedOffset: part1.length }), part1.length + part2.length)
    const whole = Buffer.concat([part1, part2])
    assert.equal((await other.commit('u7', digest(whole))).size, whole.length)
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

  it('concurrent appends to one upload are serialised; the loser sees the new offset', async () => {
    await store.createUpload('u8')
    const results = await Promise.allSettled([
      store.append('u8', Readable.from([Buffer.from('aaaa')]), { expectedOffset: 0 }),
      store.append('u8', Readable.from([Buffer.from('bbbb')]), { expectedOffset: 0 }),
    ])
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
    assert.equal(await store.uploadSize('u8'), 4)
  })
})
