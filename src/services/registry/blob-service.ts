// Registry use cases for blobs: pull, delete, upload sessions, monolithic push and mounts.
import type { Readable } from 'node:stream'
import { BerthError, isBerthError } from '../../lib/errors.js'
import { newId, isId } from '../../lib/ids.js'
import { KeyedMutex } from '../../lib/keyed-mutex.js'
import type { HashAlgorithm } from '../../lib/hasher.js'
import type { UploadRow } from '../../metadata/upload-store.js'
import type { IoOptions } from '../../storage/driver.js'
import type { BlobInfo } from '../../storage/blob-store.js'
import { digestAlgorithm, type Digest } from '../../oci/digest.js'
import type { RepoName } from '../../oci/names.js'
import { inTransaction } from '../../metadata/stores.js'
import { holding } from '../../cache/shared-state.js'
import type { PeriodicJob } from '../../jobs/job-service.js'
import { DELETING } from '../../metadata/blob-link-store.js'
import { blobBeingCollected, blobUnknown, claimForPush, type CanRead, type RegistryContext } from './registry-context.js'

/** The periodic job (and its schedule's vendor type) that purges abandoned upload sessions. */
export const UPLOAD_PURGE_JOB = 'SYSTEM_UPLOAD_PURGE'

/** Purges, on `cron`, the upload sessions idle for longer than `ttlMs`, in batches until none is left. */
export function uploadPurgeJob(blobs: Pick<BlobService, 'purgeIdleUploads'>, ttlMs: number, cron: string | null): PeriodicJob {
  return {
    type: UPLOAD_PURGE_JOB,
    cron,
    run: async (ctx) => {
      const cutoff = new Date(Date.now() - ttlMs)
      let purged = 0
      for (let n = 1; n > 0 && !ctx.signal.aborted; ) {
        n = await blobs.purgeIdleUploads(cutoff, { signal: ctx.signal })
        purged += n
      }
      await ctx.log(`purged ${purged} upload session(s) idle since before ${cutoff.toISOString()}`)
    },
  }
}

/**
 * An upload session's lock across nodes: held while a chunk is written, renewed meanwhile, and
 * lapsing this long after its node died; a request for a session another node is writing waits
 * at most UPLOAD_LOCK_WAIT_MS. Without Redis the lock holds per node only; then the database's
 * compare-and-set of the session's size and the digest check at the close still refuse a
 * concurrent writer, as a failed request rather than a corrupt blob.
 */
const UPLOAD_LOCK_TTL_MS = 10_000
const UPLOAD_LOCK_WAIT_MS = 12_000

/** An inclusive byte range the client sent with a chunk (Content-Range "start-end"). */
export interface ChunkRange {
  start: number
  end: number
}

export interface ChunkOptions extends IoOptions {
  range?: ChunkRange
  contentLength?: number
}

/** A blob used by a push is touched again at most this often while no collection has marked it. */
export const TOUCH_INTERVAL_MS = 60_000

/** How long a caller at the open-session cap is asked to wait before trying again. */
const UPLOAD_CAP_RETRY_SECONDS = 10

export interface BlobServiceOptions {
  /** Open upload sessions one caller may have (0: no limit). */
  maxOpenUploads: number
}

/** Whose upload a session is: the name of the user or robot that opens it, for the per-caller cap. */
export interface UploadOwner {
  owner?: string
}

export class BlobService {
  /** One chunk at a time per upload session in this process (queued), then across nodes (locked). */
  private readonly sessions = new KeyedMutex()
  /** One session opening at a time per owner in this process, so that a burst cannot pass the cap here. */
  private readonly owners = new KeyedMutex()

  constructor(
    private readonly ctx: RegistryContext,
    private readonly options: BlobServiceOptions = { maxOpenUploads: 0 },
  ) {}

  private get blobs() {
    return this.ctx.deps.blobs
  }

  /**
   * Size of a blob linked into the repository; BLOB_UNKNOWN otherwise. A client that finds a
   * blob here may skip uploading it and reference it from a manifest soon, so the blob is
   * claimed against garbage collection (at most once a TOUCH_INTERVAL_MS while unmarked: the
   * time window covers the rest); one being removed is unknown, and the client uploads it again.
   */
  async stat(repository: RepoName, digest: Digest): Promise<BlobInfo> {
    const linked = await this.ctx.stores.blobLinks.get(repository, digest)
    if (linked === null || linked.gcMark === DELETING) throw blobUnknown(digest)
    if (linked.gcMark !== null || Date.parse(linked.touchedAt) < Date.now() - TOUCH_INTERVAL_MS) {
      if ((await this.ctx.stores.blobLinks.claim([digest])).length === 0) throw blobUnknown(digest)
    }
    return { digest, size: linked.size }
  }

  /** Where the client may fetch a blob it may read straight from storage, if the driver offers it. */
  redirectUrl(digest: Digest): Promise<string | null> {
    return this.blobs.redirectUrl(digest)
  }

  /**
   * The URI at which nginx in front sends a blob itself (X-Accel-Redirect), when the hand-off is
   * on; null otherwise. Bytes missing from storage are BLOB_UNKNOWN here, as when they are opened,
   * rather than nginx's own 404 page.
   */
  async internalRedirect(repository: RepoName, digest: Digest, o?: IoOptions): Promise<string | null> {
    const uri = this.blobs.internalRedirect(digest)
    if (uri === null) return null
    if ((await this.blobs.stat(digest, o)) === null) {
      this.ctx.deps.log.error({ repository, digest }, 'blob linked in metadata is missing from storage')
      throw blobUnknown(digest)
    }
    return uri
  }

  /** Opens a blob's bytes, whole or one range (already validated against its size). */
  async open(repository: RepoName, digest: Digest, range?: { offset: number; length: number }, o?: IoOptions): Promise<Readable> {
    try {
      return await this.blobs.open(digest, { ...o, ...range })
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.ctx.deps.log.error({ repository, digest }, 'blob linked in metadata is missing from storage')
        throw blobUnknown(digest)
      }
      throw err
    }
  }

  /** Unlinks a blob from a repository; the bytes go when garbage collection finds them unused. */
  async delete(repository: RepoName, digest: Digest): Promise<void> {
    await inTransaction(this.ctx.deps.db, async (s) => {
      const repo = await this.ctx.requireRepository(repository, s)
      const user = await s.artifacts.referencedBy(repo.id, digest, 'blob')
      if (user !== null) {
        throw new BerthError('DELETE_REFUSED', `blob is referenced by manifest ${user}; delete the manifest first`, { digest, manifest: user })
      }
      if (!(await s.blobLinks.unlink(repo.id, digest))) throw blobUnknown(digest)
    })
  }

  /**
   * Opens an upload session; TOOMANYREQUESTS when its owner already has the most open sessions
   * allowed. The row comes first: a session whose storage could not be created is removed again,
   * and one left behind by a crash is purged by age like any other.
   */
  async startUpload(repository: RepoName, o: IoOptions & UploadOwner = {}): Promise<string> {
    await this.ctx.requireProject(repository)
    const id = newId()
    const { owner } = o
    const max = this.options.maxOpenUploads
    if (owner === undefined || max === 0) {
      await this.ctx.stores.uploads.create(id, repository, owner ?? null)
    } else if (!(await this.owners.run(owner, () => this.ctx.stores.uploads.createOwned(id, repository, owner, max)))) {
      throw new BerthError('TOOMANYREQUESTS', `${owner} has ${max} upload sessions open, the most allowed; complete or cancel some, or wait for idle ones to expire`, {
        limit: max,
        retryAfterSeconds: UPLOAD_CAP_RETRY_SECONDS,
      })
    }
    try {
      await this.blobs.createUpload(id, o)
    } catch (err) {
      await this.ctx.stores.uploads.delete(id).catch(() => {})
      throw err
    }
    return id
  }

  /** The acknowledged size of an upload session of this repository. */
  async uploadOffset(repository: RepoName, id: string): Promise<number> {
    return (await this.requireUpload(repository, id)).size
  }

  /** Appends one chunk; returns the new size. An out-of-order chunk is CHUNK_OUT_OF_ORDER (416). */
  appendChunk(repository: RepoName, id: string, body: Readable, o: ChunkOptions = {}): Promise<number> {
    const expectedLength = chunkLength(o)
    return this.exclusive(id, async () => {
      const { size } = await this.requireUpload(repository, id)
      return this.appendAcknowledged(id, size, body, o, expectedLength)
    })
  }

  /**
   * Closes an upload session with the whole blob's digest, after appending an optional final
   * chunk. A digest mismatch cancels the session: its bytes can never become that blob.
   */
  completeUpload(repository: RepoName, id: string, digest: Digest, body: Readable | null, o: ChunkOptions = {}): Promise<BlobInfo> {
    const expectedLength = body === null ? undefined : chunkLength(o)
    return this.exclusive(id, async () => {
      let { size } = await this.requireUpload(repository, id)
      if (body !== null) size = await this.appendAcknowledged(id, size, body, o, expectedLength, digestAlgorithm(digest))
      await claimForPush(this.ctx, digest)
      let info: BlobInfo
      try {
        info = await this.blobs.commit(id, digest, { size, signal: o.signal })
      } catch (err) {
        if (isBerthError(err, 'DIGEST_INVALID')) await this.cancelUpload(repository, id, o)
        throw err
      }
      await this.publish(repository, info, id)
      return info
    })
  }

  private exclusive<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const busy = () => new BerthError('BLOB_UPLOAD_INVALID', 'another request is writing to this upload session; retry later', { uuid: id })
    return this.sessions.run(id, () => holding(this.ctx.deps.shared.locks, `upload:${id}`, { ttlMs: UPLOAD_LOCK_TTL_MS, waitMs: UPLOAD_LOCK_WAIT_MS, busy }, fn))
  }

  /** Appends a chunk at the acknowledged size and records the new one; a session that moved meanwhile is a conflict. */
  private async appendAcknowledged(
    id: string,
    from: number,
    body: Readable,
    o: ChunkOptions,
    expectedLength: number | undefined,
    algorithm?: HashAlgorithm,
  ): Promise<number> {
    const size = await this.blobs.append(id, body, { size: from, signal: o.signal, expectedOffset: o.range?.start, expectedLength, algorithm })
    if (!(await this.ctx.stores.uploads.advance(id, from, size))) {
      throw new BerthError('BLOB_UPLOAD_INVALID', 'the upload session was changed by another request; check its offset and retry', { uuid: id })
    }
    return size
  }

  /** Monolithic push: the whole blob in one request, verified against `digest`; its session counts for its owner meanwhile. */
  async push(repository: RepoName, digest: Digest, body: Readable, o: ChunkOptions & UploadOwner = {}): Promise<BlobInfo> {
    const id = await this.startUpload(repository, o)
    try {
      const size = await this.blobs.append(id, body, { size: 0, signal: o.signal, expectedLength: o.contentLength, algorithm: digestAlgorithm(digest) })
      await claimForPush(this.ctx, digest)
      const info = await this.blobs.commit(id, digest, { size, signal: o.signal })
      await this.publish(repository, info, id)
      return info
    } catch (err) {
      await this.cancelUpload(repository, id, o).catch(() => {})
      throw err
    }
  }

  /** Cancels a session; BLOB_UPLOAD_UNKNOWN if there is none. */
  async cancelUpload(repository: RepoName, id: string, o?: IoOptions): Promise<void> {
    await this.requireUpload(repository, id)
    await this.ctx.stores.uploads.delete(id)
    await this.blobs.cancel(id, o)
  }

  /**
   * Links a blob that already exists into `repository`, from `from` or, without it, from any
   * repository that has it. Only a repository the caller can read may lend the blob.
   * Returns null when nothing could be mounted (the caller then opens an upload instead).
   */
  async mount(repository: RepoName, digest: Digest, from: RepoName | undefined, canRead: CanRead): Promise<BlobInfo | null> {
    const project = await this.ctx.requireProject(repository)
    const candidates = from !== undefined ? [from] : await this.ctx.stores.blobLinks.repositoriesWith(digest, 50)
    for (const source of candidates) {
      if (!(await canRead(source as RepoName))) continue
      const linked = await this.ctx.stores.blobLinks.get(source, digest)
      if (linked === null || linked.gcMark === DELETING) continue
      // The link claims the blob; one garbage collection removed meanwhile is not mounted.
      const mounted = await inTransaction(this.ctx.deps.db, async (s) => {
        const repo = await s.repositories.ensure(project.id, repository)
        return s.blobLinks.link(repo.id, digest)
      })
      return mounted ? { digest, size: linked.size } : null
    }
    return null
  }

  /** Removes upload sessions idle since before `cutoff`, bytes and rows. Returns how many. */
  async purgeIdleUploads(cutoff: Date, o?: IoOptions): Promise<number> {
    const ids = await this.ctx.stores.uploads.listIdle(cutoff.toISOString(), 1000)
    for (const id of ids) {
      await this.ctx.stores.uploads.delete(id)
      await this.blobs.cancel(id, o)
    }
    return ids.length
  }

  /** Records a verified blob and links it into the repository, closing the session. */
  private async publish(repository: RepoName, info: BlobInfo, uploadId: string): Promise<void> {
    await inTransaction(this.ctx.deps.db, async (s) => {
      const project = await this.ctx.requireProject(repository, s)
      const repo = await s.repositories.ensure(project.id, repository)
      await s.blobLinks.record(info.digest, info.size)
      // Claimed before the bytes were published (claimForPush), so no collection removes it now.
      if (!(await s.blobLinks.link(repo.id, info.digest))) throw blobBeingCollected(info.digest)
      await s.uploads.delete(uploadId)
    })
  }

  private async requireUpload(repository: RepoName, id: string): Promise<UploadRow> {
    const row = isId(id) ? await this.ctx.stores.uploads.get(id) : null
    if (row === null || row.repository !== repository) {
      throw new BerthError('BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry', { uuid: id.slice(0, 100) })
    }
    return row
  }
}

/** The byte count a chunk must have, from its Content-Range and Content-Length, which must agree. */
function chunkLength(o: ChunkOptions): number | undefined {
  const fromRange = o.range === undefined ? undefined : o.range.end - o.range.start + 1
  if (fromRange !== undefined && o.contentLength !== undefined && fromRange !== o.contentLength) {
    throw new BerthError('SIZE_INVALID', `Content-Length ${o.contentLength} does not match Content-Range ${o.range!.start}-${o.range!.end}`)
  }
  return fromRange ?? o.contentLength
}
