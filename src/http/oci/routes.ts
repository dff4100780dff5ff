// The /v2/ API: the OCI distribution spec v1.1 over the registry services.
import { PATH_HEADER } from '../../remote/endpoint.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BerthError, isBerthError } from '../../lib/errors.js'
import { readCapped } from '../../lib/streams.js'
import { parseDigest, type Digest } from '../../oci/digest.js'
import { MediaType } from '../../oci/media-types.js'
import { parseReference, parseRepoName, isRepoName, isTag, type Reference, type RepoName } from '../../oci/names.js'
import type { BlobService, ChunkOptions } from '../../services/registry/blob-service.js'
import type { ManifestService, Listing } from '../../services/registry/manifest-service.js'
import type { Pull } from '../../services/registry/pull-recorder.js'
import type { PullPolicy } from '../../services/registry/pull-policy.js'
import type { ProxyCache } from '../../services/proxy-cache/proxy-cache.js'
import type { RegistryAction } from '../../auth/permissions.js'
import type { AuditInput } from '../../services/audit/audit-log.js'
import { sendOciError } from '../errors.js'
import { nameRequestSpan } from '../../lib/tracing.js'
import { checkHost } from '../security.js'
import { RegistryGate, type Grant, type Need } from './registry-gate.js'
import type { RegistryHandler } from '../../lib/metrics.js'
import { acceptedTypes, isAcceptable, parseContentLength, parseContentRange, parseRange } from './headers.js'

export interface OciRoutesOptions {
  blobs: BlobService
  manifests: ManifestService
  /** Prefix of URLs handed out (external_url); '' for paths relative to the request's host. */
  baseUrl: string
  maxManifestBytes: number
  gate: RegistryGate
  audit: (e: AuditInput) => void
  /** Where manifest GETs are counted as pulls (pull times, PULL_ARTIFACT events). */
  pulls?: { record(p: Pull): void }
  /** What a manifest GET or HEAD must satisfy (signatures, vulnerabilities): 412 when it does not. */
  pullPolicy?: Pick<PullPolicy, 'check'>
  /** Proxy-cache projects: pulls of what is not here fetch it from the upstream; pushes and deletes are refused. */
  proxy?: Pick<ProxyCache, 'manifest' | 'blob' | 'refuseWrite'>
}

/**
 * The user agents of replication clients (Berth's, Harbor's). A manifest read by one of them, from a
 * caller that replicates (a robot or a system administrator), is a copy, not a pull, as in Harbor.
 */
const REPLICATION_AGENTS = /^(berth-replication|harbor-registry-client|harbor-replication-service)\b/i

/** Cap on `n` for tags and the catalog; a larger n gets this many and a Link to the rest. */
export const MAX_PAGE = 10_000
const DEFAULT_CATALOG_PAGE = 1_000

type Handler = (req: FastifyRequest, reply: FastifyReply, m: RegExpExecArray, grant: Grant) => Promise<unknown>

/** What a method needs (a registry action on the repository in the path, or the catalog) and how it is audited. */
interface Method {
  needs: RegistryAction | 'catalog'
  /** Whether the request may mount a blob from another repository (`?mount=&from=`), which its challenge names. */
  mounts?: true
  audit?: { operation: 'pull' | 'create' | 'delete'; type: 'artifact' | 'blob' }
  handle: Handler
}

interface Route {
  /** distribution's name of the handler (the `handler` label of the registry's metrics). */
  handler: RegistryHandler
  pattern: RegExp
  /** The spec's path, for the request's span (`/v2/:name/manifests/:reference`). */
  template: string
  methods: Partial<Record<string, Method>>
}

export async function ociRoutes(app: FastifyInstance, o: OciRoutesOptions): Promise<void> {
  const { blobs, manifests } = o
  const url = (path: string) => `${o.baseUrl}${path}`
  const uploadUrl = (name: string, id: string) => url(`/v2/${name}/blobs/uploads/${id}`)

  // Bodies are streamed by the handlers themselves: never buffered or parsed by fastify.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (_req, _payload, done) => done(null))

  /** Where an upload session is and how far it got: Location and Range. */
  const uploadHeaders = (reply: FastifyReply, name: string, id: string, offset: number) =>
    reply.header('location', uploadUrl(name, id)).header('range', `0-${Math.max(0, offset - 1)}`)

  const sendUploadState = (reply: FastifyReply, name: string, id: string, offset: number, status: number) =>
    uploadHeaders(reply, name, id, offset).code(status).header('docker-upload-uuid', id).header('content-length', '0').send()

  const sendBlobCreated = (reply: FastifyReply, name: string, digest: Digest) =>
    reply.code(201).header('location', url(`/v2/${name}/blobs/${digest}`)).header('docker-content-digest', digest).header('content-length', '0').send()

  const hasBody = (req: FastifyRequest) => {
    const len = req.headers['content-length']
    return req.headers['transfer-encoding'] !== undefined || (len !== undefined && len !== '0')
  }

  const signalOf = (req: FastifyRequest) => {
    const ac = new AbortController()
    req.raw.once('close', () => {
      if (!req.raw.complete) ac.abort()
    })
    return ac.signal
  }

  /** What a chunk's request says about it: its range and length, and its cancellation. */
  const chunkOptions = (req: FastifyRequest): ChunkOptions => ({
    range: parseContentRange(req.headers['content-range'] as string | undefined),
    contentLength: parseContentLength(req.headers['content-length']),
    signal: signalOf(req),
  })

  const routes: Route[] = [
    {
      handler: 'catalog',
      pattern: /^_catalog$/,
      template: '/v2/_catalog',
      methods: {
        GET: {
          needs: 'catalog',
          handle: async (req, reply, _m, grant) => {
          const q = req.query as Record<string, string | undefined>
          const { limit, last } = pageOf(q, DEFAULT_CATALOG_PAGE)
          // Filtered in the query, not after it: a page and its Link name only what the caller may pull.
          const page = await manifests.catalog(await o.gate.readScope(grant), limit, last)
          linkNext(reply, '/v2/_catalog', limit, page, url)
          return reply.send({ repositories: page.items })
        },
        },
      },
    },
    {
      handler: 'tags',
      pattern: /^(.+)\/tags\/list$/,
      template: '/v2/:name/tags/list',
      methods: {
        GET: {
          needs: 'pull',
          handle: async (req, reply, m) => {
          const name = repo(m[1]!)
          const q = req.query as Record<string, string | undefined>
          const { limit, last } = pageOf(q, MAX_PAGE)
          if (last !== undefined && !isTag(last)) throw new BerthError('BAD_REQUEST', 'last must be a tag')
          const page = await manifests.listTags(name, limit, last)
          linkNext(reply, `/v2/${name}/tags/list`, limit, page, url)
          return reply.send({ name, tags: page.items })
        },
        },
      },
    },
    {
      handler: 'manifest',
      pattern: /^(.+)\/manifests\/([^/]+)$/,
      template: '/v2/:name/manifests/:reference',
      methods: {
        GET: {
          needs: 'pull',
          audit: { operation: 'pull', type: 'artifact' },
          handle: async (req, reply, m, grant) => {
            const name = repo(m[1]!)
            const sent = await sendManifest(req, reply, name, m[2]!, true)
            if (o.pulls !== undefined && !(REPLICATION_AGENTS.test(req.headers['user-agent'] ?? '') && (await grant.replicates()))) {
              o.pulls.record({ repository: name, digest: sent.digest, ...(sent.tag !== undefined ? { tag: sent.tag } : {}), operator: o.gate.nameOf(req) })
            }
            return sent.reply
          },
        },
        // A HEAD is not a pull (Harbor counts GETs only): clients check tags with it.
        HEAD: { needs: 'pull', handle: async (req, reply, m) => (await sendManifest(req, reply, repo(m[1]!), m[2]!, false)).reply },
        PUT: {
          needs: 'push',
          audit: { operation: 'create', type: 'artifact' },
          handle: async (req, reply, m, grant) => {
          const name = repo(m[1]!)
          const ref = parseReference(m[2]!)
          const declared = parseContentLength(req.headers['content-length'])
          if (declared !== undefined && declared > o.maxManifestBytes) {
            throw new BerthError('MANIFEST_TOO_LARGE', `manifest is larger than ${o.maxManifestBytes} bytes`, { limit: o.maxManifestBytes })
          }
          const body = await readCapped(req.raw, o.maxManifestBytes, 'MANIFEST_TOO_LARGE')
          const pushed = await manifests.put(name, ref, body, req.headers['content-type'], { path: await replicationPath(req, grant), operator: o.gate.nameOf(req) })
          reply.code(201).header('location', url(`/v2/${name}/manifests/${pushed.digest}`)).header('docker-content-digest', pushed.digest)
          if (pushed.subject !== undefined) reply.header('oci-subject', pushed.subject)
          return reply.header('content-length', '0').send()
        },
        },
        DELETE: {
          needs: 'delete',
          audit: { operation: 'delete', type: 'artifact' },
          handle: async (req, reply, m, grant) => {
            await manifests.delete(repo(m[1]!), existingReference(m[2]!), { path: await replicationPath(req, grant), operator: o.gate.nameOf(req) })
            return reply.code(202).header('content-length', '0').send()
          },
        },
      },
    },
    {
      handler: 'blob_upload',
      pattern: /^(.+)\/blobs\/uploads\/?$/,
      template: '/v2/:name/blobs/uploads/',
      methods: {
        POST: {
          needs: 'push',
          mounts: true,
          handle: async (req, reply, m, grant) => {
          const name = repo(m[1]!)
          const q = req.query as Record<string, string | undefined>
          // Sessions count against the caller's cap on open uploads, under the name the audit log uses.
          const owner = o.gate.nameOf(req)
          if (q.mount !== undefined) {
            const digest = parseDigest(q.mount, 'mount')
            const from = q.from === undefined || q.from === '' ? undefined : repo(q.from)
            const mounted = await blobs.mount(name, digest, from, grant.canRead)
            if (mounted !== null) return sendBlobCreated(reply, name, mounted.digest)
            // Not mountable: fall back to a new upload session, as the spec asks (202).
          } else if (q.digest !== undefined) {
            const digest = parseDigest(q.digest)
            const info = await blobs.push(name, digest, req.raw, {
              contentLength: parseContentLength(req.headers['content-length']),
              signal: signalOf(req),
              owner,
            })
            return sendBlobCreated(reply, name, info.digest)
          }
          const id = await blobs.startUpload(name, { owner })
          return sendUploadState(reply, name, id, 0, 202)
        },
        },
      },
    },
    {
      handler: 'blob_upload_chunk',
      pattern: /^(.+)\/blobs\/uploads\/([^/]+)$/,
      template: '/v2/:name/blobs/uploads/:reference',
      methods: {
        GET: {
          needs: 'push',
          handle: async (_req, reply, m) => {
            const name = repo(m[1]!)
            const offset = await blobs.uploadOffset(name, m[2]!)
            return sendUploadState(reply, name, m[2]!, offset, 204)
          },
        },
        PATCH: {
          needs: 'push',
          handle: async (req, reply, m) => {
          const name = repo(m[1]!)
          const id = m[2]!
          try {
            const offset = await blobs.appendChunk(name, id, req.raw, chunkOptions(req))
            return sendUploadState(reply, name, id, offset, 202)
          } catch (err) {
            if (isBerthError(err, 'CHUNK_OUT_OF_ORDER')) {
              const offset = await blobs.uploadOffset(name, id).catch(() => undefined)
              if (offset !== undefined) uploadHeaders(reply, name, id, offset)
            }
            throw err
          }
        },
        },
        PUT: {
          needs: 'push',
          handle: async (req, reply, m) => {
          const name = repo(m[1]!)
          const digest = parseDigest((req.query as Record<string, string | undefined>).digest)
          const info = await blobs.completeUpload(name, m[2]!, digest, hasBody(req) ? req.raw : null, chunkOptions(req))
          return sendBlobCreated(reply, name, info.digest)
        },
        },
        DELETE: {
          needs: 'push',
          handle: async (_req, reply, m) => {
            await blobs.cancelUpload(repo(m[1]!), m[2]!)
            return reply.code(204).send()
          },
        },
      },
    },
    {
      handler: 'blob',
      pattern: /^(.+)\/blobs\/([^/]+)$/,
      template: '/v2/:name/blobs/:digest',
      methods: {
        GET: { needs: 'pull', handle: async (req, reply, m) => sendBlob(req, reply, repo(m[1]!), parseDigest(m[2]!), true) },
        HEAD: { needs: 'pull', handle: async (req, reply, m) => sendBlob(req, reply, repo(m[1]!), parseDigest(m[2]!), false) },
        DELETE: {
          needs: 'delete',
          audit: { operation: 'delete', type: 'blob' },
          handle: async (_req, reply, m) => {
            await blobs.delete(repo(m[1]!), parseDigest(m[2]!))
            return reply.code(202).header('content-length', '0').send()
          },
        },
      },
    },
    {
      handler: 'referrers',
      pattern: /^(.+)\/referrers\/([^/]+)$/,
      template: '/v2/:name/referrers/:digest',
      methods: {
        GET: {
          needs: 'pull',
          handle: async (req, reply, m) => {
          const name = repo(m[1]!)
          const digest = parseDigest(m[2]!)
          const artifactType = (req.query as Record<string, string | undefined>).artifactType
          const list = await manifests.referrers(name, digest, artifactType === '' ? undefined : artifactType)
          if (artifactType !== undefined && artifactType !== '') reply.header('oci-filters-applied', 'artifactType')
          // A Buffer, so that fastify adds no charset parameter to the media type.
          return reply
            .type(MediaType.ociIndex)
            .send(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: list })))
        },
        },
      },
    },
  ]

  /** Sends a manifest (or its headers); says which digest it was and the tag it was asked by. */
  async function sendManifest(req: FastifyRequest, reply: FastifyReply, name: RepoName, reference: string, withBody: boolean): Promise<{ reply: FastifyReply; digest: string; tag?: string }> {
    const ref = existingReference(reference)
    const accepted = acceptedTypes(req.headers.accept)
    await o.proxy?.manifest(name, ref, () => signalOf(req))
    const m = withBody ? await manifests.get(name, ref) : await manifests.stat(name, ref)
    if (!isAcceptable(m.mediaType, accepted)) {
      throw new BerthError('MANIFEST_UNKNOWN', `manifest is ${m.mediaType}, which the Accept header does not allow`, { mediaType: m.mediaType })
    }
    await o.pullPolicy?.check({ repository: name, digest: m.digest, mediaType: m.mediaType }, { principal: o.gate.nameOf(req), userAgent: req.headers['user-agent'] ?? '' })
    reply
      .header('content-type', m.mediaType)
      .header('docker-content-digest', m.digest)
      .header('etag', `"${m.digest}"`)
      .header('content-length', String(m.size))
    const sent = reply.send('body' in m ? m.body : undefined)
    return ref.kind === 'tag' ? { reply: sent, digest: m.digest, tag: ref.tag } : { reply: sent, digest: m.digest }
  }

  async function sendBlob(req: FastifyRequest, reply: FastifyReply, name: RepoName, digest: Digest, withBody: boolean) {
    // A blob of a proxy project not cached yet streams from the upstream, whole (a Range is not honoured then).
    const through = withBody ? await o.proxy?.blob(name, digest, () => signalOf(req)) : null
    if (through != null) {
      reply.header('docker-content-digest', digest).header('etag', `"${digest}"`).type('application/octet-stream').header('content-length', String(through.size))
      return reply.send(through.stream)
    }
    const { size } = await blobs.stat(name, digest)
    // With s3.redirect, a GET goes to a presigned URL: the bytes flow from the bucket to the client.
    if (withBody) {
      const location = await blobs.redirectUrl(digest)
      if (location !== null) return reply.code(307).header('location', location).header('docker-content-digest', digest).header('content-length', '0').send()
      // With storage.accel_redirect_prefix, nginx in front sends the bytes from the file (sendfile,
      // Range included) and copies these headers (deploy/nginx/berth.conf); this answer has no body.
      const internal = await blobs.internalRedirect(name, digest)
      if (internal !== null) {
        return reply.header('x-accel-redirect', internal).header('docker-content-digest', digest).header('etag', `"${digest}"`).type('application/octet-stream').header('content-length', '0').send()
      }
    }
    reply.header('docker-content-digest', digest).header('etag', `"${digest}"`).header('accept-ranges', 'bytes').type('application/octet-stream')
    let range: { offset: number; length: number } | undefined
    try {
      range = parseRange(req.headers.range, size)
    } catch (err) {
      reply.header('content-range', `bytes */${size}`)
      throw err
    }
    if (range !== undefined) {
      reply.code(206).header('content-range', `bytes ${range.offset}-${range.offset + range.length - 1}/${size}`)
    }
    reply.header('content-length', String(range?.length ?? size))
    if (!withBody) return reply.send()
    return reply.send(await blobs.open(name, digest, range))
  }

  async function dispatch(req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    reply.header('docker-distribution-api-version', 'registry/2.0')
    const path = (req.params as { '*'?: string })['*'] ?? ''
    try {
      checkHost(req)
      if (path === '') {
        req.registryHandler = 'base'
        nameRequestSpan(req.method, '/v2/')
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new BerthError('METHOD_NOT_ALLOWED', 'method not allowed')
        await o.gate.authorize(req, reply, { kind: 'base' })
        return reply.type('application/json').send('{}')
      }
      for (const route of routes) {
        const m = route.pattern.exec(path)
        if (m === null) continue
        req.registryHandler = route.handler
        nameRequestSpan(req.method, route.template)
        const method = route.methods[req.method]
        if (method === undefined) {
          reply.header('allow', Object.keys(route.methods).join(', '))
          throw new BerthError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here`)
        }
        return await run(method, req, reply, m)
      }
      throw new BerthError('NOT_FOUND', 'no such endpoint')
    } catch (err) {
      return await sendOciError(err, req, reply)
    }
  }

  /** Authorizes, runs and audits one method of a route. */
  async function run(method: Method, req: FastifyRequest, reply: FastifyReply, m: RegExpExecArray): Promise<unknown> {
    const need: Need = method.needs === 'catalog' ? { kind: 'catalog' } : { kind: 'repository', name: repo(m[1]!), action: method.needs }
    const from = method.mounts === true ? mountSource(req) : undefined
    if (need.kind === 'repository' && from !== undefined) need.mountFrom = from
    let grant: Grant | undefined
    try {
      grant = await o.gate.authorize(req, reply, need)
      if (need.kind === 'repository' && (need.action === 'push' || need.action === 'delete')) await o.proxy?.refuseWrite(need.name)
      const result = await method.handle(req, reply, m, grant)
      if (method.audit !== undefined) audit(method, req, m, 'success')
      return result
    } catch (err) {
      // Refusals and failures of changes are audited; failed reads are not (clients probe a lot).
      if (method.audit !== undefined && method.audit.operation !== 'pull' && (grant !== undefined || isBerthError(err, 'DENIED'))) audit(method, req, m, 'failure')
      throw err
    }
  }

  function audit(method: Method, req: FastifyRequest, m: RegExpExecArray, result: 'success' | 'failure'): void {
    const reference = m[2]!
    o.audit({
      username: o.gate.nameOf(req),
      operation: method.audit!.operation,
      resourceType: method.audit!.type,
      resource: `${m[1]}${reference.includes(':') ? '@' : ':'}${reference}`,
      result,
      clientIp: req.ip,
      projectName: m[1]!.split('/')[0]!,
      repository: m[1]!,
    })
  }

  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/v2/*', handler: dispatch })
  app.route({ method: ['GET', 'HEAD'], url: '/v2', handler: dispatch })
}

function repo(raw: string): RepoName {
  return parseRepoName(raw)
}

/**
 * The reference of a manifest to read or delete. A tag that is not a valid tag cannot name a
 * manifest: it is unknown (404 MANIFEST_UNKNOWN), as the spec's tests expect; MANIFEST_INVALID
 * is for what a client uploads. A malformed digest stays DIGEST_INVALID.
 */
function existingReference(raw: string): Reference {
  if (raw.includes(':')) return parseReference(raw)
  if (!isTag(raw)) throw new BerthError('MANIFEST_UNKNOWN', 'manifest unknown to registry', { tag: raw.slice(0, 200) })
  return parseReference(raw)
}

/** The repository a blob mount names in `from`, if it is a valid name (the handler refuses others). */
function mountSource(req: FastifyRequest): RepoName | undefined {
  const q = req.query as Record<string, string | undefined>
  if (q.mount === undefined || typeof q.from !== 'string' || !isRepoName(q.from)) return undefined
  return q.from
}

function pageOf(q: Record<string, string | undefined>, defaultLimit: number): { limit: number; last?: string } {
  let limit = defaultLimit
  if (q.n !== undefined) {
    if (!/^\d{1,15}$/.test(q.n)) throw new BerthError('BAD_REQUEST', 'n must be a non-negative integer')
    limit = Math.min(Number(q.n), MAX_PAGE)
  }
  const last = q.last === undefined || q.last === '' ? undefined : q.last
  return last === undefined ? { limit } : { limit, last }
}

function linkNext(reply: FastifyReply, path: string, limit: number, page: Listing, url: (p: string) => string): void {
  const last = page.items[page.items.length - 1]
  if (!page.more || last === undefined) return
  reply.header('link', `<${url(path)}?n=${limit}&last=${encodeURIComponent(last)}>; rel="next"`)
}

/**
 * The replication path a Berth peer sends with a manifest it copies (instance ids, oldest
 * first). It keeps content off the peers it names, so it is believed only from callers that
 * replicate (robots, system administrators); from anyone else it is ignored. Ill-formed values
 * are dropped: the path only ever stops replication, never grants.
 */
async function replicationPath(req: FastifyRequest, grant: Grant): Promise<string[]> {
  const header = req.headers[PATH_HEADER]
  if (typeof header !== 'string' || header.length > 4096 || !(await grant.replicates())) return []
  return header
    .split(',')
    .map((s) => s.trim())
    .filter((s) => /^[0-9a-f]{32}$/.test(s))
    .slice(0, 64)
}
