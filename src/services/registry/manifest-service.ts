// Registry use cases for manifests: push, pull, delete, tags, catalog and referrers.
import { BerthError } from '../../lib/errors.js'
import { LruCache } from '../../cache/lru-cache.js'
import { digestAlgorithm, digestOf, type Digest } from '../../oci/digest.js'
import { parseManifest, type Descriptor, type ParsedManifest } from '../../oci/manifest.js'
import type { RepoName, Reference } from '../../oci/names.js'
import type { ArtifactRow } from '../../metadata/artifact-store.js'
import type { ReadScope } from '../../metadata/repository-store.js'
import { inTransaction, type Stores } from '../../metadata/stores.js'
import { eventMeta } from '../../events/outbox.js'
import { blobBeingCollected, claimForPush, nameUnknown, type RegistryContext } from './registry-context.js'
import { QuotaExceeded } from '../quota/quota-service.js'

export interface ManifestInfo {
  digest: Digest
  mediaType: string
  size: number
}

/** Options of a write: the replication path it arrived with (empty for a client's own push), and who made it. */
export interface WriteOptions {
  path?: readonly string[]
  /** The user or robot name on the write's event, 'anonymous', or '' (the default) for the system. */
  operator?: string
  /** A delete by digest only if the artifact has no tag when it happens (garbage collection's untagged deletion). */
  untaggedOnly?: boolean
  /**
   * Stored by the proxy cache from its upstream: the blobs and child manifests it references come
   * later, when they are pulled (quota counts the blobs by the sizes the manifest gives them), and
   * no push event is recorded (nothing was pushed here).
   */
  proxied?: boolean
}

export interface PushedManifest {
  digest: Digest
  subject?: Digest
}

/** One page of a listing, and whether more follow. */
export interface Listing {
  items: string[]
  more: boolean
}

/** How long a looked-up tag or digest stays cached (writes invalidate it at once; this bounds a missed one). */
const LOOKUP_TTL_MS = 60_000
/** Manifest bytes in the shared cache: content-addressed, so never stale; only the size is bounded. */
const BYTES_TTL_MS = 60 * 60_000
const SHARED_BYTES_MAX = 1 << 20

/** The cache group of one repository's lookups (tag or digest -> manifest). */
const lookups = (repository: RepoName) => `manifests:${repository}`

export class ManifestService {
  /** Manifest bytes by digest, in this process: content-addressed, so never stale. */
  private readonly bytes = new LruCache<Buffer>(64 << 20, (b) => b.length + 64)

  constructor(private readonly ctx: RegistryContext) {}

  /**
   * Stores a manifest exactly as sent, after checking that everything it references is in the
   * repository (the subject need not be). Bytes first, then metadata in one transaction.
   */
  async put(repository: RepoName, ref: Reference, body: Buffer, contentType: string | undefined, o: WriteOptions = {}): Promise<PushedManifest> {
    const digest = digestOf(body, ref.kind === 'digest' ? digestAlgorithm(ref.digest) : 'sha256')
    if (ref.kind === 'digest' && ref.digest !== digest) {
      throw new BerthError('DIGEST_INVALID', 'manifest digest does not match the reference', { expected: ref.digest, actual: digest })
    }
    const m = parseManifest(body, contentType)
    const project = await this.ctx.requireProject(repository)
    // Checked before the bytes are written, so a refused manifest leaves nothing behind, and
    // again in the transaction, against a concurrent delete.
    const existing = await this.ctx.stores.repositories.get(repository)
    const proxied = o.proxied === true
    if (!proxied) await assertReferencesExist(this.ctx.stores, existing?.id, m)
    // An immutable tag is not moved: refused before the bytes are written (the tag is looked up
    // only when a rule covers the repository), and again in the transaction.
    const immutability = this.ctx.deps.immutability
    if (ref.kind === 'tag' && existing !== null) {
      await immutability.check(project.id, repository, async () => movedTag(await this.ctx.stores.artifacts.getByTag(repository, ref.tag), ref.tag, digest), 'push')
    }
    await claimForPush(this.ctx, digest)
    await this.ctx.deps.blobs.putBytes(digest, body)
    const path = [...(o.path ?? [])]
    const quota = this.ctx.deps.quota
    try {
      await inTransaction(this.ctx.deps.db, async (s, trx) => {
        const repo = await s.repositories.ensure(project.id, repository)
        // The manifest's own record first: bytes a collection is removing as an orphan are not ours
        // to keep. Then the referenced blobs are locked against garbage collection before their
        // links are checked: a collection that removed one first has removed its links too.
        await s.blobLinks.record(digest, body.length)
        const collected = await s.blobLinks.lockInUse([digest, ...m.blobs.map((d) => d.digest)])
        if (collected.includes(digest)) throw blobBeingCollected(digest)
        if (collected.length > 0 && !proxied) throw new BerthError('MANIFEST_BLOB_UNKNOWN', `manifest references ${collected.length} blob(s) garbage collection removed; push them again`, { missing: collected.slice(0, 20) })
        await s.artifacts.lockShared(repo.id, m.manifests.map((d) => d.digest))
        if (!proxied) await assertReferencesExist(s, repo.id, m)
        const before = ref.kind === 'tag' ? await s.artifacts.getByTag(repository, ref.tag) : await s.artifacts.getByDigest(repository, digest)
        if (ref.kind === 'tag') await immutability.check(project.id, repository, movedTag(before, ref.tag, digest), 'push', s)
        const put = await s.artifacts.put(repo.id, {
          digest,
          mediaType: m.mediaType,
          artifactType: m.artifactType ?? null,
          size: body.length,
          subjectDigest: m.subject?.digest ?? null,
          annotations: m.annotations ?? null,
          blobs: m.blobs.map((d) => d.digest),
          manifests: m.manifests.map((d) => d.digest),
          ...(proxied ? { proxied: { declaredSizes: new Map(m.blobs.map((d) => [d.digest, d.size])) } } : {}),
        })
        // New content counts against the project's limit; past it, the whole push rolls back.
        if (put.usage !== undefined) await quota?.admit(trx, project.name, repository, put.usage, o.operator ?? '')
        if (ref.kind === 'tag') await s.artifacts.tag(repo.id, put.id, ref.tag)
        await s.repositories.touch(repo.id)
        if (path.length > 0) await s.artifactPaths.record(repo.id, digest, path)
        // An event when something changed: a tag that is new or moved, or a new referrer (a
        // signature, an SBOM) pushed by digest. A write that changes nothing (a replica arriving
        // where it already is) has none, which is what ends replication in a mesh.
        if (!proxied && (before === null || before.digest !== digest) && (ref.kind === 'tag' || m.subject !== undefined)) {
          await this.ctx.deps.outbox.record(trx, { type: 'PUSH_ARTIFACT', repository, digest, ...(ref.kind === 'tag' ? { tag: ref.tag } : {}), path, ...eventMeta(o.operator ?? '') })
        }
      })
    } catch (err) {
      if (err instanceof QuotaExceeded) await quota?.exceeded(err, o.operator ?? '').catch((e: unknown) => this.ctx.deps.log.warn({ err: e }, 'recording QUOTA_EXCEED failed'))
      throw err
    }
    this.ctx.deps.outbox.committed()
    await this.changed(repository)
    this.bytes.set(digest, body)
    return m.subject === undefined ? { digest } : { digest, subject: m.subject.digest }
  }

  /**
   * Metadata of a manifest by tag or digest; MANIFEST_UNKNOWN (or NAME_UNKNOWN) when absent.
   * Found lookups are cached (shared by the nodes); every write to the repository's manifests or
   * tags invalidates them before it is acknowledged. Misses are not cached.
   */
  async stat(repository: RepoName, ref: Reference): Promise<ManifestInfo> {
    const cache = this.ctx.deps.shared.cache
    const key = ref.kind === 'tag' ? ref.tag : ref.digest
    const read = await cache.read(lookups(repository), key)
    if (read.value !== null) return JSON.parse(read.value) as ManifestInfo
    const row =
      ref.kind === 'tag'
        ? await this.ctx.stores.artifacts.getByTag(repository, ref.tag)
        : await this.ctx.stores.artifacts.getByDigest(repository, ref.digest)
    if (row === null) throw await this.unknown(repository, ref)
    const found = info(row)
    await cache.fill(read, JSON.stringify(found), LOOKUP_TTL_MS)
    return found
  }

  /** Forgets the cached lookups of a repository, on every node: call after each committed change to its manifests or tags. */
  changed(repository: RepoName): Promise<void> {
    return this.ctx.deps.shared.cache.invalidate(lookups(repository))
  }

  /** A manifest with its exact bytes: from this process, the shared cache, or storage. */
  async get(repository: RepoName, ref: Reference): Promise<ManifestInfo & { body: Buffer }> {
    const m = await this.stat(repository, ref)
    let body = this.bytes.get(m.digest)
    if (body === undefined) {
      body = (await this.ctx.deps.shared.cache.get(`manifest:${m.digest}`)) ?? (await this.readStored(m.digest))
      this.bytes.set(m.digest, body)
    }
    return { ...m, body }
  }

  /** Manifest bytes from storage, kept in the shared cache for the other nodes. */
  private async readStored(digest: Digest): Promise<Buffer> {
    const chunks: Buffer[] = []
    for await (const c of await this.ctx.deps.blobs.open(digest)) chunks.push(c as Buffer)
    const body = Buffer.concat(chunks)
    if (body.length <= SHARED_BYTES_MAX) await this.ctx.deps.shared.cache.set(`manifest:${digest}`, body, BYTES_TTL_MS)
    return body
  }

  /** Deletes a tag (the manifest stays), or a manifest by digest with all its tags. */
  async delete(repository: RepoName, ref: Reference, o: WriteOptions = {}): Promise<void> {
    try {
      await this.deleteCommitted(repository, ref, [...(o.path ?? [])], o.operator ?? '', o.untaggedOnly === true)
      this.ctx.deps.outbox.committed()
    } finally {
      await this.changed(repository)
    }
  }

  private async deleteCommitted(repository: RepoName, ref: Reference, path: string[], operator: string, untaggedOnly: boolean): Promise<void> {
    await inTransaction(this.ctx.deps.db, async (s, trx) => {
      const repo = await this.ctx.requireRepository(repository, s)
      if (ref.kind === 'tag') {
        const tagged = await s.artifacts.getByTag(repository, ref.tag)
        if (tagged === null) throw new BerthError('MANIFEST_UNKNOWN', 'manifest unknown to registry', { tag: ref.tag })
        await this.ctx.deps.immutability.check(repo.projectId, repository, [ref.tag], 'delete', s)
        if (!(await s.artifacts.untag(repo.id, ref.tag))) throw new BerthError('MANIFEST_UNKNOWN', 'manifest unknown to registry', { tag: ref.tag })
        await this.ctx.deps.outbox.record(trx, { type: 'DELETE_TAG', repository, tag: ref.tag, digest: tagged.digest, path, ...eventMeta(operator) })
        return
      }
      if (untaggedOnly && (await s.artifacts.lockTagged(repo.id, ref.digest))) {
        throw new BerthError('PRECONDITION', 'the artifact was tagged meanwhile; it stays', { digest: ref.digest })
      }
      const parent = await s.artifacts.referencedBy(repo.id, ref.digest, 'manifest')
      if (parent !== null) {
        throw new BerthError('DELETE_REFUSED', `manifest is part of index ${parent}; delete the index first`, { digest: ref.digest, index: parent })
      }
      // Deleting an artifact takes its tags (and its referrers') with it.
      await this.ctx.deps.immutability.check(repo.projectId, repository, () => s.artifacts.tagsGoingWith(repo.id, ref.digest), 'delete', s)
      const tags = await s.artifacts.tagsOf(repo.id, ref.digest)
      if (!(await s.artifacts.delete(repo.id, ref.digest))) {
        throw new BerthError('MANIFEST_UNKNOWN', 'manifest unknown to registry', { digest: ref.digest })
      }
      await this.ctx.deps.outbox.record(trx, { type: 'DELETE_ARTIFACT', repository, digest: ref.digest, tags, path, ...eventMeta(operator) })
    })
  }

  /** Tags in byte order, `limit` at most, after `last`. NAME_UNKNOWN for an unknown repository. */
  async listTags(repository: RepoName, limit: number, last?: string): Promise<Listing> {
    const repo = await this.ctx.requireRepository(repository)
    if (limit === 0) return { items: [], more: false }
    const rows = await this.ctx.stores.artifacts.listTags(repo.id, { limit: limit + 1, after: last })
    return { items: rows.slice(0, limit), more: rows.length > limit }
  }

  /** Names of the repositories `scope` admits, in byte order, `limit` at most, after `last`. */
  async catalog(scope: ReadScope, limit: number, last?: string): Promise<Listing> {
    if (limit === 0) return { items: [], more: false }
    const rows = await this.ctx.stores.repositories.list({ limit: limit + 1, after: last }, scope)
    return { items: rows.slice(0, limit), more: rows.length > limit }
  }

  /** The referrers of `digest` as descriptors; empty (never an error) when there are none. */
  async referrers(repository: RepoName, digest: Digest, artifactType?: string): Promise<Descriptor[]> {
    const repo = await this.ctx.stores.repositories.get(repository)
    if (repo === null) return []
    const rows = await this.ctx.stores.artifacts.referrers(repo.id, digest, artifactType)
    return rows.map((r) => {
      const d: Descriptor = { mediaType: r.mediaType, digest: r.digest as Digest, size: r.size }
      if (r.artifactType !== null) d.artifactType = r.artifactType
      if (r.annotations !== null) d.annotations = r.annotations
      return d
    })
  }

  private async unknown(repository: RepoName, ref: Reference): Promise<BerthError> {
    if ((await this.ctx.stores.repositories.get(repository)) === null) {
      return nameUnknown(repository)
    }
    return new BerthError('MANIFEST_UNKNOWN', 'manifest unknown to registry', ref.kind === 'tag' ? { tag: ref.tag } : { digest: ref.digest })
  }
}

/** MANIFEST_BLOB_UNKNOWN unless every blob and child manifest is in the repository (if any). */
async function assertReferencesExist(stores: Stores, repositoryId: number | undefined, m: ParsedManifest): Promise<void> {
  const blobs = m.blobs.map((d) => d.digest)
  const manifests = m.manifests.map((d) => d.digest)
  const missing =
    repositoryId === undefined
      ? [...new Set([...blobs, ...manifests])]
      : [...(await stores.blobLinks.missing(repositoryId, blobs)), ...(await stores.artifacts.missing(repositoryId, manifests))]
  if (missing.length > 0) {
    throw new BerthError('MANIFEST_BLOB_UNKNOWN', `manifest references ${missing.length} unknown blob(s) or manifest(s)`, { missing: missing.slice(0, 20) })
  }
}

/** The tag a push would move: `tag` when it points at another digest now, else none. */
function movedTag(current: ArtifactRow | null, tag: string, digest: Digest): string[] {
  return current !== null && current.digest !== digest ? [tag] : []
}

function info(row: ArtifactRow): ManifestInfo {
  return { digest: row.digest as Digest, mediaType: row.mediaType, size: row.size }
}
