// The filesystem storage driver: a local folder or a shared mount (NFS, CephFS).
// Durability: commit() fsyncs the file; move() renames and then fsyncs the target directory.
// With `accelRedirectPrefix`, internalRedirect() names a file as nginx finds it under an internal
// location aliased to the root: the prefix, then the validated path (no segment can climb out).
import { constants } from 'node:fs'
import { mkdir, open, opendir, rename, rm, stat, truncate, type FileHandle } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Writable, type Readable } from 'node:stream'
import { forEachBounded } from '../../lib/bounded.js'
import { assertStoragePath, type FileInfo, type FileWriter, type IoOptions, type StorageDriver } from '../driver.js'

/** Read size for blob streams. */
const CHUNK = 1 << 20
/**
 * Bytes a write stream buffers while a write is in flight: larger buffers make fewer, larger
 * writev calls (a 256 MiB push: 310-444 MB/s at 1 MiB, 500-580 MB/s at 8 MiB on the bench
 * machine). It bounds memory per upload when the disk is slower than the network.
 */
const WRITE_BUFFER = 8 << 20

export interface FilesystemDriverOptions {
  /** The internal location of an nginx in front (e.g. /_berth_blobs/), aliased to the root; '' for none. */
  accelRedirectPrefix?: string
}

export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem'
  private readonly accelRedirectPrefix: string

  constructor(
    private readonly root: string,
    o: FilesystemDriverOptions = {},
  ) {
    this.accelRedirectPrefix = o.accelRedirectPrefix ?? ''
  }

  internalRedirect(path: string): string | null {
    if (this.accelRedirectPrefix === '') return null
    assertStoragePath(path)
    return `${this.accelRedirectPrefix}${path}`
  }

  private full(path: string): string {
    assertStoragePath(path)
    return join(this.root, path)
  }

  async stat(path: string): Promise<FileInfo | null> {
    try {
      const s = await stat(this.full(path))
      if (!s.isFile()) return null
      return { path, size: s.size, modTime: s.mtime }
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  async read(path: string, o: IoOptions & { offset?: number; length?: number } = {}): Promise<Readable> {
    const fh = await open(this.full(path), constants.O_RDONLY)
    const start = o.offset ?? 0
    const end = o.length === undefined ? undefined : start + o.length - 1
    return fh.createReadStream({ start, end, highWaterMark: CHUNK, autoClose: true })
  }

  async write(path: string, o: IoOptions & { offset?: number } = {}): Promise<FileWriter> {
    const full = this.full(path)
    const continuing = o.offset !== undefined
    if (!continuing) await mkdir(dirname(full), { recursive: true })
    const fh = await open(full, continuing ? 'r+' : 'w')
    const startSize = o.offset ?? 0
    if (continuing) {
      const size = (await fh.stat()).size
      if (size < startSize) {
        await fh.close()
        throw new Error(`cannot continue ${path} at ${startSize}: it has ${size} bytes`)
      }
      if (size > startSize) await fh.truncate(startSize)
    }
    const stream = fileStream(fh, startSize)
    let done = false
    return {
      stream,
      startSize,
      commit: async () => {
        if (done) throw new Error('writer already closed')
        done = true
        try {
          if (!stream.writableFinished) await new Promise<void>((res, rej) => stream.once('error', rej).end(res))
          await stream.flushed()
          await fh.sync()
          return (await fh.stat()).size
        } finally {
          await fh.close()
        }
      },
      cancel: async () => {
        if (done) return
        done = true
        stream.destroy()
        await stream.flushed()
        await fh.close().catch(() => {})
        if (continuing) await truncate(full, startSize).catch(() => {})
        else await rm(full, { force: true })
      },
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const base = this.full(prefix)
    let dir
    try {
      dir = await opendir(base)
    } catch (err) {
      if (isNotFound(err)) return
      throw err
    }
    for await (const entry of dir) {
      const child = `${prefix}/${entry.name}`
      if (entry.isDirectory()) yield* this.list(child)
      else if (entry.isFile()) yield child
    }
  }

  async move(from: string, to: string): Promise<void> {
    const target = this.full(to)
    const dir = dirname(target)
    await mkdir(dir, { recursive: true })
    await rename(this.full(from), target)
    await fsyncDir(dir)
  }

  async delete(path: string): Promise<void> {
    await rm(this.full(path), { recursive: true, force: true })
  }

  async deleteMany(paths: readonly string[], o: IoOptions = {}): Promise<void> {
    const full = paths.map((p) => this.full(p))
    await forEachBounded(full, UNLINK_CONCURRENCY, (f) => rm(f, { force: true }), o.signal)
  }
}

/** Unlinks in flight at once in deleteMany: enough to keep a disk or NFS busy, few enough file handles. */
const UNLINK_CONCURRENCY = 32

/** Bytes written between background flushes, so that commit's fsync has little left to do. */
const FLUSH_EVERY = 32 << 20

/**
 * A Writable over an open FileHandle that leaves the handle open when it finishes, so the
 * writer can fsync before closing (fs.WriteStream with autoClose: false never emits 'close',
 * which stalls stream.finished and pipeline). While bytes stream in, a datasync starts every
 * FLUSH_EVERY bytes in the background: the disk works while the network delivers.
 */
function fileStream(fh: FileHandle, start: number): Writable & { flushed(): Promise<void> } {
  let position = start
  let unflushed = 0
  let flushing: Promise<void> = Promise.resolve()
  let idle = true
  const put = (buffers: Buffer[]) =>
    writeAll(fh, buffers, position).then((n) => {
      position += n
      unflushed += n
      if (unflushed >= FLUSH_EVERY && idle) {
        unflushed = 0
        idle = false
        flushing = fh.datasync().finally(() => {
          idle = true
        })
      }
    })
  const stream = new Writable({
    highWaterMark: WRITE_BUFFER,
    write(chunk: Buffer, _enc, cb) {
      put([chunk]).then(() => cb(), cb)
    },
    writev(chunks, cb) {
      put(chunks.map((c) => c.chunk as Buffer)).then(() => cb(), cb)
    },
  })
  return Object.assign(stream, { flushed: () => flushing.catch(() => {}) })
}

/** Writes every byte of `buffers` at `position`, continuing after short writes; returns the count. */
async function writeAll(fh: FileHandle, buffers: Buffer[], position: number): Promise<number> {
  let rest = buffers
  let total = 0
  while (rest.length > 0) {
    let { bytesWritten } = await fh.writev(rest, position + total)
    total += bytesWritten
    const next: Buffer[] = []
    for (const b of rest) {
      if (bytesWritten >= b.length) bytesWritten -= b.length
      else {
        next.push(bytesWritten > 0 ? b.subarray(bytesWritten) : b)
        bytesWritten = 0
      }
    }
    rest = next
  }
  return total
}

async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY)
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'ENOENT'
}
