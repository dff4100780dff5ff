// The S3 storage driver: any S3-compatible object store (AWS S3, MinIO, Ceph RGW...).
//
// Layout under the bucket (`<prefix>/` is left out when the prefix is empty):
//
//   <prefix>/<path>                                  a finished file: one immutable object, made by move()
//   <prefix>/<path>.parts/<16-digit start offset>    a file being written: each part object holds the
//                                                    bytes of the file from that offset on
//   <prefix>/<path>.parts/tmp-<uuid>                 scratch object of a cut (see below); never read
//
// A file is either a finished object or a chain of part objects. stat() and read() look for the object
// first (blobs, the hot path, cost one request) and fall back to the parts. The file's size is the sum of
// its contiguous parts from offset 0 (part n+1 starts where part n ends); a part that does not continue
// the chain (a gap or an overlap left by an interrupted write) is garbage that the next write discards.
// Path segments ending in `.parts` are reserved, so no file can be mistaken for a part.
//
// Writes. S3 objects cannot be appended to, so a write is a new part object, and every write is
// continuable by another process that reaches the same bucket (uploads move between nodes):
// - write(path) (a new file) deletes the object and the parts at `path`, and writes part 0.
// - write(path, {offset}) lists the parts and refuses an offset past the chain's end; then it discards
//   what lies beyond `offset`: parts that start after it are deleted, a part that starts exactly at it is
//   deleted (at offset 0 it is replaced by an empty part instead, so the file keeps existing while the
//   write is open and after a cancel), and a part that straddles it is cut to its first
//   (offset - start) bytes, server-side where the store can (see cut()). The write then goes to the part
//   at `offset`. Continuing a finished object turns it into a one-part chain first.
// - The bytes of a write are sent while they stream in: up to `partSize` (5 MiB, S3's minimum) is
//   buffered, then sent as one part of a multipart upload, one part in flight while the next fills
//   (memory per write: about 2 x partSize; also, as observed, the SDK's HTTP stack keeps the last body
//   sent on a socket until that socket's next request). Nothing is visible before commit(): commit() sends the
//   last bytes and completes the multipart upload (or, for a write that never filled a part, sends them
//   in one PutObject), so the part appears atomically and the file's size steps from `offset` to
//   `offset + bytes`. A process that dies mid-write leaves nothing but an incomplete multipart upload:
//   give the bucket a lifecycle rule AbortIncompleteMultipartUpload (e.g. 1 day) to reclaim those.
// - cancel() aborts the multipart upload and, if a commit had been attempted, removes the part it may
//   have published (at offset 0 of a continued file: puts the empty part back), so the file is exactly
//   `offset` bytes again and part boundaries stay where acknowledged sizes are.
// - Part sizes grow with the part number (partSize for parts 1-1000, 2 x partSize for 1001-2000, ...
//   10 x partSize for 9001-10000), so one write can reach 268 GiB within S3's 10,000 parts while the
//   writes of ordinary layers keep 5 MiB buffers.
//
// What BlobStore asks for: it continues an upload at its acknowledged size, which is always a part
// boundary here (a chunk is acknowledged only after its commit, a failed chunk is cancelled, and a crashed
// write publishes nothing), so in practice a continued write deletes at most the part of a chunk that was
// committed but never acknowledged (a crash between the commit and the database update), and never cuts. Cutting is still supported for the general contract
// (and the conformance suite): the kept bytes are copied into a scratch object (a multipart copy with
// UploadPartCopy, or a ranged GET streamed into a PUT where the store lacks it), which is then copied
// over the part with CopyObject: the part is replaced atomically and never read and written at once.
//
// move(from, to) publishes a file at `to` as one object, atomically: nothing is at `to` (or the old
// object stays) until CopyObject or CompleteMultipartUpload succeeds; then the source is deleted.
// - A finished object, or a one-part chain, up to 5 GiB: CopyObject (server-side).
// - Otherwise a multipart upload assembles the destination from the sources: a piece of the file that lies
//   in one source part and is at least 5 MiB (or is the file's end) is copied server-side with
//   UploadPartCopy (5 GiB at most per piece); runs of smaller parts are streamed through this process
//   (ranged GETs piped into an UploadPart of known length, never buffered), grouped into pieces of at
//   least 5 MiB (S3's minimum for all but the last part), borrowing bytes from the next large part when
//   needed. A store that answers UploadPartCopy with NotImplemented gets the bytes streamed instead.
//
// read() streams the object with one ranged GET, or the parts with one ranged GET each. list() pages
// with ListObjectsV2 and reports a chain of parts as its file. delete() removes the object, its parts
// and everything under `path/` with batched DeleteObjects. redirectUrl() presigns GET or HEAD of the
// object for 15 minutes when `redirect` is on.
//
// Requests that send a stream (a piece streamed through, a cut) cannot be retried by the SDK, so they
// go through a client without SDK retries and are retried here with a fresh stream.
import { randomUUID } from 'node:crypto'
import { Readable, Writable } from 'node:stream'
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3ClientConfig,
} from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { assertStoragePath, type FileInfo, type FileWriter, type IoOptions, type StorageDriver } from '../driver.js'

export interface S3DriverOptions {
  /** Endpoint URL (MinIO, Ceph RGW...); empty or undefined: AWS for the region. */
  endpoint?: string
  region: string
  bucket: string
  /** Key prefix under which every path lives; empty: the bucket's root. */
  prefix?: string
  /** Empty or undefined: the SDK's default credential chain. */
  accessKey?: string
  secretKey?: string
  forcePathStyle?: boolean
  /** redirectUrl() answers presigned URLs (else null). */
  redirect?: boolean
  /** Base part size of writes (default and minimum 5 MiB); memory per write is about twice this. */
  partSize?: number
}

const KiB = 1024
const MiB = 1024 * KiB
const GiB = 1024 * MiB
/** S3's minimum size of every part of a multipart upload but the last. */
const MIN_PART = 5 * MiB
/** S3's maximum size of a part, and of a CopyObject source. */
const MAX_PART = 5 * GiB
/** Piece size when a part above MAX_PART is copied in pieces. */
const COPY_PIECE = 4 * GiB
/** Size a streamed piece of a move grows to while small parts follow one another. */
const STREAM_PIECE = 64 * MiB
const MAX_PARTS = 10_000
/** A write keeps its chunks up to this size; past it, it fills a buffer of a part's size. */
const SMALL_WRITE = 1 << 20
/** Parts written per part-size step of a write: part n has partSize * (1 + floor((n - 1) / 1000)) bytes. */
const PARTS_PER_STEP = 1000
/** Pieces of a move sent at once. */
const MOVE_CONCURRENCY = 4
/** Keys per DeleteObjects request (S3's maximum). */
const DELETE_BATCH = 1000
/** Attempts of a request whose body is a stream (each with a fresh stream). */
const STREAM_ATTEMPTS = 3
const PRESIGN_SECONDS = 15 * 60
const PARTS = '.parts'
const PART_NAME = /^\d{16}$/

/** One part object of a file being written. */
interface Part {
  key: string
  start: number
  size: number
  modTime: Date
}

/** Bytes [start, start + length) of object `key`; `whole` when that is all of the object. */
interface Segment {
  key: string
  start: number
  length: number
  whole?: boolean
}

/** One part of a multipart upload that assembles a file: copied server-side, or streamed through. */
type Piece = { kind: 'copy'; segment: Segment } | { kind: 'stream'; segments: Segment[]; length: number }

/** What a path holds: a finished object, a chain of parts, or nothing. */
type Found =
  | { kind: 'object'; key: string; size: number; modTime: Date }
  | { kind: 'parts'; chain: Part[]; all: Part[]; keys: string[]; size: number; modTime: Date }
  | null

export class S3Driver implements StorageDriver {
  readonly name = 's3'
  private readonly client: S3Client
  /** For requests whose body is a stream: no SDK retries (a stream cannot be replayed); see sendStream. */
  private readonly streamClient: S3Client
  private readonly bucket: string
  private readonly root: string
  private readonly redirect: boolean
  private readonly partSize: number
  /** Set once the store answered UploadPartCopy with NotImplemented: pieces are streamed from then on. */
  private partCopyUnsupported = false

  constructor(o: S3DriverOptions) {
    if (o.bucket === '') throw new Error('s3 driver: bucket must be set')
    const prefix = (o.prefix ?? '').replace(/^\/+|\/+$/g, '')
    if (prefix !== '') assertStoragePath(prefix)
    this.bucket = o.bucket
    this.root = prefix === '' ? '' : `${prefix}/`
    this.redirect = o.redirect ?? false
    this.partSize = Math.max(MIN_PART, o.partSize ?? MIN_PART)
    const config: S3ClientConfig = {
      region: o.region,
      forcePathStyle: o.forcePathStyle ?? false,
      // Checksums only where S3 requires them: many S3-compatible stores reject the aws-chunked
      // trailing checksums that the SDK otherwise sends with every upload.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      ...(o.accessKey ? { credentials: { accessKeyId: o.accessKey, secretAccessKey: o.secretKey ?? '' } } : {}),
    }
    this.client = new S3Client(config)
    this.streamClient = new S3Client({ ...config, maxAttempts: 1 })
  }

  /** Closes the HTTP connections of the SDK clients. */
  destroy(): void {
    this.client.destroy()
    this.streamClient.destroy()
  }

  // ---- keys ----

  private check(path: string): void {
    assertStoragePath(path)
    for (const segment of path.split('/')) {
      if (segment.endsWith(PARTS)) throw new Error(`invalid storage path: ${JSON.stringify(path)} (segments ending in ${PARTS} are reserved)`)
    }
  }

  private objectKey(path: string): string {
    this.check(path)
    return this.root + path
  }

  private partsPrefix(path: string): string {
    return `${this.objectKey(path)}${PARTS}/`
  }

  private partKey(path: string, start: number): string {
    return this.partsPrefix(path) + String(start).padStart(16, '0')
  }

  // ---- the StorageDriver contract ----

  async stat(path: string, o: IoOptions = {}): Promise<FileInfo | null> {
    const found = await this.find(path, o)
    return found === null ? null : { path, size: found.size, modTime: found.modTime }
  }

  async read(path: string, o: IoOptions & { offset?: number; length?: number } = {}): Promise<Readable> {
    const key = this.objectKey(path)
    const start = o.offset ?? 0
    if (o.length !== undefined && o.length <= 0) {
      if ((await this.find(path, o)) === null) throw notFound(path)
      return Readable.from([])
    }
    // The hot path (blobs): one ranged GET of the object.
    try {
      const range = o.length !== undefined ? `bytes=${start}-${start + o.length - 1}` : start > 0 ? `bytes=${start}-` : undefined
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }), { abortSignal: o.signal })
      const body = res.Body as Readable
      if (o.length !== undefined && res.ContentLength !== undefined && res.ContentLength > o.length) {
        body.destroy()
        throw new Error(`s3: GET ${key} ${range} answered ${res.ContentLength} bytes`)
      }
      return body
    } catch (err) {
      if (isInvalidRange(err)) return Readable.from([])
      if (!isNotFound(err)) throw err
    }
    const found = await this.findParts(path, o)
    if (found === null) throw notFound(path)
    const end = o.length === undefined ? found.size : Math.min(found.size, start + o.length)
    return this.readSegments(slice(found.chain, start, end), o)
  }

  async write(path: string, o: IoOptions & { offset?: number } = {}): Promise<FileWriter> {
    this.check(path)
    const offset = o.offset
    if (offset === undefined) {
      await this.deleteKeys([this.objectKey(path), ...(await this.keysUnder(this.partsPrefix(path), o))], o)
      return this.openWriter(path, 0, false, o)
    }
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error(`invalid offset ${offset}`)
    const found = await this.findParts(path, o)
    if (found === null) {
      const object = await this.head(this.objectKey(path), o)
      if (object === null) throw notFound(path)
      if (object.size < offset) throw new Error(`cannot continue ${path} at ${offset}: it has ${object.size} bytes`)
      // A finished object becomes a one-part chain of its first `offset` bytes.
      const first = this.partKey(path, 0)
      if (offset > 0) {
        const whole = offset === object.size
        await this.assemble(first, [{ key: this.objectKey(path), start: 0, length: offset, whole }], offset, o)
      } else {
        await this.putEmpty(first, o)
      }
      await this.deleteKeys([this.objectKey(path)], o)
      return this.openWriter(path, offset, true, o)
    }
    if (found.size < offset) throw new Error(`cannot continue ${path} at ${offset}: it has ${found.size} bytes`)
    // Keep the chain's parts that start before the offset; everything else goes.
    const keep = found.chain.filter((p) => p.start < offset)
    const kept = new Set(keep.map((p) => p.key))
    let doomed = found.all.filter((p) => !kept.has(p.key)).map((p) => p.key)
    if (offset === 0) {
      // The file keeps existing, at 0 bytes, while this write is open and after a cancel.
      const firstKey = this.partKey(path, 0)
      const first = found.all.find((p) => p.key === firstKey)
      if (first === undefined || first.size > 0) await this.putEmpty(firstKey, o)
      doomed = doomed.filter((k) => k !== firstKey)
    }
    await this.deleteKeys(doomed, o)
    const last = keep.at(-1)
    if (last !== undefined && last.start + last.size > offset) await this.cut(path, last, offset - last.start, o)
    return this.openWriter(path, offset, true, o)
  }

  async *list(prefix: string, o: IoOptions = {}): AsyncIterable<string> {
    const base = `${this.objectKey(prefix)}/`
    // A file's object and its parts can both exist for a moment (during a move); it is listed once.
    // Keys come in order, so a name can only recur while the listing is within `<name>.parts/`.
    const recent = new Set<string>()
    for await (const { Key } of this.objects(base, o)) {
      if (Key === undefined || Key.endsWith('/')) continue
      const rel = Key.slice(this.root.length)
      for (const name of recent) if (Key > `${this.root}${name}${PARTS}0`) recent.delete(name)
      const i = rel.lastIndexOf(`${PARTS}/`)
      let name = rel
      if (i >= 0) {
        if (!PART_NAME.test(rel.slice(i + PARTS.length + 1))) continue
        name = rel.slice(0, i)
      }
      if (recent.has(name)) continue
      recent.add(name)
      yield name
    }
  }

  async move(from: string, to: string, o: IoOptions = {}): Promise<void> {
    this.check(from)
    const target = this.objectKey(to)
    if (from === to) return
    const found = await this.find(from, o)
    if (found === null) throw notFound(from)
    if (found.kind === 'object') {
      await this.assemble(target, [{ key: found.key, start: 0, length: found.size, whole: true }], found.size, o)
      await this.deleteKeys([found.key], o)
    } else {
      const segments = found.chain.map((p) => ({ key: p.key, start: 0, length: p.size, whole: true }))
      await this.assemble(target, segments, found.size, o)
      await this.deleteKeys(found.keys, o)
    }
    // Parts left at the target (an upload there, never expected) would be shadowed forever: drop them.
    await this.deleteKeys(await this.keysUnder(this.partsPrefix(to), o), o)
  }

  async delete(path: string, o: IoOptions = {}): Promise<void> {
    const key = this.objectKey(path)
    await this.deleteKeys([key], o)
    for (const prefix of [this.partsPrefix(path), `${key}/`]) {
      let batch: string[] = []
      for await (const { Key } of this.objects(prefix, o)) {
        if (Key === undefined) continue
        batch.push(Key)
        if (batch.length === DELETE_BATCH) {
          await this.deleteKeys(batch, o)
          batch = []
        }
      }
      await this.deleteKeys(batch, o)
    }
  }

  /** Files moved into place (one object each, no parts) in DeleteObjects batches of 1000 keys. */
  async deleteMany(paths: readonly string[], o: IoOptions = {}): Promise<void> {
    const keys = paths.map((p) => this.objectKey(p))
    o.signal?.throwIfAborted()
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      o.signal?.throwIfAborted()
      const batch = keys.slice(i, i + DELETE_BATCH)
      await this.deleteKeys(batch, o)
    }
  }

  /** A presigned URL (15 minutes) of a finished file (one moved into place), or null when redirects are off. */
  async redirectUrl(path: string, method: 'GET' | 'HEAD'): Promise<string | null> {
    if (!this.redirect) return null
    const input = { Bucket: this.bucket, Key: this.objectKey(path) }
    const command = method === 'GET' ? new GetObjectCommand(input) : new HeadObjectCommand(input)
    return getSignedUrl(this.client, command, { expiresIn: PRESIGN_SECONDS })
  }

  // ---- finding files ----

  private async find(path: string, o: IoOptions): Promise<Found> {
    const key = this.objectKey(path)
    const object = await this.head(key, o)
    if (object !== null) return { kind: 'object', key, ...object }
    return this.findParts(path, o)
  }

  private async head(key: string, o: IoOptions): Promise<{ size: number; modTime: Date } | null> {
    try {
      const res = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }), { abortSignal: o.signal })
      return { size: res.ContentLength ?? 0, modTime: res.LastModified ?? new Date(0) }
    } catch (err) {
      if (isNotFound(err)) return null
      throw err
    }
  }

  /** The parts of `path` (sorted by start) and their chain from offset 0, or null when there is no part. */
  private async findParts(path: string, o: IoOptions): Promise<Extract<Found, { kind: 'parts' }> | null> {
    const prefix = this.partsPrefix(path)
    const all: Part[] = []
    const keys: string[] = []
    for await (const { Key, Size, LastModified } of this.objects(prefix, o)) {
      if (Key === undefined) continue
      keys.push(Key)
      const name = Key.slice(prefix.length)
      if (!PART_NAME.test(name)) continue
      all.push({ key: Key, start: Number(name), size: Size ?? 0, modTime: LastModified ?? new Date(0) })
    }
    if (all.length === 0) return null
    all.sort((a, b) => a.start - b.start)
    const chain: Part[] = []
    let size = 0
    for (const p of all) {
      if (p.start !== size) break
      chain.push(p)
      size += p.size
    }
    if (chain.length === 0) return null
    const modTime = new Date(Math.max(...chain.map((p) => p.modTime.getTime())))
    return { kind: 'parts', chain, all, keys, size, modTime }
  }

  /** Every object under a key prefix, page by page. */
  private async *objects(prefix: string, o: IoOptions) {
    let token: string | undefined
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        { abortSignal: o.signal },
      )
      yield* page.Contents ?? []
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token !== undefined)
  }

  private async keysUnder(prefix: string, o: IoOptions): Promise<string[]> {
    const keys: string[] = []
    for await (const { Key } of this.objects(prefix, o)) if (Key !== undefined) keys.push(Key)
    return keys
  }

  // ---- reading ----

  /** One stream over the segments, in order, with a ranged GET per segment. */
  private readSegments(segments: Segment[], o: IoOptions): Readable {
    const client = this.client
    const bucket = this.bucket
    async function* bytes() {
      for (const s of segments) {
        if (s.length === 0) continue
        const res = await client.send(
          new GetObjectCommand({ Bucket: bucket, Key: s.key, Range: `bytes=${s.start}-${s.start + s.length - 1}` }),
          { abortSignal: o.signal },
        )
        const body = res.Body as Readable
        let n = 0
        try {
          for await (const chunk of body) {
            n += (chunk as Buffer).length
            if (n > s.length) throw new Error(`s3: ${s.key} answered more than the ${s.length} bytes asked for`)
            yield chunk as Buffer
          }
        } finally {
          body.destroy()
        }
        if (n !== s.length) throw new Error(`s3: ${s.key} answered ${n} of the ${s.length} bytes asked for (changed while read?)`)
      }
    }
    return Readable.from(bytes(), { objectMode: false })
  }

  // ---- writing ----

  private async putEmpty(key: string, o: IoOptions): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: Buffer.alloc(0), ContentLength: 0 }), { abortSignal: o.signal })
  }

  private openWriter(path: string, offset: number, continuing: boolean, o: IoOptions): FileWriter {
    return new PartWriter({
      client: this.client,
      bucket: this.bucket,
      key: this.partKey(path, offset),
      startSize: offset,
      // A continued write at 0 keeps its empty part 0 in place until it commits.
      emptyExists: continuing && offset === 0,
      partSize: this.partSize,
      signal: o.signal,
    })
  }

  /**
   * Cuts part `p` of `path` to its first `keep` bytes: copies them to a scratch object, then that over
   * the part (CopyObject replaces it atomically), so the part is never read and rewritten at once.
   */
  private async cut(path: string, p: Part, keep: number, o: IoOptions): Promise<void> {
    const scratch = `${this.partsPrefix(path)}tmp-${randomUUID()}`
    try {
      await this.assemble(scratch, [{ key: p.key, start: 0, length: keep }], keep, o)
      await this.assemble(p.key, [{ key: scratch, start: 0, length: keep, whole: true }], keep, o)
    } finally {
      await this.deleteKeys([scratch], {}).catch(() => {})
    }
  }

  // ---- assembling objects (move, cut) ----

  /** Writes the concatenation of `segments` (`total` bytes) as the object `target`, atomically. */
  private async assemble(target: string, segments: Segment[], total: number, o: IoOptions): Promise<void> {
    const only = segments.length === 1 ? segments[0]! : undefined
    if (only?.whole === true && total <= MAX_PART) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: target, CopySource: this.copySource(only.key) }), {
        abortSignal: o.signal,
      })
      return
    }
    const pieces = planPieces(segments, total)
    const first = pieces[0]
    if (pieces.length === 1 && first?.kind === 'stream') {
      // Small parts only: one streamed PutObject.
      await this.sendStream(() => new PutObjectCommand({ Bucket: this.bucket, Key: target, Body: this.readSegments(first.segments, o), ContentLength: total }), o)
      return
    }
    if (pieces.length === 0) {
      await this.putEmpty(target, o)
      return
    }
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: target }), { abortSignal: o.signal })
    if (UploadId === undefined) throw new Error(`s3: no upload id for ${target}`)
    try {
      const done: CompletedPart[] = await pool(pieces, MOVE_CONCURRENCY, (piece, i) => this.sendPiece(target, UploadId, i + 1, piece, o))
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: target, UploadId, MultipartUpload: { Parts: done } }),
        { abortSignal: o.signal },
      )
    } catch (err) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: target, UploadId })).catch(() => {})
      throw err
    }
  }

  private async sendPiece(target: string, uploadId: string, partNumber: number, piece: Piece, o: IoOptions): Promise<CompletedPart> {
    const base = { Bucket: this.bucket, Key: target, UploadId: uploadId, PartNumber: partNumber }
    if (piece.kind === 'copy' && !this.partCopyUnsupported) {
      const s = piece.segment
      try {
        const res = await this.client.send(
          new UploadPartCopyCommand({ ...base, CopySource: this.copySource(s.key), CopySourceRange: `bytes=${s.start}-${s.start + s.length - 1}` }),
          { abortSignal: o.signal },
        )
        return { PartNumber: partNumber, ETag: res.CopyPartResult?.ETag }
      } catch (err) {
        if (!isNotImplemented(err)) throw err
        this.partCopyUnsupported = true
      }
    }
    const segments = piece.kind === 'copy' ? [piece.segment] : piece.segments
    const length = piece.kind === 'copy' ? piece.segment.length : piece.length
    const res = await this.sendStream(() => new UploadPartCommand({ ...base, Body: this.readSegments(segments, o), ContentLength: length }), o)
    return { PartNumber: partNumber, ETag: res.ETag }
  }

  /** Sends a command whose body is a fresh stream each attempt; retries what S3 says is worth retrying. */
  private async sendStream(make: () => PutObjectCommand | UploadPartCommand, o: IoOptions): Promise<{ ETag?: string }> {
    for (let attempt = 1; ; attempt++) {
      const command = make()
      try {
        const options = { abortSignal: o.signal }
        return command instanceof UploadPartCommand ? await this.streamClient.send(command, options) : await this.streamClient.send(command, options)
      } catch (err) {
        ;(command.input.Body as Readable | undefined)?.destroy()
        if (attempt >= STREAM_ATTEMPTS || o.signal?.aborted === true || !isRetryable(err)) throw err
        await new Promise((r) => setTimeout(r, 200 * attempt))
      }
    }
  }

  private copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`
  }

  private async deleteKeys(keys: string[], o: IoOptions): Promise<void> {
    if (keys.length === 1) {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: keys[0] }), { abortSignal: o.signal })
      return
    }
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const batch = keys.slice(i, i + DELETE_BATCH)
      const res = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        { abortSignal: o.signal },
      )
      const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey')
      if (failed.length > 0) throw new Error(`s3: could not delete ${failed.length} object(s), e.g. ${failed[0]!.Key}: ${failed[0]!.Code} ${failed[0]!.Message}`)
    }
  }
}

/**
 * Plans the parts of a multipart upload that assembles `segments` (`total` bytes): pieces of at least
 * MIN_PART bytes (but the last) that lie in one segment are copied, the rest is streamed.
 */
export function planPieces(segments: readonly Segment[], total: number): Piece[] {
  const pieces: Piece[] = []
  const live = segments.filter((s) => s.length > 0)
  let i = 0
  let off = 0
  while (i < live.length) {
    const s = live[i]!
    const rest = s.length - off
    if (rest >= MIN_PART || i === live.length - 1) {
      // Copy the rest of this segment, in pieces of at most MAX_PART (each remainder stays >= MIN_PART).
      let at = s.start + off
      let left = rest
      while (left > 0) {
        const n = left > MAX_PART ? COPY_PIECE : left
        pieces.push({ kind: 'copy', segment: { key: s.key, start: at, length: n } })
        at += n
        left -= n
      }
      i++
      off = 0
      continue
    }
    // Stream this short rest, then following segments, until the piece is big enough.
    const taken: Segment[] = [{ key: s.key, start: s.start + off, length: rest }]
    let length = rest
    i++
    off = 0
    while (i < live.length && length < STREAM_PIECE) {
      const next = live[i]!
      if (next.length >= MIN_PART) {
        if (length >= MIN_PART) break
        const need = MIN_PART - length
        if (next.length - need >= MIN_PART) {
          // Borrow just enough; the large rest is still copied.
          taken.push({ key: next.key, start: next.start, length: need })
          length += need
          off = need
          break
        }
      }
      taken.push(next)
      length += next.length
      i++
    }
    pieces.push({ kind: 'stream', segments: taken, length })
  }
  if (pieces.length <= MAX_PARTS) return pieces
  // Too many pieces (a huge file of small parts): stream it all in equal pieces.
  const size = Math.max(MIN_PART, Math.ceil(total / (MAX_PARTS - 1)))
  const uniform: Piece[] = []
  for (let at = 0; at < total; at += size) {
    const end = Math.min(total, at + size)
    uniform.push({ kind: 'stream', segments: sliceSegments(live, at, end), length: end - at })
  }
  return uniform
}

/** The segments covering bytes [start, end) of the file made of `parts`. */
function slice(parts: readonly Part[], start: number, end: number): Segment[] {
  return sliceSegments(
    parts.map((p) => ({ key: p.key, start: 0, length: p.size })),
    start,
    end,
  )
}

function sliceSegments(segments: readonly Segment[], start: number, end: number): Segment[] {
  const out: Segment[] = []
  let at = 0
  for (const s of segments) {
    const from = Math.max(start, at)
    const to = Math.min(end, at + s.length)
    if (from < to) out.push({ key: s.key, start: s.start + (from - at), length: to - from })
    at += s.length
    if (at >= end) break
  }
  return out
}

/** Runs `fn` over `items` with at most `limit` at once; results in order; stops starting work after a failure. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  let failed = false
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++
      try {
        results[i] = await fn(items[i]!, i)
      } catch (err) {
        failed = true
        throw err
      }
    }
  }
  const runs = Array.from({ length: Math.min(limit, items.length) }, worker)
  const settled = await Promise.allSettled(runs)
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
  if (rejected !== undefined) throw rejected.reason
  return results
}

interface PartWriterOptions {
  client: S3Client
  bucket: string
  /** The part object this write publishes. */
  key: string
  startSize: number
  /** An empty object already exists at `key` (a continued write at offset 0). */
  emptyExists: boolean
  partSize: number
  signal: AbortSignal | undefined
}

/**
 * One write: bytes are buffered up to a part's size and sent as parts of a multipart upload, one part in
 * flight while the next fills; commit() publishes the object, cancel() leaves no trace of it.
 */
class PartWriter implements FileWriter {
  readonly stream: Writable
  readonly startSize: number
  private state: 'open' | 'committing' | 'committed' | 'failed' | 'cancelled' = 'open'
  /** Bytes of the part being filled: chunks while they are few, then a buffer of the part's size. */
  private chunks: Buffer[] = []
  private buffered = 0
  private fill: Buffer | null = null
  private filled = 0
  private bytes = 0
  private uploadId: string | undefined
  private readonly parts: CompletedPart[] = []
  /** The part being sent; its failure fails the next write, final() or commit(). */
  private inflight: Promise<void> = Promise.resolve()

  constructor(private readonly o: PartWriterOptions) {
    this.startSize = o.startSize
    this.stream = new Writable({
      highWaterMark: 1 << 20,
      write: (chunk: Buffer, _enc, cb) => this.take([chunk]).then(() => cb(), cb),
      writev: (chunks, cb) => this.take(chunks.map((c) => c.chunk as Buffer)).then(() => cb(), cb),
      final: (cb) => this.inflight.then(() => cb(), cb),
    })
  }

  private partBytes(): number {
    return this.o.partSize * (1 + Math.floor(this.parts.length / PARTS_PER_STEP))
  }

  private async take(chunks: Buffer[]): Promise<void> {
    for (let chunk of chunks) {
      this.bytes += chunk.length
      while (chunk.length > 0) {
        if (this.fill === null) {
          // Small so far: keep the chunks; past SMALL_WRITE, a part buffer is allocated and filled.
          if (this.buffered + chunk.length <= SMALL_WRITE) {
            this.chunks.push(chunk)
            this.buffered += chunk.length
            break
          }
          this.fill = Buffer.allocUnsafe(this.partBytes())
          for (const c of this.chunks) this.filled += c.copy(this.fill, this.filled)
          this.chunks = []
          this.buffered = 0
        }
        const n = chunk.copy(this.fill, this.filled)
        this.filled += n
        chunk = chunk.subarray(n)
        if (this.filled === this.fill.length) {
          // One part in flight: the previous one must be sent before this one goes.
          await this.inflight
          if (this.state !== 'open') throw new Error('write closed')
          if (this.parts.length >= MAX_PARTS) throw new Error(`s3: a write of more than ${MAX_PARTS} parts`)
          const body = this.fill
          this.fill = null
          this.filled = 0
          const number = this.parts.length + 1
          this.parts.push({ PartNumber: number })
          const sending = this.sendPart(number, body)
          sending.catch(() => {})
          this.inflight = sending
        }
      }
    }
  }

  /** The bytes not yet sent. */
  private tail(): Buffer {
    const tail = this.fill !== null ? this.fill.subarray(0, this.filled) : Buffer.concat(this.chunks, this.buffered)
    this.fill = null
    this.chunks = []
    return tail
  }

  private async sendPart(number: number, body: Buffer): Promise<void> {
    const { client, bucket, key, signal } = this.o
    if (this.uploadId === undefined) {
      const res = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }), { abortSignal: signal })
      if (res.UploadId === undefined) throw new Error(`s3: no upload id for ${key}`)
      this.uploadId = res.UploadId
    }
    const res = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId, PartNumber: number, Body: body, ContentLength: body.length }),
      { abortSignal: signal },
    )
    this.parts[number - 1] = { PartNumber: number, ETag: res.ETag }
  }

  async commit(): Promise<number> {
    if (this.state !== 'open') throw new Error('writer already closed')
    this.state = 'committing'
    try {
      if (!this.stream.writableFinished) {
        await new Promise<void>((res, rej) => {
          this.stream.once('error', rej)
          this.stream.end(() => res())
        })
      }
      await this.inflight
      const { client, bucket, key, signal } = this.o
      const tail = this.tail()
      if (this.uploadId === undefined) {
        // Never filled a part: one PutObject (none for an empty continuation: nothing to add).
        if (tail.length > 0 || !(this.startSize > 0 || this.o.emptyExists)) {
          await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: tail, ContentLength: tail.length }), { abortSignal: signal })
        }
      } else {
        if (tail.length > 0) {
          const number = this.parts.length + 1
          this.parts.push({ PartNumber: number })
          await this.sendPart(number, tail)
        }
        await client.send(
          new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts } }),
          { abortSignal: signal },
        )
        this.uploadId = undefined
      }
      this.state = 'committed'
      return this.startSize + this.bytes
    } catch (err) {
      this.state = 'failed'
      throw err
    }
  }

  async cancel(): Promise<void> {
    if (this.state === 'committed' || this.state === 'cancelled') return
    const attempted = this.state !== 'open'
    this.state = 'cancelled'
    this.tail()
    this.stream.destroy()
    // No part starts once cancelled (take() checks the state after each wait): wait out the last one.
    for (let seen = this.inflight; ; seen = this.inflight) {
      await seen.catch(() => {})
      if (seen === this.inflight) break
    }
    const { client, bucket, key } = this.o
    // Cleanup runs without the write's signal: it must happen even when the write was aborted.
    if (this.uploadId !== undefined) {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: this.uploadId })).catch(() => {})
      this.uploadId = undefined
    }
    if (attempted) {
      // A commit may have published the part before failing: undo it.
      if (this.o.emptyExists) await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(0), ContentLength: 0 }))
      else await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
    }
  }
}

function notFound(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOENT: no such file in storage: ${path}`), { code: 'ENOENT' })
}

function errorName(err: unknown): string | undefined {
  return (err as { name?: string } | null)?.name
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode
}

function isNotFound(err: unknown): boolean {
  const name = errorName(err)
  return name === 'NoSuchKey' || name === 'NotFound'
}

function isInvalidRange(err: unknown): boolean {
  return errorName(err) === 'InvalidRange' || httpStatus(err) === 416
}

function isNotImplemented(err: unknown): boolean {
  return errorName(err) === 'NotImplemented' || httpStatus(err) === 501
}

function isRetryable(err: unknown): boolean {
  const status = httpStatus(err)
  if (status !== undefined) return status >= 500 || status === 429 || status === 408
  const code = (err as NodeJS.ErrnoException | null)?.code
  return ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED'].includes(code ?? '') || errorName(err) === 'TimeoutError'
}
