// Content-addressed blobs and resumable uploads over any StorageDriver.
//
// A blob becomes visible only by an atomic move of an upload whose size and digest were verified
// and whose bytes were made durable. The caller keeps each upload's acknowledged size (in the
// database) and passes it in: a chunk continues the file at that size, discarding bytes of any
// chunk that was never acknowledged (a crash mid-chunk), and a chunk that fails is undone.
// Hashing happens while bytes stream; the running
// hash lives in this process, and a process that continues another's upload (or one restarted)
// re-hashes the bytes already stored.
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import { BerthError } from '../lib/errors.js'
import { forEachBounded } from '../lib/bounded.js'
import { KeyedMutex } from '../lib/keyed-mutex.js'
import { HashingStream } from '../lib/hash-stream.js'
import { localHashers, type HashAlgorithm, type Hasher, type HasherFactory } from '../lib/hasher.js'
import { digestAlgorithm, type Digest } from '../oci/digest.js'
import type { IoOptions, StorageDriver } from './driver.js'
import { blobPath, digestOfBlobPath, uploadDataPath, uploadDir } from './layout.js'

export interface BlobInfo {
  digest: Digest
  size: number
}

export interface AppendOptions extends IoOptions {
  /** The upload's acknowledged size: where this chunk goes. */
  size: number
  /** The offset the client believes the upload is at; a mismatch is CHUNK_OUT_OF_ORDER. */
  expectedOffset?: number
  /** The exact number of bytes the chunk must have; fewer or more is SIZE_INVALID. */
  expectedLength?: number
  /** The algorithm of the digest that will close the upload, when already known. */
  algorithm?: HashAlgorithm
}

interface HashState {
  offset: number
  algorithm: HashAlgorithm
  hash: Hasher
}

export class BlobStore {
  private readonly hashes = new Map<string, HashState>()
  private readonly locks = new KeyedMutex()

  constructor(
    readonly driver: StorageDriver,
    private readonly hashers: HasherFactory = localHashers,
  ) {}

  async stat(digest: Digest, o?: IoOptions): Promise<BlobInfo | null> {
    const info = await this.driver.stat(blobPath(digest), o)
    return info === null ? null : { digest, size: info.size }
  }

  /** A URL the client can fetch the blob from directly (S3 presigned), or null to serve it here. */
  async redirectUrl(digest: Digest): Promise<string | null> {
    return (await this.driver.redirectUrl?.(blobPath(digest), 'GET')) ?? null
  }

  /** The URI at which a front proxy (nginx) sends the blob itself, or null to serve it here. */
  internalRedirect(digest: Digest): string | null {
    return this.driver.internalRedirect?.(blobPath(digest)) ?? null
  }

  open(digest: Digest, o?: IoOptions & { offset?: number; length?: number }): Promise<Readable> {
    return this.driver.read(blobPath(digest), o)
  }

  /** Stores small content already in memory (a manifest), verified against its digest. */
  async putBytes(digest: Digest, bytes: Buffer, o?: IoOptions): Promise<BlobInfo> {
    const existing = await this.stat(digest, o)
    if (existing !== null) return existing
    const id = `put-${crypto.randomUUID()}`
    const w = await this.driver.write(uploadDataPath(id), o)
    try {
      w.stream.write(bytes)
      await w.commit()
      await this.driver.move(uploadDataPath(id), blobPath(digest), o)
    } catch (err) {
      await w.cancel()
      throw err
    } finally {
      await this.driver.delete(uploadDir(id))
    }
    return { digest, size: bytes.length }
  }

  /** Every blob stored, whatever the metadata says (garbage collection looks for orphans). */
  async *list(o?: IoOptions): AsyncIterable<Digest> {
    for await (const path of this.driver.list('blobs', o)) {
      const digest = digestOfBlobPath(path)
      if (digest !== null) yield digest
    }
  }

  /** When a blob's bytes were stored, or null if they are not. */
  async storedAt(digest: Digest, o?: IoOptions): Promise<{ size: number; modTime: Date } | null> {
    const info = await this.driver.stat(blobPath(digest), o)
    return info === null ? null : { size: info.size, modTime: info.modTime }
  }

  /**
   * Removes blobs' bytes (garbage collection, once their records say so): in the driver's
   * batches when it has them, else `concurrency` deletes at a time. Stops between batches
   * when the signal aborts.
   */
  async deleteBlobs(digests: readonly Digest[], o: IoOptions & { concurrency?: number } = {}): Promise<void> {
    const paths = digests.map((d) => blobPath(d))
    if (this.driver.deleteMany !== undefined) return this.driver.deleteMany(paths, o)
    await forEachBounded(paths, o.concurrency ?? 8, (p) => this.driver.delete(p, o), o.signal)
  }

  /** Creates the (empty) storage of a new upload session. */
  async createUpload(id: string, o?: IoOptions): Promise<void> {
    const w = await this.driver.write(uploadDataPath(id), o)
    await w.commit()
    this.setState(id, { offset: 0, algorithm: 'sha256', hash: this.hashers('sha256') })
  }

  /** Bytes stored for an upload (possibly more than acknowledged), or null if it does not exist. */
  async uploadStoredSize(id: string, o?: IoOptions): Promise<number | null> {
    return (await this.driver.stat(uploadDataPath(id), o))?.size ?? null
  }

  /** Appends one chunk at `o.size`, atomically; returns the upload's new size. */
  append(id: string, body: Readable, o: AppendOptions): Promise<number> {
    return this.exclusive(id, async () => {
      const size = o.size
      if (o.expectedOffset !== undefined && o.expectedOffset !== size) {
        body.resume()
        throw new BerthError('CHUNK_OUT_OF_ORDER', `chunk must start at offset ${size}`, { offset: size })
      }
      const state = await this.hashState(id, size, o.algorithm ?? 'sha256', o)
      const w = await this.writeAt(id, size, o)
      const hasher = new HashingStream(state.hash.copy())
      try {
        await pipeline(body, hasher, w.stream, { signal: o.signal })
        if (o.expectedLength !== undefined && hasher.bytes !== o.expectedLength) {
          throw new BerthError('SIZE_INVALID', `chunk has ${hasher.bytes} bytes, expected ${o.expectedLength}`)
        }
        const newSize = await w.commit()
        this.setState(id, { offset: newSize, algorithm: state.algorithm, hash: hasher.hash })
        return newSize
      } catch (err) {
        hasher.hash.dispose()
        await w.cancel()
        throw err
      }
    })
  }

  /**
   * Verifies the upload against `expected` and publishes it as a blob. On a digest mismatch the
   * upload is left untouched and DIGEST_INVALID is thrown; the caller decides whether to cancel it.
   */
  commit(id: string, expected: Digest, o: IoOptions & { size: number }): Promise<BlobInfo> {
    return this.exclusive(id, async () => {
      const size = o.size
      const state = await this.hashState(id, size, digestAlgorithm(expected), o)
      const actual = `${state.algorithm}:${await state.hash.digest()}`
      if (actual !== expected) {
        throw new BerthError('DIGEST_INVALID', 'provided digest does not match uploaded content', { expected, actual })
      }
      if ((await this.stat(expected, o)) === null) {
        // Cut off unacknowledged bytes (the commit fsyncs), then publish.
        const stored = await this.uploadStoredSize(id, o)
        if (stored !== size) await (await this.writeAt(id, size, o)).commit()
        await this.driver.move(uploadDataPath(id), blobPath(expected), o)
      }
      await this.driver.delete(uploadDir(id), o)
      this.setState(id, undefined)
      return { digest: expected, size }
    })
  }

  /** Removes an upload's bytes. Idempotent. */
  async cancel(id: string, o?: IoOptions): Promise<void> {
    await this.exclusive(id, async () => {
      this.setState(id, undefined)
      await this.driver.delete(uploadDir(id), o)
    })
  }

  private async writeAt(id: string, size: number, o: IoOptions) {
    try {
      return await this.driver.write(uploadDataPath(id), { ...o, offset: size })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new BerthError('BLOB_UPLOAD_UNKNOWN', 'upload unknown')
      throw err
    }
  }

  /** The running hash for an upload at `size`, re-hashing stored bytes when this process lacks it. */
  private async hashState(id: string, size: number, algorithm: HashAlgorithm, o: IoOptions): Promise<HashState> {
    const cached = this.hashes.get(id)
    if (cached !== undefined && cached.offset === size && cached.algorithm === algorithm) return cached
    const hash = this.hashers(algorithm)
    try {
      if (size > 0) {
        await pipeline(await this.driver.read(uploadDataPath(id), { ...o, length: size }), new HashingStream(hash), async function* (src) {
          for await (const _ of src) void _
        })
      }
    } catch (err) {
      hash.dispose()
      throw err
    }
    const state = { offset: size, algorithm, hash }
    this.setState(id, state)
    return state
  }

  /** Replaces an upload's running hash, freeing the one it had. */
  private setState(id: string, state: HashState | undefined): void {
    const old = this.hashes.get(id)
    if (old !== undefined && old !== state) old.hash.dispose()
    if (state === undefined) this.hashes.delete(id)
    else this.hashes.set(id, state)
  }

  private exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn)
  }
}
