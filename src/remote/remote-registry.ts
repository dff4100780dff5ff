// A registry reached over HTTP through the distribution API (OCI distribution spec v1.1): Berth
// peers, Harbor, the CNCF distribution registry, Docker Hub. Anonymous first, then Bearer tokens
// or Basic credentials as the registry asks; waits out throttling (429/503 + Retry-After); retries
// idempotent requests; sends large blobs in chunks and resumes a chunk that failed from what the
// registry acknowledged. Every connection goes through the outbound guard. What a registry
// answers is bounded: bodies are read with a byte cap, and paginated listings by pages, items
// and bytes, so a hostile registry cannot make a listing endless.
import { pipeline, Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { request, type Dispatcher } from 'undici'
import { BerthError, isBerthError, type ErrorCode } from '../lib/errors.js'
import { ATTR, SpanKind, SpanStatusCode, contextWith, failSpan, injectContext, startSpan } from '../lib/tracing.js'
import { readCapped } from '../lib/streams.js'
import { digestOf, isDigest } from '../oci/digest.js'
import { listedDescriptors, parseManifest, type Descriptor } from '../oci/manifest.js'
import { MANIFEST_MEDIA_TYPES, MediaType } from '../oci/media-types.js'
import { PATH_HEADER, type ManifestDoc, type RegistryEndpoint, type WriteOptions } from './endpoint.js'
import type { OutboundGuard } from './outbound-guard.js'
import { Skip, SourceReader } from './source-reader.js'
import { throttled, TokenBucket } from './throttle.js'
import { parseChallenge, TokenAuth } from './token-auth.js'

export interface RemoteRegistryOptions {
  /** e.g. https://registry.example.com; https://hub.docker.com and https://docker.io mean Docker Hub. */
  url: string
  username?: string
  password?: string
  /** Skip TLS certificate verification. */
  insecure?: boolean
  guard: OutboundGuard
  /** Blobs larger than this go in PATCH chunks of this size; default 16 MiB. */
  chunkBytes?: number
  /** Page size of catalog and tag listings; default 100. */
  pageSize?: number
  userAgent?: string
  /** The longest a Retry-After is waited; default 60 s. */
  maxRetryAfterMs?: number
  /** Upload and download rate limit for this registry; 0 or undefined: unlimited. */
  bandwidthBytesPerSec?: number
  /** Wall clock (ms) for token expiry and Retry-After dates; default Date.now. */
  now?: () => number
  /** Bounds of one listing (a tag list, the catalog, a referrers list); DEFAULT_LIST_LIMITS where absent. */
  listLimits?: Partial<ListLimits>
}

/** What one listing of a remote registry may take before it fails. */
export interface ListLimits {
  /** Pages (requests) of one paginated listing. */
  maxPages: number
  /** Names or descriptors in one listing. */
  maxItems: number
  /** Bytes of all the pages of one listing together. */
  maxBytes: number
}

export const DEFAULT_LIST_LIMITS: ListLimits = { maxPages: 10_000, maxItems: 100_000, maxBytes: 64 * 1024 * 1024 }

/** The setting each bound is configured by, named in the error when a listing hits it. */
const LIMIT_SETTINGS: Record<keyof ListLimits, string> = {
  maxPages: 'replication.remote_max_pages',
  maxItems: 'replication.remote_max_items',
  maxBytes: 'replication.remote_max_list_bytes',
}

/** Whether `err` is a listing that hit one of its bounds (retrying it would hit it again). */
export function isListLimit(err: unknown): err is BerthError {
  return isBerthError(err) && typeof (err.detail as { setting?: unknown } | undefined)?.setting === 'string'
}

const OCTETS = 'application/octet-stream'
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024
const MAX_SMALL_BODY = 64 * 1024
/** 429/503 answers waited out before the request fails. */
const THROTTLE_RETRIES = 8
/** Network errors and 5xx answers retried for GET and HEAD. */
const IDEMPOTENT_RETRIES = 3
const MAX_REDIRECTS = 5
/** Failed upload requests in a row, each resumed from what the registry acknowledged. */
const UPLOAD_RESUMES = 5
const DOCKER_HUB_HOSTS = new Set(['hub.docker.com', 'docker.io', 'index.docker.io', 'registry-1.docker.io'])
const DOCKER_HUB_API = 'https://registry-1.docker.io'
/** The distribution spec's error codes: a registry's own code is kept when it is one of these. */
const OCI_CODES = new Set<ErrorCode>([
  'BLOB_UNKNOWN', 'BLOB_UPLOAD_INVALID', 'BLOB_UPLOAD_UNKNOWN', 'DIGEST_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN', 'NAME_INVALID', 'NAME_UNKNOWN', 'SIZE_INVALID', 'UNAUTHORIZED', 'DENIED', 'UNSUPPORTED', 'TOOMANYREQUESTS',
])
const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'BAD_REQUEST', 401: 'UNAUTHORIZED', 403: 'DENIED', 404: 'NOT_FOUND', 405: 'UNSUPPORTED', 409: 'CONFLICT',
  412: 'PRECONDITION', 416: 'RANGE_NOT_SATISFIABLE', 429: 'TOOMANYREQUESTS',
}

type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE'
type Answer = Dispatcher.ResponseData

interface Call {
  method: Method
  /** A path on the registry (`/v2/...`) or an absolute URL (upload locations, next pages). */
  url: string | URL
  /** Token scopes the request needs. */
  scopes: readonly string[]
  headers?: Record<string, string>
  /** Made anew for every attempt (a retry sends it again). */
  body?: () => Promise<Readable | Buffer> | Buffer
  signal?: AbortSignal | undefined
  /** Follow redirects (blob reads: storage may hand out presigned URLs). */
  follow?: boolean
  /** No registry credentials (the token request carries its own). */
  anonymous?: boolean
}

const pull = (name: string) => `repository:${name}:pull`
const push = (name: string) => `repository:${name}:pull,push`

function header(res: Answer, name: string): string | undefined {
  const v = res.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** The HTTP status a BerthError from this module carries: null for a network failure, undefined for anything else. */
function statusOf(err: unknown): number | null | undefined {
  if (!isBerthError(err)) return undefined
  const detail = err.detail as { status?: number | null } | undefined
  return detail?.status
}

/** The URL of `Link: <...>; rel="next"`, if any. */
function nextLink(raw: string | undefined): string | null {
  for (const part of raw?.split(',') ?? []) {
    const m = /<([^>]*)>\s*;.*\brel="?next"?/.exec(part)
    if (m !== null) return m[1]!
  }
  return null
}

/**
 * `expected` when `body` hashes to it, else DIGEST_INVALID; without `expected` (a registry that
 * does not say), the sha256 of `body`. A claimed digest must be one Berth can check.
 */
function verifiedDigest(body: Buffer, expected: string | undefined, what: string): string {
  if (expected === undefined) return digestOf(body)
  if (!isDigest(expected)) throw new BerthError('DIGEST_INVALID', `${what}: ${JSON.stringify(expected.slice(0, 200))} is not a sha256 or sha512 digest`)
  const actual = digestOf(body, expected.startsWith('sha512:') ? 'sha512' : 'sha256')
  if (actual !== expected) throw new BerthError('DIGEST_INVALID', `${what}: the bytes hash to ${actual}, not ${expected}`)
  return actual
}

/** A manifest another registry sent, parsed as Berth parses pushes (one parser for both); MANIFEST_INVALID names where it came from. */
function remoteManifest(body: Buffer, contentType: string | undefined, where: string): ReturnType<typeof parseManifest> {
  try {
    return parseManifest(body, contentType)
  } catch (err) {
    if (isBerthError(err)) throw new BerthError(err.code, `${where}: ${err.message}`, err.detail)
    throw err
  }
}

/** The tag the referrers tag schema keeps `<alg>:<hex>`'s referrers under. */
function referrersTag(digest: string): string {
  const [alg = '', hex = ''] = digest.split(':')
  return `${alg.slice(0, 32)}-${hex.slice(0, 64)}`
}

export class RemoteRegistry implements RegistryEndpoint {
  private readonly origin: string
  private readonly dockerHub: boolean
  private readonly dispatcher: Dispatcher
  private readonly auth: TokenAuth
  private readonly chunkBytes: number
  private readonly pageSize: number
  private readonly limits: ListLimits
  private readonly userAgent: string
  private readonly maxRetryAfterMs: number
  private readonly bucket: TokenBucket | null
  private readonly now: () => number
  private probing: Promise<void> | null = null

  constructor(o: RemoteRegistryOptions) {
    const url = new URL(o.url)
    this.dockerHub = DOCKER_HUB_HOSTS.has(url.hostname.toLowerCase())
    this.origin = this.dockerHub ? DOCKER_HUB_API : url.origin
    this.dispatcher = o.guard.dispatcher({ insecure: o.insecure === true })
    this.auth = new TokenAuth(o, (url, headers, signal) => this.tokenAnswer(url, headers, signal), o.now ?? Date.now)
    this.chunkBytes = o.chunkBytes ?? 16 * 1024 * 1024
    this.pageSize = o.pageSize ?? 100
    this.limits = { ...DEFAULT_LIST_LIMITS, ...o.listLimits }
    this.userAgent = o.userAgent ?? 'berth-replication'
    this.maxRetryAfterMs = o.maxRetryAfterMs ?? 60_000
    this.bucket = o.bandwidthBytesPerSec !== undefined && o.bandwidthBytesPerSec > 0 ? new TokenBucket(o.bandwidthBytesPerSec) : null
    this.now = o.now ?? Date.now
  }

  async *repositories(signal?: AbortSignal): AsyncIterable<string> {
    if (this.dockerHub) throw new BerthError('UNSUPPORTED', 'Docker Hub has no catalog')
    try {
      yield* this.listing(`/v2/_catalog?n=${this.pageSize}`, ['registry:catalog:*'], 'repositories', 'the catalog', signal)
    } catch (err) {
      const status = statusOf(err)
      if (status === 404 || status === 405) throw new BerthError('UNSUPPORTED', `${this.origin} has no catalog: ${(err as Error).message}`, (err as BerthError).detail)
      throw err
    }
  }

  async tags(repository: string, signal?: AbortSignal): Promise<string[]> {
    const name = this.name(repository)
    const out: string[] = []
    try {
      for await (const tag of this.listing(`/v2/${name}/tags/list?n=${this.pageSize}`, [pull(name)], 'tags', `the tags of ${name}`, signal)) out.push(tag)
    } catch (err) {
      if (statusOf(err) === 404) return []
      throw err
    }
    return out
  }

  async manifest(repository: string, reference: string, signal?: AbortSignal): Promise<ManifestDoc | null> {
    const name = this.name(repository)
    const res = await this.send({ method: 'GET', url: `/v2/${name}/manifests/${reference}`, scopes: [pull(name)], headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') }, signal })
    if (res.statusCode === 404) return await this.discard(res, null)
    if (res.statusCode !== 200) throw await this.failure('GET', res, `/v2/${name}/manifests/${reference}`)
    const body = await this.read(res, MAX_MANIFEST_BYTES, 'MANIFEST_TOO_LARGE')
    const where = `${this.origin}/v2/${name}/manifests/${reference}`
    const claimed = isDigest(reference) ? reference : header(res, 'docker-content-digest')
    const digest = verifiedDigest(body, claimed, `manifest ${name}@${reference} from ${this.origin}`)
    const { mediaType } = remoteManifest(body, header(res, 'content-type'), where)
    return { digest, mediaType, body }
  }

  async manifestDigest(repository: string, reference: string, signal?: AbortSignal): Promise<string | null> {
    const name = this.name(repository)
    const res = await this.send({ method: 'HEAD', url: `/v2/${name}/manifests/${reference}`, scopes: [pull(name)], headers: { accept: MANIFEST_MEDIA_TYPES.join(', ') }, signal })
    if (res.statusCode === 404) return await this.discard(res, null)
    if (res.statusCode !== 200) throw await this.failure('HEAD', res, `/v2/${name}/manifests/${reference}`)
    const digest = await this.discard(res, header(res, 'docker-content-digest'))
    // Some registries leave the digest out of HEAD answers: then it is the hash of the bytes.
    return digest ?? (await this.manifest(repository, reference, signal))?.digest ?? null
  }

  async putManifest(repository: string, reference: string, m: ManifestDoc, o: WriteOptions = {}): Promise<void> {
    const name = this.name(repository)
    const path = `/v2/${name}/manifests/${reference}`
    const headers = { 'content-type': m.mediaType, ...this.pathHeader(o.path) }
    const res = await this.send({ method: 'PUT', url: path, scopes: [push(name)], headers, body: () => m.body, signal: o.signal })
    if (res.statusCode !== 201 && res.statusCode !== 200) throw await this.failure('PUT', res, path)
    const stored = await this.discard(res, header(res, 'docker-content-digest'))
    if (stored !== undefined && stored !== m.digest) {
      throw new BerthError('DIGEST_INVALID', `PUT ${this.origin}${path}: the registry stored ${stored}, not ${m.digest}`)
    }
  }

  async deleteManifest(repository: string, reference: string, o: WriteOptions = {}): Promise<boolean> {
    const name = this.name(repository)
    const path = `/v2/${name}/manifests/${reference}`
    const res = await this.send({ method: 'DELETE', url: path, scopes: [`repository:${name}:pull,push,delete`], headers: this.pathHeader(o.path), signal: o.signal })
    if (res.statusCode >= 200 && res.statusCode < 300) return await this.discard(res, true)
    if (res.statusCode === 404) return await this.discard(res, false)
    const err = await this.failure('DELETE', res, path)
    // The distribution registry deletes by digest only, and only with deletion enabled.
    if (res.statusCode === 405 || err.code === 'UNSUPPORTED' || (res.statusCode === 400 && !isDigest(reference))) {
      const what = isDigest(reference) ? 'manifests' : 'tags'
      throw new BerthError('UNSUPPORTED', `${this.origin} does not delete ${what} (${err.message})`, err.detail)
    }
    throw err
  }

  async hasBlob(repository: string, digest: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.blobSize(this.name(repository), digest, signal)) !== null
  }

  /** An empty `from` asks the registry to mount from any repository it has the blob in (OCI 1.1). */
  async mountBlob(repository: string, digest: string, from: string, signal?: AbortSignal): Promise<boolean> {
    const name = this.name(repository)
    const source = from === '' ? null : this.name(from)
    const path = `/v2/${name}/blobs/uploads/?mount=${encodeURIComponent(digest)}${source === null ? '' : `&from=${encodeURIComponent(source)}`}`
    const scopes = source === null ? [push(name)] : [push(name), pull(source)]
    const res = await this.send({ method: 'POST', url: path, scopes, headers: { 'content-length': '0' }, signal })
    if (res.statusCode === 201) return await this.discard(res, true)
    if (res.statusCode !== 202) throw await this.failure('POST', res, path)
    // The registry opened an ordinary upload instead: nobody will use it.
    const location = await this.discard(res, header(res, 'location'))
    if (location !== undefined) {
      await this.send({ method: 'DELETE', url: new URL(location, this.origin), scopes: [push(name)], signal })
        .then((r) => this.discard(r, undefined))
        .catch(() => {})
    }
    return false
  }

  async openBlob(repository: string, digest: string, offset = 0, signal?: AbortSignal): Promise<{ stream: Readable; size: number }> {
    const name = this.name(repository)
    const path = `/v2/${name}/blobs/${digest}`
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {}
    const res = await this.send({ method: 'GET', url: path, scopes: [pull(name)], headers, signal, follow: true })
    const range = /^bytes (?:(\d+)-\d+|\*)\/(\d+|\*)$/.exec(header(res, 'content-range') ?? '')
    const total = range?.[2] === undefined || range[2] === '*' ? null : Number(range[2])
    if (res.statusCode === 416 && total === offset) return await this.discard(res, { stream: Readable.from([]), size: total })
    if (res.statusCode === 404) {
      await this.discard(res, null)
      throw new BerthError('BLOB_UNKNOWN', `${this.origin}${path}: blob unknown`, { status: 404 })
    }
    if (res.statusCode !== 200 && res.statusCode !== 206) throw await this.failure('GET', res, path)
    const length = header(res, 'content-length')
    let stream: Readable = res.body
    let size: number | null
    if (res.statusCode === 206) {
      if (range?.[1] !== undefined && Number(range[1]) !== offset) {
        await this.discard(res, null)
        throw new BerthError('RANGE_NOT_SATISFIABLE', `GET ${this.origin}${path}: asked for bytes from ${offset}, got ${header(res, 'content-range')}`)
      }
      size = total ?? (length === undefined ? null : offset + Number(length))
    } else {
      size = length === undefined ? null : Number(length)
      if (offset > 0) stream = pipeline(stream, new Skip(offset), () => {})
    }
    try {
      size ??= await this.blobSize(name, digest, signal)
      if (size === null) throw new BerthError('BLOB_UNKNOWN', `${this.origin}${path}: blob size unknown`)
    } catch (err) {
      stream.destroy()
      throw err
    }
    return { stream: throttled(stream, this.bucket), size }
  }

  /**
   * `onBytes` hears of the bytes the registry acknowledged, chunk by chunk; bytes sent again (a
   * registry that dropped a broken upload session gets the blob anew) are counted again.
   */
  async pushBlob(
    repository: string,
    digest: string,
    size: number,
    open: (offset: number) => Promise<Readable>,
    o: WriteOptions & { onBytes?: (n: number) => void } = {},
  ): Promise<void> {
    const name = this.name(repository)
    const { signal } = o
    if ((await this.blobSize(name, digest, signal)) !== null) return
    const acknowledged = (n: number) => {
      if (n > 0) o.onBytes?.(n)
    }
    let upload = await this.startUpload(name, signal)
    const chunk = Math.max(this.chunkBytes, upload.minChunk)
    const source = new SourceReader(open)
    const call = (method: Method, url: string, headers: Record<string, string>, offset: number, length: number): Call => ({
      method,
      url,
      scopes: [push(name)],
      headers: { 'content-length': String(length), ...(length > 0 ? { 'content-type': OCTETS } : {}), ...headers },
      body: length > 0 ? async () => throttled(await source.piece(offset, length), this.bucket) : undefined,
      signal,
    })
    const close = (offset: number) => {
      const sep = upload.location.includes('?') ? '&' : '?'
      return call('PUT', `${upload.location}${sep}digest=${encodeURIComponent(digest)}`, {}, offset, size - offset)
    }
    try {
      let offset = 0
      let failures = 0
      for (;;) {
        try {
          // Small blobs go in one PUT; after a failure, or when large, in chunks and a closing PUT.
          if (offset === 0 && failures === 0 && size <= chunk) {
            await this.expect(close(0), 201)
            return acknowledged(size)
          }
          if (offset >= size) {
            await this.expect(close(size), 201)
            return
          }
          const length = Math.min(chunk, size - offset)
          const range = { 'content-range': `${offset}-${offset + length - 1}` }
          const answer = await this.expect(call('PATCH', upload.location, range, offset, length), 202)
          upload.location = this.locationOf(answer) ?? upload.location
          offset += length
          failures = 0
          acknowledged(length)
        } catch (err) {
          const status = statusOf(err)
          const resumable = !isBerthError(err) || status === null || status === 401 || status === 416 || (status !== undefined && status >= 500)
          if (signal?.aborted === true || !resumable || ++failures > UPLOAD_RESUMES) throw err
          await sleep(backoff(failures), undefined, { signal })
          const state = await this.uploadState(name, upload.location, signal)
          if (state === null) {
            // The session is gone: a closing PUT whose answer was lost leaves the blob, else start over.
            if ((await this.blobSize(name, digest, signal)) !== null) return
            upload = await this.startUpload(name, signal)
            offset = 0
            continue
          }
          upload.location = state.location ?? upload.location
          acknowledged(state.offset - offset)
          offset = state.offset
        }
      }
    } finally {
      source.close()
    }
  }

  async referrers(repository: string, digest: string, signal?: AbortSignal): Promise<Descriptor[]> {
    const name = this.name(repository)
    const path = `/v2/${name}/referrers/${digest}`
    const res = await this.send({ method: 'GET', url: path, scopes: [pull(name)], headers: { accept: MediaType.ociIndex }, signal })
    if (res.statusCode === 404) {
      // No referrers API: the spec's fallback is an index under the referrers tag schema.
      await this.discard(res, null)
      const tagged = await this.manifest(repository, referrersTag(digest), signal)
      return tagged === null ? [] : listedDescriptors(this.parseJson(tagged.body, `${this.origin}/v2/${name}/manifests/${referrersTag(digest)}`))
    }
    if (res.statusCode !== 200) throw await this.failure('GET', res, path)
    const what = `the referrers of ${name}@${digest}`
    const found = listedDescriptors(this.parseJson(await this.readListPage(res, this.limits.maxBytes, what), `${this.origin}${path}`))
    if (found.length > this.limits.maxItems) throw this.limitHit(what, 'maxItems')
    return found
  }

  /** Checks that the registry answers GET /v2/ with the configured credentials; throws otherwise. */
  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.send({ method: 'GET', url: '/v2/', scopes: [], signal })
    if (res.statusCode !== 200) throw await this.failure('GET', res, '/v2/')
    await this.discard(res, null)
  }

  /**
   * A Berth peer's instance id, the name it has on replication paths: `berth_instance_id` of its
   * /api/v2.0/systeminfo (asked with the Basic credentials); null when it does not say.
   */
  async instanceId(signal?: AbortSignal): Promise<string | null> {
    const path = '/api/v2.0/systeminfo'
    const headers = { accept: 'application/json', ...(this.auth.basic === undefined ? {} : { authorization: this.auth.basic }) }
    const res = await this.send({ method: 'GET', url: path, scopes: [], headers, signal, anonymous: true })
    if (res.statusCode === 404) return await this.discard(res, null)
    if (res.statusCode !== 200) throw await this.failure('GET', res, path)
    const id = (this.parseJson(await this.read(res, MAX_SMALL_BODY, 'SIZE_INVALID'), `${this.origin}${path}`) as { berth_instance_id?: unknown } | null)?.berth_instance_id
    return typeof id === 'string' && id !== '' ? id : null
  }

  /** On Docker Hub, official images live under library/. */
  private name(repository: string): string {
    return this.dockerHub && !repository.includes('/') ? `library/${repository}` : repository
  }

  private pathHeader(path: readonly string[] | undefined): Record<string, string> {
    return path === undefined || path.length === 0 ? {} : { [PATH_HEADER]: path.join(',') }
  }

  private parseJson(body: Buffer, what: string): unknown {
    try {
      return JSON.parse(body.toString('utf8'))
    } catch {
      throw new BerthError('MANIFEST_INVALID', `${what} is not JSON`)
    }
  }

  private locationOf(res: Answer): string | undefined {
    const location = header(res, 'location')
    return location === undefined ? undefined : new URL(location, this.origin).href
  }

  /** Drops an answer's body (freeing the connection) and returns `value`. */
  private async discard<T>(res: Answer, value: T): Promise<Awaited<T>> {
    await res.body.dump().catch(() => {})
    return await value
  }

  /** An answer's whole body, at most `max` bytes (more is `code`, and the connection is dropped). */
  private async read(res: Answer, max: number, code: ErrorCode): Promise<Buffer> {
    try {
      return await readCapped(res.body, max, code)
    } catch (err) {
      res.body.destroy()
      throw err
    }
  }

  /** Sends `call` and throws unless the answer has `status`; the body is dropped. */
  private async expect(call: Call, status: number): Promise<Answer> {
    const res = await this.send(call)
    if (res.statusCode !== status) throw await this.failure(call.method, res, call.url)
    return await this.discard(res, res)
  }

  private async blobSize(name: string, digest: string, signal?: AbortSignal): Promise<number | null> {
    const path = `/v2/${name}/blobs/${digest}`
    const res = await this.send({ method: 'HEAD', url: path, scopes: [pull(name)], signal, follow: true })
    if (res.statusCode === 404) return await this.discard(res, null)
    if (res.statusCode !== 200) throw await this.failure('HEAD', res, path)
    return await this.discard(res, Number(header(res, 'content-length') ?? 0))
  }

  private async startUpload(name: string, signal?: AbortSignal): Promise<{ location: string; minChunk: number }> {
    const path = `/v2/${name}/blobs/uploads/`
    const res = await this.expect({ method: 'POST', url: path, scopes: [push(name)], headers: { 'content-length': '0' }, signal }, 202)
    const location = this.locationOf(res)
    if (location === undefined) throw new BerthError('BLOB_UPLOAD_INVALID', `POST ${this.origin}${path}: no Location in the answer`)
    return { location, minChunk: Number(header(res, 'oci-chunk-min-length') ?? 0) || 0 }
  }

  /** Where an upload stands (`Range: 0-<last>`), or null when the registry no longer knows it. */
  private async uploadState(name: string, location: string, signal?: AbortSignal): Promise<{ offset: number; location?: string } | null> {
    const res = await this.send({ method: 'GET', url: location, scopes: [push(name)], signal })
    if (res.statusCode === 404 || res.statusCode === 400) return await this.discard(res, null)
    if (res.statusCode !== 204 && res.statusCode !== 200) throw await this.failure('GET', res, location)
    await this.discard(res, null)
    // `0-0` is what registries say for an empty upload (and, ambiguously, for one byte).
    const last = /^(?:bytes=)?0-(\d+)$/.exec(header(res, 'range') ?? '')?.[1]
    const offset = last === undefined || last === '0' ? 0 : Number(last) + 1
    return { offset, location: this.locationOf(res) }
  }

  /**
   * The strings under `key` on each page of a paginated listing (`Link: <...>; rel="next"`),
   * within the listing bounds; a stop (the signal) ends it between pages and within a request.
   */
  private async *listing(first: string, scopes: readonly string[], key: string, what: string, signal?: AbortSignal): AsyncGenerator<string> {
    let url: URL | null = new URL(first, this.origin)
    let pages = 0
    let items = 0
    let bytes = 0
    while (url !== null) {
      signal?.throwIfAborted()
      if (++pages > this.limits.maxPages) throw this.limitHit(what, 'maxPages')
      const res = await this.send({ method: 'GET', url, scopes, headers: { accept: 'application/json' }, signal })
      if (res.statusCode !== 200) throw await this.failure('GET', res, url)
      const next = nextLink(header(res, 'link'))
      const body = await this.readListPage(res, this.limits.maxBytes - bytes, what)
      bytes += body.length
      const names = (this.parseJson(body, `${this.origin}${url.pathname}`) as Record<string, unknown> | null)?.[key]
      if (Array.isArray(names)) {
        for (const n of names) {
          if (typeof n !== 'string') continue
          if (++items > this.limits.maxItems) throw this.limitHit(what, 'maxItems')
          yield n
        }
      }
      const following: URL | null = next === null ? null : new URL(next, this.origin)
      url = following === null || following.href === url.href ? null : following
    }
  }

  /** A page of a listing: at most `left` bytes (what the listing's byte bound leaves), and never more than a manifest. */
  private async readListPage(res: Answer, left: number, what: string): Promise<Buffer> {
    const cap = Math.max(0, Math.min(left, MAX_MANIFEST_BYTES))
    try {
      return await this.read(res, cap, 'SIZE_INVALID')
    } catch (err) {
      throw isBerthError(err, 'SIZE_INVALID') && cap === left ? this.limitHit(what, 'maxBytes') : err
    }
  }

  /** The error of a listing that went past one of its bounds, naming the setting. */
  private limitHit(what: string, bound: keyof ListLimits): BerthError {
    const unit = bound === 'maxPages' ? 'pages' : bound === 'maxItems' ? 'items' : 'bytes'
    const setting = LIMIT_SETTINGS[bound]
    return new BerthError('SIZE_INVALID', `${what} at ${this.origin} has more than ${this.limits[bound]} ${unit} (${setting}): stopped reading it`, { setting, limit: this.limits[bound] })
  }

  /** The registry's answer as an error: method, path, status and the registry's own code and message. */
  private async failure(method: Method, res: Answer, url: string | URL): Promise<BerthError> {
    const text = await this.read(res, MAX_SMALL_BODY, 'SIZE_INVALID').then(
      (b) => b.toString('utf8'),
      () => '',
    )
    let errors: { code?: unknown; message?: unknown }[] = []
    try {
      const parsed = (JSON.parse(text) as { errors?: unknown }).errors
      if (Array.isArray(parsed)) errors = parsed
    } catch {
      // not the spec's error body
    }
    const first = errors[0]
    const ociCode = typeof first?.code === 'string' ? (first.code as ErrorCode) : undefined
    const code = ociCode !== undefined && OCI_CODES.has(ociCode) ? ociCode : (STATUS_CODES[res.statusCode] ?? 'INTERNAL')
    const said = first === undefined ? '' : `: ${String(first.code)}${typeof first.message === 'string' && first.message !== '' ? `: ${first.message}` : ''}`
    const where = new URL(url, this.origin)
    return new BerthError(code, `${method} ${where.origin}${where.pathname} answered ${res.statusCode}${said}`, { status: res.statusCode, errors })
  }

  /**
   * One request with everything around it: credentials, one retry after a 401 challenge, waiting
   * out 429/503, and retries of GET and HEAD after network errors and 5xx answers.
   */
  private async send(call: Call): Promise<Answer> {
    const url = new URL(call.url, this.origin)
    const ours = url.origin === this.origin && call.anonymous !== true
    // A body cannot be sent twice cheaply: learn how to authenticate before sending one.
    if (ours && call.body !== undefined && !this.auth.known) await this.probe(call.signal)
    const idempotent = call.method === 'GET' || call.method === 'HEAD'
    let scopes = call.scopes
    let challenged = false
    let throttled = 0
    let failures = 0
    for (;;) {
      call.signal?.throwIfAborted()
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...call.headers }
      const credentials = ours ? await this.auth.authorization(scopes, call.signal) : undefined
      if (credentials !== undefined) headers.authorization = credentials
      let res: Answer
      const body = call.body === undefined ? undefined : await call.body()
      try {
        res = await this.exchange(call.method, url, headers, body, call.signal, call.follow === true)
      } catch (err) {
        if (call.signal?.aborted === true || isBerthError(err)) throw err
        if (!idempotent || ++failures > IDEMPOTENT_RETRIES) {
          throw new BerthError('INTERNAL', `${call.method} ${url.origin}${url.pathname} failed: ${(err as Error).message}`, { status: null }, { cause: err })
        }
        await sleep(backoff(failures), undefined, { signal: call.signal })
        continue
      } finally {
        if (body instanceof Readable && !body.readableEnded) body.destroy()
      }
      const status = res.statusCode
      if (status === 401 && ours && !challenged) {
        const challenge = parseChallenge(header(res, 'www-authenticate'))
        if (challenge !== null && this.auth.learn(challenge, credentials)) {
          challenged = true
          if (challenge.scheme === 'bearer' && challenge.scope !== undefined && !scopes.includes(challenge.scope)) scopes = [...scopes, challenge.scope]
          await this.discard(res, null)
          continue
        }
      }
      if ((status === 429 || status === 503) && throttled < THROTTLE_RETRIES) {
        throttled++
        await this.discard(res, null)
        await sleep(this.retryAfter(header(res, 'retry-after'), throttled), undefined, { signal: call.signal })
        continue
      }
      if (status >= 500 && idempotent && ++failures <= IDEMPOTENT_RETRIES) {
        await this.discard(res, null)
        await sleep(backoff(failures), undefined, { signal: call.signal })
        continue
      }
      return res
    }
  }

  /** One HTTP exchange; with `follow`, redirects too, without credentials once they leave the origin. */
  private async exchange(method: Method, url: URL, headers: Record<string, string>, body: Readable | Buffer | undefined, signal: AbortSignal | undefined, follow: boolean): Promise<Answer> {
    for (let hops = 0; ; hops++) {
      const res = await this.request(method, url, headers, body, signal)
      const location = header(res, 'location')
      if (!follow || location === undefined || ![301, 302, 303, 307, 308].includes(res.statusCode) || hops >= MAX_REDIRECTS) return res
      await this.discard(res, null)
      const next = new URL(location, url)
      if (url.protocol === 'https:' && next.protocol !== 'https:') throw new BerthError('BAD_REQUEST', `${method} ${url.origin}${url.pathname}: redirect to ${next.protocol} refused`)
      if (next.origin !== url.origin) {
        const { authorization: _dropped, ...rest } = headers
        headers = rest
      }
      url = next
    }
  }

  /**
   * One HTTP request in a client span of its own (ended when the answer's headers arrive), with
   * the span's W3C trace context in its headers, so that a Berth peer continues the trace.
   */
  private async request(method: Method, url: URL, headers: Record<string, string>, body: Readable | Buffer | undefined, signal: AbortSignal | undefined): Promise<Answer> {
    const span = startSpan(method, {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR.HTTP_REQUEST_METHOD]: method,
        // Without the query: upload locations may carry a registry's signed state there.
        [ATTR.URL_FULL]: `${url.origin}${url.pathname}`,
        [ATTR.SERVER_ADDRESS]: url.hostname,
        [ATTR.SERVER_PORT]: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      },
    })
    const sent = { ...headers }
    injectContext(sent, contextWith(span))
    try {
      const res = await request(url, { method, headers: sent, body, signal, dispatcher: this.dispatcher })
      span.setAttribute(ATTR.HTTP_RESPONSE_STATUS_CODE, res.statusCode)
      if (res.statusCode >= 400) {
        span.setAttribute(ATTR.ERROR_TYPE, String(res.statusCode))
        span.setStatus({ code: SpanStatusCode.ERROR })
      }
      return res
    } catch (err) {
      failSpan(span, err)
      throw err
    } finally {
      span.end()
    }
  }

  /** Learns how the registry authenticates from GET /v2/ (once, before the first request with a body). */
  private async probe(signal?: AbortSignal): Promise<void> {
    this.probing ??= (async () => {
      const res = await this.send({ method: 'GET', url: '/v2/', scopes: [], signal, anonymous: true })
      const challenge = res.statusCode === 401 ? parseChallenge(header(res, 'www-authenticate')) : null
      await this.discard(res, null)
      this.auth.adopt(challenge)
    })().finally(() => {
      this.probing = null
    })
    await this.probing
  }

  /** A token service's JSON answer (the token request carries its own credentials). */
  private async tokenAnswer(url: URL, headers: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
    const res = await this.send({ method: 'GET', url, scopes: [], headers, signal, anonymous: true })
    if (res.statusCode !== 200) throw await this.failure('GET', res, url)
    return this.parseJson(await this.read(res, MAX_SMALL_BODY, 'SIZE_INVALID'), `token from ${url.origin}${url.pathname}`)
  }

  /** How long to wait before the `attempt`th retry of a throttled request: Retry-After (seconds or a date), else 1 s doubling. */
  private retryAfter(raw: string | undefined, attempt: number): number {
    let ms = 1000 * 2 ** (attempt - 1)
    if (raw !== undefined && /^\s*\d+\s*$/.test(raw)) ms = Number(raw) * 1000
    else if (raw !== undefined && !Number.isNaN(Date.parse(raw))) ms = Math.max(0, Date.parse(raw) - this.now())
    return Math.min(ms, this.maxRetryAfterMs)
  }
}

function backoff(attempt: number): number {
  return 250 * 2 ** (attempt - 1)
}
