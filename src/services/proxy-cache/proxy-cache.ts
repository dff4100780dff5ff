// Proxy-cache projects (Harbor's registry_id): a pull from such a project that finds nothing here
// fetches from the project's upstream registry, stores what it got as ordinary content of the
// project, and serves it. Manifests are stored when pulled; the blobs they reference come when
// they are pulled, streamed to the client while they are written to storage (verified against
// their digest before they become visible). A tag is checked against the upstream on every pull
// (one HEAD): the cache serves while the digest matches, and when the upstream cannot be reached.
// A fetch of one manifest or blob happens once across the nodes (a lock in Redis or the database);
// who waits for it serves the cached copy after. Pushes and deletes through /v2/ are refused.
import { randomInt } from 'node:crypto'
import { RE2JS } from 're2js'
import { once } from 'node:events'
import { PassThrough, type Readable } from 'node:stream'
import { BerthError, isBerthError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import { newId } from '../../lib/ids.js'
import { compileGlob } from '../../lib/glob.js'
import { digestAlgorithm, type Digest } from '../../oci/digest.js'
import { projectOf, type Reference, type RepoName } from '../../oci/names.js'
import type { Project } from '../../metadata/project-store.js'
import type { RegistryRow } from '../../metadata/registry-store.js'
import { inTransaction } from '../../metadata/stores.js'
import { DELETING } from '../../metadata/blob-link-store.js'
import type { Lease, Locks } from '../../cache/shared-state.js'
import type { RemoteRegistry } from '../../remote/remote-registry.js'
import type { Caller } from '../../auth/identity.js'
import type { ProxyProjects } from '../identity/project-service.js'
import type { ManifestService } from '../registry/manifest-service.js'
import { blobBeingCollected, blobUnknown, claimForPush, type RegistryContext } from '../registry/registry-context.js'

/** The registry types a project may cache (Harbor permits its adapters with a pull API). */
export const PROXY_REGISTRY_TYPES = ['berth', 'harbor', 'docker-registry', 'docker-hub']

/** Harbor's default for a new proxy-cache project: artifacts not pulled for 7 days expire, checked daily. */
export const DEFAULT_RETENTION_DAYS = 7
const DEFAULT_RETENTION_CRON = '0 0 0 * * *'

/** How long a proxy project's settings (project row, registry, metadata) are reused in this process. */
const SETTINGS_TTL_MS = 5_000
const MAX_SETTINGS = 1_000
/** A fetch's lock lapses this long after its node stopped extending it (a node that died). */
const LOCK_TTL_MS = 15_000
const LOCK_POLL_MS = 50

export interface ProxyCacheOptions {
  ctx: RegistryContext
  manifests: Pick<ManifestService, 'put' | 'changed'>
  /** Locks across the nodes: Redis when configured, else the database. */
  locks: Locks
  registries: { get(id: number): Promise<RegistryRow | null> }
  /** The client of a stored registry, at `speedKiB` (0: unlimited). */
  client: (registry: RegistryRow, speedKiB: number) => RemoteRegistry
  /** Refuses a registry URL the outbound guard does not allow. */
  checkUrl: (url: string) => Promise<void>
  /** Creates the default retention policy of a new proxy project (RetentionService.create). */
  createRetention: (caller: Caller, input: Record<string, unknown>) => Promise<number>
  log: Logger
  /** Serve the cached copy of a tag when the upstream cannot be reached (Harbor does). */
  serveCachedWhenDown: boolean
  /** Longest wait for the upstream's answer to a manifest check or fetch. */
  upstreamTimeoutMs: number
  /** Longest wait for another pull's fetch of the same content before giving up. */
  fetchWaitMs: number
  /** Whether the registry is read-only now: then what is cached serves (tags as cached, unchecked) and nothing is fetched. */
  readOnly?: () => Promise<boolean>
  /** Told of each pull through a proxy project: served from what is cached (hit) or fetched from the upstream (miss). */
  counted?: (kind: 'manifest' | 'blob', result: 'hit' | 'miss') => void
}

/** What a pull through a proxy project needs to know, looked up once every SETTINGS_TTL_MS. */
interface ProxySettings {
  project: Project
  registry: RegistryRow
  client: RemoteRegistry
  /** Whether the upstream is asked for a repository (the filter pattern). */
  proxies: (repository: string) => boolean
  localOnNotFound: boolean
  maxUpstreamConn: number
}

/** A blob on its way from the upstream: the bytes for the client, and their size. */
export interface ProxiedBlob {
  stream: Readable
  size: number
}

export class ProxyCache implements ProxyProjects {
  private readonly settings = new Map<string, { proxy: ProxySettings | null; at: number }>()
  /** Clients by registry, its last change and the speed: their tokens are reused across pulls. */
  private readonly clients = new Map<string, RemoteRegistry>()

  constructor(private readonly o: ProxyCacheOptions) {}

  // --- projects -----------------------------------------------------------------------------

  /** Harbor's checks of registry_id: positive, an existing registry of a type that can be cached, at an allowed address. */
  async check(registryId: number): Promise<void> {
    if (!Number.isSafeInteger(registryId) || registryId <= 0) throw new BerthError('BAD_REQUEST', `${registryId} is invalid value of registry_id, it should be greater than 0`)
    const registry = await this.o.registries.get(registryId)
    if (registry === null) throw new BerthError('NOT_FOUND', `registry ${registryId} not found`)
    if (!PROXY_REGISTRY_TYPES.includes(registry.type)) throw new BerthError('BAD_REQUEST', `unsupported registry type ${registry.type}`)
    try {
      await this.o.checkUrl(registry.url)
    } catch (err) {
      throw new BerthError('BAD_REQUEST', `registry ${registryId} cannot be proxied: ${(err as Error).message}`)
    }
  }

  /** Harbor's default retention policy of a proxy project: keep what was pulled within 7 days. */
  async created(caller: Caller, project: Project): Promise<void> {
    await this.o.createRetention(caller, {
      algorithm: 'or',
      rules: [
        {
          action: 'retain',
          template: 'nDaysSinceLastPull',
          params: { nDaysSinceLastPull: DEFAULT_RETENTION_DAYS },
          tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '**', extras: JSON.stringify({ untagged: true }) }],
          scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
        },
      ],
      trigger: { kind: 'Schedule', settings: { cron: DEFAULT_RETENTION_CRON } },
      scope: { level: 'project', ref: project.id },
    })
  }

  /**
   * The proxy settings of the project `repository` is in; null for an ordinary project. Both are
   * remembered for SETTINGS_TTL_MS, so that pulls and pushes of ordinary projects cost no query.
   */
  private async proxyOf(repository: RepoName): Promise<ProxySettings | null> {
    const name = projectOf(repository)
    const cached = this.settings.get(name)
    if (cached !== undefined && cached.at > Date.now() - SETTINGS_TTL_MS) return cached.proxy
    const project = await this.o.ctx.stores.projects.get(name)
    const proxy = project?.registryId === undefined ? null : await this.load(project)
    this.settings.delete(name)
    this.settings.set(name, { proxy, at: Date.now() })
    if (this.settings.size > MAX_SETTINGS) this.settings.delete(this.settings.keys().next().value!)
    return proxy
  }

  private async load(project: Project): Promise<ProxySettings> {
    const registry = await this.o.registries.get(project.registryId!)
    if (registry === null) throw new BerthError('NAME_UNKNOWN', `the registry project ${project.name} caches is gone`, { project: project.name })
    const [detail] = await this.o.ctx.stores.projects.detail([project.id])
    const metadata = detail?.metadata ?? {}
    const speed = Number(metadata.proxy_speed_kb ?? -1)
    const key = `${registry.id}:${registry.updatedAt}:${speed}`
    let client = this.clients.get(key)
    if (client === undefined) {
      client = this.o.client(registry, speed)
      this.clients.set(key, client)
      if (this.clients.size > MAX_SETTINGS) this.clients.delete(this.clients.keys().next().value!)
    }
    const pattern = metadata.proxy_cache_filter_pattern ?? ''
    let proxies: (repository: string) => boolean = () => true
    if (pattern !== '') {
      const kind = metadata.proxy_cache_filter_kind ?? 'doublestar'
      try {
        proxies = kind === 'regex' ? searchRegex(pattern) : compileGlob(pattern, 'proxy_cache_filter_pattern')
      } catch (err) {
        this.o.log.warn({ project: project.name, pattern, kind, err: (err as Error).message }, 'proxy cache: the filter pattern does not compile; nothing is fetched from the upstream')
        proxies = () => false
      }
    }
    return { project, registry, client, proxies, localOnNotFound: metadata.proxy_cache_local_on_not_found === 'true', maxUpstreamConn: Number(metadata.max_upstream_conn ?? -1) }
  }

  private async readOnly(): Promise<boolean> {
    return this.o.readOnly !== undefined && (await this.o.readOnly())
  }

  /** DENIED for a push or delete through /v2/ into a proxy project, with Harbor's message. */
  async refuseWrite(repository: RepoName): Promise<void> {
    const p = await this.proxyOf(repository)
    if (p !== null) throw new BerthError('DENIED', `can not push artifact to a proxy project: ${p.project.name}`)
  }

  // --- manifests ----------------------------------------------------------------------------

  /**
   * Makes sure a manifest pull finds what the upstream has: by digest, fetched when not cached;
   * by tag, fetched when not cached or when the upstream's tag moved. A repository outside a
   * proxy project, or outside its filter, is left alone. `cancelled` gives the client's
   * cancellation, asked for only when the upstream is (a pull elsewhere does not pay for it).
   */
  async manifest(repository: RepoName, ref: Reference, cancelled?: () => AbortSignal): Promise<void> {
    const p = await this.proxyOf(repository)
    const upstream = p === null ? null : upstreamName(p, repository)
    if (p === null || upstream === null || !p.proxies(upstream)) return
    const signal = cancelled?.()
    const artifacts = this.o.ctx.stores.artifacts
    const readOnly = await this.readOnly()
    const counted = (result: 'hit' | 'miss') => this.o.counted?.('manifest', result)
    if (ref.kind === 'digest') {
      if ((await artifacts.getByDigest(repository, ref.digest)) !== null) return counted('hit')
      if (readOnly) throw new BerthError('MANIFEST_UNKNOWN', `manifest unknown: ${repository}@${ref.digest} is not cached, and the registry is read-only`, { digest: ref.digest })
      counted('miss')
      await this.once(`proxy-manifest:${repository}@${ref.digest}`, signal, async () => {
        if ((await artifacts.getByDigest(repository, ref.digest)) !== null) return
        await this.fetchManifest(p, repository, upstream, ref.digest, ref, signal)
      })
      return
    }
    const local = await artifacts.getByTag(repository, ref.tag)
    if (readOnly) {
      if (local !== null) return counted('hit')
      throw new BerthError('MANIFEST_UNKNOWN', `manifest unknown: ${repository}:${ref.tag} is not cached, and the registry is read-only`, { tag: ref.tag })
    }
    let current: string | null
    try {
      current = await this.upstreamCall(p, (s) => p.client.manifestDigest(upstream, ref.tag, s), signal)
    } catch (err) {
      if (local !== null && this.o.serveCachedWhenDown) {
        this.o.log.warn({ repository, tag: ref.tag, registry: p.registry.name, err: (err as Error).message }, 'proxy cache: upstream unreachable, serving the cached tag')
        return counted('hit')
      }
      throw new BerthError('MANIFEST_UNKNOWN', `manifest unknown: ${repository}:${ref.tag} is not cached and the upstream failed: ${(err as Error).message}`, { tag: ref.tag })
    }
    if (current === null) {
      if (local !== null && p.localOnNotFound) return counted('hit')
      throw new BerthError('MANIFEST_UNKNOWN', `manifest unknown: the upstream has no ${upstream}:${ref.tag}`, { tag: ref.tag })
    }
    if (local?.digest === current) return counted('hit')
    counted('miss')
    try {
      await this.once(`proxy-manifest:${repository}:${ref.tag}`, signal, async () => {
        if ((await artifacts.getByTag(repository, ref.tag))?.digest === current) return
        await this.fetchManifest(p, repository, upstream, current, ref, signal)
      })
    } catch (err) {
      // The upstream failed between its answer and the fetch: what is cached still serves.
      if (local === null || !this.o.serveCachedWhenDown || signal?.aborted === true) throw err
      this.o.log.warn({ repository, tag: ref.tag, registry: p.registry.name, err: (err as Error).message }, 'proxy cache: fetching the moved tag failed, serving the cached one')
    }
  }

  /** Fetches a manifest by digest (verified by the client) and stores it under `ref`. */
  private async fetchManifest(p: ProxySettings, repository: RepoName, upstream: string, digest: string, ref: Reference, signal?: AbortSignal): Promise<void> {
    let doc
    try {
      doc = await this.upstreamCall(p, (s) => p.client.manifest(upstream, digest, s), signal)
    } catch (err) {
      if (isBerthError(err, 'DIGEST_INVALID') || isBerthError(err, 'MANIFEST_TOO_LARGE')) this.o.log.warn({ repository, digest, registry: p.registry.name, err: err.message }, 'proxy cache: upstream sent a bad manifest')
      throw new BerthError('MANIFEST_UNKNOWN', `manifest unknown: fetching ${upstream}@${digest} from the upstream failed: ${(err as Error).message}`, { digest })
    }
    if (doc === null) throw new BerthError('MANIFEST_UNKNOWN', `manifest unknown: the upstream has no ${upstream}@${digest}`, { digest })
    await this.o.manifests.put(repository, ref, doc.body, doc.mediaType, { proxied: true })
    this.o.log.info({ repository, reference: ref.kind === 'tag' ? ref.tag : ref.digest, digest: doc.digest, registry: p.registry.name }, 'proxy cache: manifest fetched from upstream')
  }

  // --- blobs --------------------------------------------------------------------------------

  /**
   * A blob GET in a proxy project: null when the project has the blob (serve it as usual), else
   * the bytes from the upstream, written to storage while they stream to the client. A blob
   * stored for another repository is linked after the upstream confirmed it has it (knowing a
   * digest must not open another project's blob).
   */
  async blob(repository: RepoName, digest: Digest, cancelled?: () => AbortSignal): Promise<ProxiedBlob | null> {
    const p = await this.proxyOf(repository)
    const upstream = p === null ? null : upstreamName(p, repository)
    if (p === null || upstream === null || !p.proxies(upstream)) return null
    const signal = cancelled?.()
    if (await this.cached(repository, digest)) {
      this.o.counted?.('blob', 'hit')
      return null
    }
    if (await this.readOnly()) throw new BerthError('BLOB_UNKNOWN', `blob unknown: ${digest} is not cached in ${repository}, and the registry is read-only`, { digest })
    this.o.counted?.('blob', 'miss')
    const lease = await this.acquire(`proxy-blob:${digest}`, signal)
    let handedOver = false
    try {
      if (await this.cached(repository, digest)) return null
      if ((await this.o.ctx.stores.blobLinks.state(digest)) === 'present') {
        const there = await this.upstreamCall(p, (s) => p.client.hasBlob(upstream, digest, s), signal).catch(() => false)
        if (!there) throw blobUnknown(digest)
        if (await this.link(repository, digest)) return null
      }
      const through = await this.streamThrough(p, repository, upstream, digest, lease.lease)
      handedOver = true
      return through
    } finally {
      if (!handedOver) await lease.release()
    }
  }

  /** Whether the repository has the blob (linked, and not being collected). */
  private async cached(repository: RepoName, digest: Digest): Promise<boolean> {
    const linked = await this.o.ctx.stores.blobLinks.get(repository, digest)
    return linked !== null && linked.gcMark !== DELETING
  }

  /** Links a stored blob into the repository; false when it is gone or being collected. */
  private async link(repository: RepoName, digest: Digest): Promise<boolean> {
    return inTransaction(this.o.ctx.deps.db, async (s) => {
      const project = await this.o.ctx.requireProject(repository, s)
      const repo = await s.repositories.ensure(project.id, repository)
      return s.blobLinks.link(repo.id, digest)
    })
  }

  /**
   * Opens the blob upstream and tees it: every chunk goes to an upload in storage and to the
   * client, the last chunk only after the upload verified the digest and was published, so a
   * client never receives the whole of a blob that does not match. Memory holds one chunk per
   * side (backpressure from both). A client that leaves does not stop the caching.
   */
  private async streamThrough(p: ProxySettings, repository: RepoName, upstream: string, digest: Digest, lease: HeldLock): Promise<ProxiedBlob> {
    const release = await this.slot(p)
    let opened: { stream: Readable; size: number }
    try {
      // No deadline on the transfer itself (a large blob takes long): the client's body timeout ends a stalled one.
      opened = await p.client.openBlob(upstream, digest, 0)
    } catch (err) {
      release()
      if (isBerthError(err, 'BLOB_UNKNOWN')) throw blobUnknown(digest)
      throw new BerthError('BLOB_UNKNOWN', `blob unknown: fetching ${upstream}@${digest} from the upstream failed: ${(err as Error).message}`, { digest })
    }
    const { stream: source, size } = opened
    const blobs = this.o.ctx.deps.blobs
    const uploads = this.o.ctx.stores.uploads
    const id = newId()
    try {
      // A row, so that a crash mid-way leaves an upload the idle purge removes.
      await uploads.create(id, repository, null)
      await blobs.createUpload(id)
    } catch (err) {
      source.destroy()
      release()
      await uploads.delete(id).catch(() => {})
      throw err
    }
    const toClient = new PassThrough()
    const toStore = new PassThrough()
    const stored = blobs.append(id, toStore, { size: 0, expectedLength: size, algorithm: digestAlgorithm(digest) })
    stored.catch(() => {})
    const log = this.o.log
    void (async () => {
      let pending: Buffer | null = null
      let bytes = 0
      try {
        for await (const chunk of source as AsyncIterable<Buffer>) {
          bytes += chunk.length
          if (bytes > size) throw new BerthError('SIZE_INVALID', `the upstream sent more than the ${size} bytes of ${digest}`)
          await write(toStore, chunk)
          if (pending !== null) await write(toClient, pending)
          pending = chunk
        }
        toStore.end()
        const length = await stored
        await claimForPush(this.o.ctx, digest)
        const info = await blobs.commit(id, digest, { size: length })
        await inTransaction(this.o.ctx.deps.db, async (s) => {
          const project = await this.o.ctx.requireProject(repository, s)
          const repo = await s.repositories.ensure(project.id, repository)
          await s.blobLinks.record(info.digest, info.size)
          if (!(await s.blobLinks.link(repo.id, info.digest))) throw blobBeingCollected(info.digest)
          await s.uploads.delete(id)
        })
        if (pending !== null) await write(toClient, pending)
        toClient.end()
        log.info({ repository, digest, size, registry: p.registry.name }, 'proxy cache: blob fetched from upstream')
      } catch (err) {
        toStore.destroy()
        await stored.catch(() => {})
        await blobs.cancel(id).catch(() => {})
        await uploads.delete(id).catch(() => {})
        toClient.destroy(err as Error)
        log.warn({ repository, digest, registry: p.registry.name, err: (err as Error).message }, 'proxy cache: fetching a blob from upstream failed; nothing stored')
      } finally {
        source.destroy()
        release()
        await lease.release()
      }
    })()
    return { stream: toClient, size }
  }

  // --- limits and locks ---------------------------------------------------------------------

  /**
   * Takes one of the project's max_upstream_conn upstream connections, counted across the nodes:
   * connection i is the short lock `proxy-conn:<project>:<i>` (in Redis, else the database),
   * tried from a random one so that pulls spread over them, and kept alive while the transfer
   * runs; a node that dies frees its connections when their locks lapse. TOOMANYREQUESTS when
   * every one is held.
   */
  private async slot(p: ProxySettings): Promise<() => void> {
    const max = p.maxUpstreamConn
    if (max <= 0) return () => {}
    const first = randomInt(max)
    for (let i = 0; i < max; i++) {
      const lease = await this.o.locks.acquire(`proxy-conn:${p.project.id}:${(first + i) % max}`, LOCK_TTL_MS)
      if (lease !== null) {
        const held = keptAlive(lease)
        return () => void held.release()
      }
    }
    throw new BerthError('TOOMANYREQUESTS', `project ${p.project.name} has ${max} upstream connections in use (max_upstream_conn)`, { retryAfterSeconds: 1 })
  }

  /** A call to the upstream within the timeout, holding one of the project's connections. */
  private async upstreamCall<T>(p: ProxySettings, call: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    const release = await this.slot(p)
    const timeout = AbortSignal.timeout(this.o.upstreamTimeoutMs)
    try {
      return await call(signal === undefined ? timeout : AbortSignal.any([signal, timeout]))
    } finally {
      release()
    }
  }

  /** Runs `fn` holding `key` across the nodes (waiting for another holder first). */
  private async once(key: string, signal: AbortSignal | undefined, fn: () => Promise<void>): Promise<void> {
    const held = await this.acquire(key, signal)
    try {
      await fn()
    } finally {
      await held.release()
    }
  }

  /** Takes `key`, waiting up to fetchWaitMs while another pull holds it; keeps it alive until released. */
  private async acquire(key: string, signal?: AbortSignal): Promise<{ lease: HeldLock; release: () => Promise<void> }> {
    const deadline = Date.now() + this.o.fetchWaitMs
    let lease: Lease | null = await this.o.locks.acquire(key, LOCK_TTL_MS)
    while (lease === null) {
      signal?.throwIfAborted()
      if (Date.now() >= deadline) throw new BerthError('TOOMANYREQUESTS', 'another pull is fetching this from the upstream; try again shortly', { retryAfterSeconds: 5 })
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS))
      lease = await this.o.locks.acquire(key, LOCK_TTL_MS)
    }
    const held = keptAlive(lease)
    return { lease: held, release: held.release }
  }
}

/**
 * A regular expression in Go's syntax (RE2, as Harbor's patterns are), found anywhere in the
 * name as Go's MatchString does. RE2 runs in time linear in the name whatever the pattern, so a
 * project admin's pattern cannot stall a pull (JavaScript's own engine backtracks).
 */
function searchRegex(pattern: string): (name: string) => boolean {
  const re = RE2JS.compile(pattern)
  return (name) => re.test(name)
}

/** Keeps `lease` alive until it is released (once; a failed release is left to lapse). */
function keptAlive(lease: Lease): HeldLock {
  const keepAlive = setInterval(() => void lease.extend(LOCK_TTL_MS).catch(() => false), LOCK_TTL_MS / 3)
  keepAlive.unref()
  let done = false
  return {
    release: async () => {
      if (done) return
      done = true
      clearInterval(keepAlive)
      await lease.release().catch(() => {})
    },
  }
}

interface HeldLock {
  release(): Promise<void>
}

/** The repository's name upstream: the path after the project (Docker Hub's library/ is the client's). */
function upstreamName(p: ProxySettings, repository: RepoName): string | null {
  const name = repository.slice(p.project.name.length + 1)
  return name === '' ? null : name
}

/** Writes a chunk, waiting while the stream is full; a stream that closed (a client gone) takes nothing more. */
async function write(stream: PassThrough, chunk: Buffer): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return
  if (stream.write(chunk)) return
  await Promise.race([once(stream, 'drain'), once(stream, 'close')]).catch(() => {})
}
