// A fake S3 for tests: s3rver (in-process, on 127.0.0.1, a temp directory, one bucket), with fixes and
// additions so that it behaves like S3 where the S3 driver relies on it:
// - UploadPartCopy (s3rver answers NotImplemented): emulated by copying the range into the part
//   (`partCopy: false` keeps s3rver's NotImplemented, to test the driver's fallback);
// - AbortMultipartUpload (s3rver answers MethodNotAllowed): emulated;
// - EntityTooSmall (s3rver completes uploads with parts below 5 MiB): enforced on completion;
// - PUT and UploadPart answer before the bytes are on disk (s3rver resolves on its hashing stream's
//   'finish', not the file's), and a PUT overwrites in place: made durable and atomic (temp + rename);
// - an object's metadata and MD5 files are rewritten in place, and CopyObject deletes the target's
//   files before copying, so a HEAD, GET or copy racing a PUT or copy of the same key found a file
//   missing or half-written and answered 500 (seen with the cluster suite's nine pushes of one blob):
//   each file is replaced atomically (temp + rename), as S3 never shows a half-written object;
// - DeleteObject removed the folders it left empty, racing writes that had just created them and
//   listings walking them (500s): empty folders are left (a listing shows files only), and a
//   listing skips a file or folder deleted while it walks;
// - ranged GET of `bytes=0-0` returns the whole object, and a range on an empty object answers 206 with
//   a wrong length: ranges fixed (an unsatisfiable range answers 416, like S3).
// Not emulated: SigV4 signatures are not verified (any secret passes; the access key must exist, and a
// presigned URL's expiry is checked), conditional writes, versioning, ListMultipartUploads.
import { spawn } from 'node:child_process'
import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream, readdirSync, statSync } from 'node:fs'
import { copyFile, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join, posix } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import { S3Driver, type S3DriverOptions } from '../../src/storage/drivers/s3.js'

export interface FakeS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string
  bucket: string
  accessKey: string
  secretKey: string
  region: string
  /** What the emulated operations did. */
  stats: { partCopies: number; aborts: number; completes: number; tooSmall: number }
  stop(): Promise<void>
}

export interface StartS3Options {
  /** Emulate UploadPartCopy (default true); false: NotImplemented, as s3rver answers. */
  partCopy?: boolean
}

// The AWS SDK warns once per process that its releases after January 2027 need Node 22: noise in test
// output (Berth processes started by the tests inherit this too).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

/* eslint-disable @typescript-eslint/no-explicit-any */
const require = createRequire(import.meta.url)
type Walk = (dir: string, recurseFilter?: (dir: string) => boolean) => Generator<string>
// Before s3rver loads: its store takes `walk` from utils when it is first required.
const s3rverUtils = require('s3rver/lib/utils') as { walk: Walk }
s3rverUtils.walk = function* walk(dir: string, recurseFilter?: (dir: string) => boolean): Generator<string> {
  const vanished = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT'
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch (err) {
    if (vanished(err)) return
    throw err
  }
  for (const name of names) {
    const path = posix.join(dir, name)
    let isDirectory: boolean
    try {
      isDirectory = statSync(path).isDirectory()
    } catch (err) {
      if (vanished(err)) continue
      throw err
    }
    if (!isDirectory) yield path
    else if (recurseFilter === undefined || recurseFilter(path)) yield* walk(path, recurseFilter)
  }
}
const S3rver = require('s3rver') as new (o: Record<string, unknown>) => any
const S3Error = require('s3rver/lib/models/error') as new (code: string, message?: string, detail?: Record<string, unknown>) => Error
const S3Object = require('s3rver/lib/models/object') as (new (bucket: string, key: string, content: unknown, metadata: Record<string, unknown>) => any) & { ALLOWED_METADATA: string[] }

const MIN_PART = 5 * 1024 * 1024

export async function startS3(o: StartS3Options = {}): Promise<FakeS3> {
  const directory = await mkdtemp(join(tmpdir(), 'berth-s3rver-'))
  const bucket = 'berth-test'
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false, configureBuckets: [{ name: bucket }] })
  const store = server.store
  const stats = { partCopies: 0, aborts: 0, completes: 0, tooSmall: 0 }
  const partSizes = new Map<string, number>()
  const uploadsDir = (b: string) => store.getResourcePath(b, undefined, 'uploads') as string

  /** Streams `content` to `path` through a temp file; resolves once the file is complete. */
  const writeDurably = async (path: string, content: Buffer | Readable) => {
    await mkdir(dirname(path), { recursive: true })
    const md5 = createHash('md5')
    let size = 0
    const tmp = `${path}.${randomUUID()}.tmp`
    const count = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        md5.update(chunk)
        size += chunk.length
        cb(null, chunk)
      },
    })
    await pipeline(Buffer.isBuffer(content) ? Readable.from([content]) : content, count, createWriteStream(tmp))
    return { tmp, size, md5: md5.digest('hex') }
  }

  store.putObject = async function (object: any) {
    const path = this.getResourcePath(object.bucket, object.key, 'object')
    const { tmp, size, md5 } = await writeDurably(path, object.content)
    await this.putMetadata(object.bucket, object.key, object.metadata, md5)
    await rename(tmp, path)
    return { size, md5 }
  }

  const replaceFile = async (path: string, text: string) => {
    const tmp = `${path}.${randomUUID()}.tmp`
    await writeFile(tmp, text)
    await rename(tmp, path)
  }
  store.putMetadata = async function (b: string, key: string, metadata: Record<string, unknown>, md5?: string) {
    const kept = Object.entries(metadata ?? {}).filter(([k]) => S3Object.ALLOWED_METADATA.includes(k) || k.startsWith('x-amz-meta-'))
    if (md5) await replaceFile(this.getResourcePath(b, key, 'object.md5'), md5)
    await replaceFile(this.getResourcePath(b, key, 'metadata.json'), JSON.stringify(Object.fromEntries(kept), null, 2))
  }

  const copyFileAtomically = async (from: string, to: string) => {
    const tmp = `${to}.${randomUUID()}.tmp`
    await copyFile(from, tmp)
    await rename(tmp, to)
  }
  store.copyObject = async function (srcBucket: string, srcKey: string, destBucket: string, destKey: string, replacementMetadata?: Record<string, unknown>) {
    const src = (part: string) => this.getResourcePath(srcBucket, srcKey, part) as string
    const dest = (part: string) => this.getResourcePath(destBucket, destKey, part) as string
    const elsewhere = src('object') !== dest('object')
    if (elsewhere) {
      await mkdir(dirname(dest('object')), { recursive: true })
      await copyFileAtomically(src('object'), dest('object'))
    }
    if (replacementMetadata) {
      await this.putMetadata(destBucket, destKey, replacementMetadata)
    } else if (elsewhere) {
      await copyFileAtomically(src('metadata.json'), dest('metadata.json'))
      await copyFileAtomically(src('object.md5'), dest('object.md5'))
    }
    return this.getMetadata(destBucket, destKey)
  }

  store.deleteObject = async function (b: string, key: string) {
    for (const part of ['object', 'object.md5', 'metadata.json']) await rm(this.getResourcePath(b, key, part), { force: true })
  }

  store.putPart = async function (b: string, uploadId: string, partNumber: string | number, content: Readable) {
    const path = join(uploadsDir(b), uploadId, String(partNumber))
    const { tmp, size, md5 } = await writeDurably(path, content)
    await rename(tmp, path)
    await writeFile(`${path}.md5`, md5)
    partSizes.set(`${uploadId}/${Number(partNumber)}`, size)
    return { size, md5 }
  }

  const putObjectMultipart = store.putObjectMultipart.bind(store)
  store.putObjectMultipart = async function (b: string, uploadId: string, parts: { number: number }[]) {
    const numbers = parts.map((p) => Number(p.number)).sort((x, y) => x - y)
    for (const n of numbers.slice(0, -1)) {
      const size = partSizes.get(`${uploadId}/${n}`) ?? 0
      if (size < MIN_PART) {
        stats.tooSmall++
        throw new S3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', {
          PartNumber: n,
          ProposedSize: size,
          MinSizeAllowed: MIN_PART,
        })
      }
    }
    const result = await putObjectMultipart(b, uploadId, parts)
    stats.completes++
    return result
  }

  store.getObject = async function (b: string, key: string, options?: { start?: number; end?: number }) {
    let metadata: Record<string, unknown>
    try {
      metadata = await this.getMetadata(b, key)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    const path = this.getResourcePath(b, key, 'object')
    const size = Number(metadata['content-length'])
    const ranged = options !== undefined && (options.start !== undefined || options.end !== undefined)
    const object = new S3Object(b, key, null, metadata)
    if (!ranged) {
      object.content = await opened(createReadStream(path))
      return object
    }
    const start = options.start ?? 0
    const end = Math.min(options.end ?? Infinity, size - 1)
    object.range = { start, end }
    if (start <= end) object.content = await opened(createReadStream(path, { start, end }))
    return object
  }

  // Operations s3rver lacks, answered before its router.
  const emulate = async (ctx: any, next: () => Promise<void>) => {
    const [, b, ...rest] = (ctx.path as string).split('/')
    const key = rest.map((s) => decodeURIComponent(s)).join('/')
    const q = ctx.query as Record<string, string | undefined>
    if (b === undefined || key === '' || q.uploadId === undefined) return next()
    if (ctx.method === 'DELETE') {
      await rm(join(uploadsDir(b), q.uploadId), { recursive: true, force: true })
      stats.aborts++
      ctx.status = 204
      return
    }
    const source = ctx.get('x-amz-copy-source') as string
    if (ctx.method === 'PUT' && q.partNumber !== undefined && source !== '' && o.partCopy !== false) {
      const [srcBucket, ...srcKey] = decodeURIComponent(source).replace(/^\//, '').split('/')
      const m = /^bytes=(\d+)-(\d+)$/.exec(ctx.get('x-amz-copy-source-range') as string)
      const object = await store.getObject(srcBucket, srcKey.join('/'), m === null ? undefined : { start: Number(m[1]), end: Number(m[2]) })
      if (object === null) throw new S3Error('NoSuchKey', 'The specified key does not exist.', { Key: srcKey.join('/') })
      if (object.content === null) throw new S3Error('InvalidRange', 'The requested range is not satisfiable')
      const { md5 } = await store.putPart(b, q.uploadId, q.partNumber, object.content)
      stats.partCopies++
      ctx.body = { CopyPartResult: { LastModified: new Date().toISOString(), ETag: JSON.stringify(md5) } }
      return
    }
    return next()
  }
  const middleware = server.middleware as unknown[]
  middleware.splice(middleware.length - 1, 0, emulate)
  // What made it answer 500 (InternalError), on stderr: a fault of the fake, not of the client.
  middleware.splice(1, 0, async (ctx: any, next: () => Promise<void>) => {
    try {
      await next()
    } catch (err) {
      if (!(err instanceof S3Error)) process.stderr.write(`fake S3: ${ctx.method} ${ctx.url} failed: ${(err as Error).stack ?? String(err)}\n`)
      throw err
    }
  })

  const address = (await server.run()) as AddressInfo
  let stopped = false
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    bucket,
    accessKey: 'S3RVER',
    secretKey: 'S3RVER',
    region: 'us-east-1',
    stats,
    stop: async () => {
      if (stopped) return
      stopped = true
      server.httpServer?.closeAllConnections?.()
      await server.close()
      await rm(directory, { recursive: true, force: true })
    },
  }
}

/**
 * The same fake S3 in a child process (no stats): for measuring the memory of the process under test
 * without the server's. The child exits when its stdin closes (stop(), or this process dying).
 */
export async function startS3Process(o: StartS3Options = {}): Promise<Omit<FakeS3, 'stats'>> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve', JSON.stringify(o)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const exited = new Promise<void>((res) => child.once('exit', () => res()))
  const line = await new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString()
      if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')))
    })
    child.once('error', reject)
    void exited.then(() => reject(new Error(`fake S3 process exited early: ${out}`)))
  })
  const info = JSON.parse(line) as Omit<FakeS3, 'stats' | 'stop'>
  return {
    ...info,
    stop: async () => {
      child.stdin.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
    },
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--serve') {
  const s3 = await startS3(JSON.parse(process.argv[3] ?? '{}') as StartS3Options)
  const { endpoint, bucket, accessKey, secretKey, region } = s3
  process.stdout.write(`${JSON.stringify({ endpoint, bucket, accessKey, secretKey, region })}\n`)
  process.stdin.resume()
  process.stdin.once('end', () => void s3.stop().then(() => process.exit(0)))
}

function opened(stream: ReturnType<typeof createReadStream>): Promise<ReturnType<typeof createReadStream>> {
  return new Promise((resolve, reject) => stream.once('error', reject).once('open', () => resolve(stream)))
}

/** Where a fake S3 is: what driverFor and berthS3Env need of it. */
export type S3Endpoint = Pick<FakeS3, 'endpoint' | 'region' | 'bucket' | 'accessKey' | 'secretKey'>

/** An S3Driver on the fake server's bucket (path-style, as the fake needs). */
export function driverFor(s3: S3Endpoint, o: Partial<S3DriverOptions> & { prefix: string }): S3Driver {
  return new S3Driver({ endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, accessKey: s3.accessKey, secretKey: s3.secretKey, forcePathStyle: true, ...o })
}

/** The BERTH_* settings that put a Berth process's storage on the fake server's bucket. */
export function berthS3Env(s3: S3Endpoint, extra: Record<string, string> = {}): Record<string, string> {
  return {
    BERTH_STORAGE_DRIVER: 's3',
    BERTH_S3_ENDPOINT: s3.endpoint,
    BERTH_S3_BUCKET: s3.bucket,
    BERTH_S3_ACCESS_KEY: s3.accessKey,
    BERTH_S3_SECRET_KEY: s3.secretKey,
    BERTH_S3_FORCE_PATH_STYLE: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  }
}
