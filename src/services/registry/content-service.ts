// A project's content as the management API sees it: repositories, artifacts (with tags,
// children, accessories and labels), tag changes, copies between repositories, and deletions.
// Every call resolves the project and checks the caller's permission there first.
import { eventMeta, type Outbox } from '../../events/outbox.js'
import { BerthError } from '../../lib/errors.js'
import { configOf, storedManifest } from '../../oci/manifest.js'
import type { Stores } from '../../metadata/stores.js'
import { inTransaction } from '../../metadata/stores.js'
import type { Db } from '../../metadata/schema.js'
import type { Project } from '../../metadata/project-store.js'
import type { AccessoryDetail, ArtifactDetail, RepositoryDetail, TagDetail } from '../../metadata/catalog-store.js'
import type { Label } from '../../metadata/label-store.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import type { Caller } from '../../auth/identity.js'
import type { AccessController } from '../../auth/access.js'
import type { Permission } from '../../auth/permissions.js'
import { parseReference, parseRepoName, isTag, projectOf, type Reference, type RepoName } from '../../oci/names.js'
import { parseDigest, type Digest } from '../../oci/digest.js'
import { cosignSignatureTag } from '../../oci/accessory.js'
import type { ManifestService } from './manifest-service.js'
import type { BlobService } from './blob-service.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ProjectRef, ProjectService } from '../identity/project-service.js'
import { actorOf } from '../identity/guards.js'
import type { TagImmutability } from '../immutability/immutability-service.js'

export interface ArtifactView extends ArtifactDetail {
  projectId: number
  repositoryName: string
  tags?: (TagDetail & { immutable?: boolean })[]
  labels?: Label[]
  accessories?: AccessoryDetail[]
  /** Children of an index, with the platform the index gives them. */
  references: { childId: number | null; childDigest: string; platform?: Record<string, unknown>; annotations?: Record<string, string>; urls?: string[] }[]
}

export interface ArtifactOptions {
  withTag?: boolean
  withLabel?: boolean
  withAccessory?: boolean
  /** Marks the tags an immutability rule protects (Harbor's with_immutable_status). */
  withImmutableStatus?: boolean
}

export interface ContentServiceOptions {
  db: Db
  stores: Stores
  access: AccessController
  projects: ProjectService
  manifests: ManifestService
  /** Reads an image's config for its additions. */
  blobs: Pick<BlobService, 'open'>
  audit: AuditLog
  outbox: Outbox
  /** Refuses removing a tag an immutability rule protects (with its artifact or repository too). */
  immutability: TagImmutability
}

/**
 * What an artifact's additions are made of: Harbor's `build_history` (the image config's
 * `history`), and Berth's own `manifest` and `config` (their exact JSON), which Harbor's console
 * does not show and a browser session cannot read from /v2/.
 */
export const ADDITIONS = ['build_history', 'manifest', 'config'] as const
export type Addition = (typeof ADDITIONS)[number]

/** The largest config an addition reads: configs are small JSON documents; a larger one is read from /v2/. */
export const MAX_CONFIG_BYTES = 4 << 20

/** At most this many accessories travel with one copy (cosign keeps every signature in one manifest). */
const MAX_COPIED_ACCESSORIES = 100

const IMAGE_CONFIGS = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json'])

function notFound(what: string): BerthError {
  return new BerthError('NOT_FOUND', `${what} not found`)
}

export class ContentService {
  constructor(private readonly o: ContentServiceOptions) {}

  private audit(caller: Caller, project: Project, operation: string, resourceType: string, resource: string): void {
    this.o.audit.record({ ...actorOf(caller), operation, resourceType, resource, result: 'success', projectId: project.id })
  }

  /** The project (checked for `perm`) and the full repository name. */
  private async scope(caller: Caller, ref: ProjectRef, repository: string, perm: Permission): Promise<{ project: Project; name: RepoName }> {
    const project = await this.o.projects.require(caller, ref, perm)
    let name: RepoName
    try {
      name = parseRepoName(`${project.name}/${repository}`)
    } catch {
      throw new BerthError('BAD_REQUEST', `invalid repository name ${JSON.stringify(repository)}`)
    }
    return { project, name }
  }

  private async repository(name: string): Promise<RepositoryDetail> {
    const repo = await this.o.stores.catalog.getRepository(name)
    if (repo === null) throw notFound(`repository ${name}`)
    return repo
  }

  async listRepositories(caller: Caller, ref: ProjectRef, q: ListQuery): Promise<Listed<RepositoryDetail>> {
    const project = await this.o.projects.require(caller, ref, 'repository:list')
    return this.o.stores.catalog.listRepositories(project.id, q)
  }

  async getRepository(caller: Caller, ref: ProjectRef, repository: string): Promise<RepositoryDetail> {
    const { name } = await this.scope(caller, ref, repository, 'repository:read')
    return this.repository(name)
  }

  async updateRepository(caller: Caller, ref: ProjectRef, repository: string, description: string): Promise<void> {
    const { project, name } = await this.scope(caller, ref, repository, 'repository:update')
    const repo = await this.repository(name)
    await this.o.stores.catalog.setDescription(repo.id, description)
    this.audit(caller, project, 'update', 'repository', name)
  }

  async deleteRepository(caller: Caller, ref: ProjectRef, repository: string): Promise<void> {
    const { project, name } = await this.scope(caller, ref, repository, 'repository:delete')
    const repo = await this.repository(name)
    await inTransaction(this.o.db, async (s, trx) => {
      await this.o.immutability.check(project.id, name, () => s.artifacts.tagsGoingWith(repo.id), 'delete', s)
      const digests = await s.catalog.deleteRepository(repo.id)
      await this.o.outbox.record(trx, { type: 'DELETE_REPOSITORY', repository: name, digests, path: [], ...eventMeta(actorOf(caller).username) })
    })
    this.o.outbox.committed()
    await this.o.manifests.changed(name)
    this.audit(caller, project, 'delete', 'repository', name)
  }

  /** The artifact a reference (tag or digest) names in a repository. */
  private async artifact(name: RepoName, reference: string): Promise<{ repo: RepositoryDetail; artifact: ArtifactDetail }> {
    const repo = await this.repository(name)
    let digest: string
    if (isTag(reference)) {
      const row = await this.o.stores.artifacts.getByTag(name, reference)
      if (row === null) throw notFound(`artifact ${name}:${reference}`)
      digest = row.digest
    } else {
      digest = parseDigest(reference, 'reference')
    }
    const artifact = await this.o.stores.catalog.getArtifact(repo.id, digest)
    if (artifact === null) throw notFound(`artifact ${name}@${digest}`)
    return { repo, artifact }
  }

  private async views(project: Project, name: RepoName, repo: RepositoryDetail, artifacts: ArtifactDetail[], o: ArtifactOptions): Promise<ArtifactView[]> {
    const ids = artifacts.map((a) => a.id)
    const tags = o.withTag === false ? undefined : await this.o.stores.catalog.tagsOf(ids)
    if (tags !== undefined && o.withImmutableStatus === true) await this.markImmutable(project, name, [...tags.values()].flat())
    const labels = o.withLabel === true ? await this.o.stores.labels.labelsOf(ids) : undefined
    const accessories = o.withAccessory === true ? await this.o.stores.catalog.accessoriesOf(repo.id, artifacts.map((a) => a.digest)) : undefined
    const out: ArtifactView[] = []
    for (const a of artifacts) {
      out.push({
        ...a,
        projectId: project.id,
        repositoryName: name,
        references: await this.references(name, repo.id, a),
        ...(tags !== undefined ? { tags: tags.get(a.id) ?? [] } : {}),
        ...(labels !== undefined ? { labels: labels.get(a.id) ?? [] } : {}),
        ...(accessories !== undefined ? { accessories: accessories.get(a.digest) ?? [] } : {}),
      })
    }
    return out
  }

  /** The children of an index, read from its manifest (cached bytes), with their platforms. */
  private async references(name: RepoName, repositoryId: number, a: ArtifactDetail): Promise<ArtifactView['references']> {
    if (!/index|manifest\.list/.test(a.mediaType)) return []
    const children = storedManifest(await this.o.manifests.get(name, parseReference(a.digest))).manifests
    const ids = await this.o.stores.catalog.idsOf(repositoryId, children.map((c) => c.digest))
    return children.map((c) => ({
      childId: ids.get(c.digest) ?? null,
      childDigest: c.digest,
      ...(c.platform !== undefined ? { platform: c.platform } : {}),
      ...(c.annotations !== undefined ? { annotations: c.annotations } : {}),
      ...(c.urls !== undefined ? { urls: c.urls } : {}),
    }))
  }

  async listArtifacts(caller: Caller, ref: ProjectRef, repository: string, q: ListQuery, o: ArtifactOptions): Promise<Listed<ArtifactView>> {
    const { project, name } = await this.scope(caller, ref, repository, 'artifact:list')
    const repo = await this.repository(name)
    const page = await this.o.stores.catalog.listArtifacts(repo.id, q)
    return { items: await this.views(project, name, repo, page.items, o), total: page.total }
  }

  async getArtifact(caller: Caller, ref: ProjectRef, repository: string, reference: string, o: ArtifactOptions): Promise<ArtifactView> {
    const { project, name } = await this.scope(caller, ref, repository, 'artifact:read')
    const { repo, artifact } = await this.artifact(name, reference)
    return (await this.views(project, name, repo, [artifact], o))[0]!
  }

  /** Harbor's accessory list of an artifact: its signatures, SBOMs and other referrers. */
  async listAccessories(caller: Caller, ref: ProjectRef, repository: string, reference: string, q: ListQuery): Promise<Listed<AccessoryDetail & { subjectArtifactId: number; repositoryName: string }>> {
    const { name } = await this.scope(caller, ref, repository, 'artifact:read')
    const { repo, artifact } = await this.artifact(name, reference)
    const page = await this.o.stores.catalog.listAccessories(repo.id, artifact.digest, q)
    return { items: page.items.map((x) => ({ ...x, subjectArtifactId: artifact.id, repositoryName: name })), total: page.total }
  }

  /** An addition of an artifact (see ADDITIONS) as JSON bytes; UNSUPPORTED for one the artifact does not have. */
  async addition(caller: Caller, ref: ProjectRef, repository: string, reference: string, addition: string): Promise<Buffer> {
    const { name } = await this.scope(caller, ref, repository, 'artifact:read')
    const { artifact } = await this.artifact(name, reference)
    if (!(ADDITIONS as readonly string[]).includes(addition)) throw new BerthError('UNSUPPORTED', `addition ${addition} is not supported`)
    const manifest = await this.o.manifests.get(name, parseReference(artifact.digest))
    if (addition === 'manifest') return manifest.body
    const config = configOf(storedManifest(manifest))
    if (addition === 'build_history' && !IMAGE_CONFIGS.has(config?.mediaType ?? '')) throw new BerthError('UNSUPPORTED', `addition ${addition} is not supported for ${artifact.mediaType}`)
    if (config?.digest === undefined || !/json$/.test(config.mediaType ?? '')) throw new BerthError('UNSUPPORTED', `addition ${addition} is not supported: the artifact has no JSON config`)
    const bytes = await this.readConfig(name, parseDigest(config.digest, 'config digest'), config.size ?? 0)
    if (addition === 'config') return bytes
    let history: unknown
    try {
      history = (JSON.parse(bytes.toString('utf8')) as { history?: unknown }).history
    } catch {
      throw new BerthError('UNSUPPORTED', 'the image config is not valid JSON')
    }
    return Buffer.from(JSON.stringify(Array.isArray(history) ? history : []))
  }

  /** A config blob's bytes, refused beyond MAX_CONFIG_BYTES by its descriptor and again while reading (a descriptor may understate). */
  private async readConfig(name: RepoName, digest: Digest, declared: number): Promise<Buffer> {
    const tooLarge = () => new BerthError('UNSUPPORTED', `the config is larger than ${MAX_CONFIG_BYTES} bytes; read it from /v2/`)
    if (declared > MAX_CONFIG_BYTES) throw tooLarge()
    const stream = await this.o.blobs.open(name, digest)
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of stream) {
      size += (chunk as Buffer).length
      if (size > MAX_CONFIG_BYTES) {
        stream.destroy()
        throw tooLarge()
      }
      chunks.push(chunk as Buffer)
    }
    return Buffer.concat(chunks)
  }

  async deleteArtifact(caller: Caller, ref: ProjectRef, repository: string, reference: string): Promise<void> {
    const { project, name } = await this.scope(caller, ref, repository, 'artifact:delete')
    const { artifact } = await this.artifact(name, reference)
    try {
      await this.o.manifests.delete(name, parseReference(artifact.digest), { operator: actorOf(caller).username })
    } catch (err) {
      if (err instanceof BerthError && err.code === 'DELETE_REFUSED') throw new BerthError('PRECONDITION', err.message)
      throw err
    }
    this.audit(caller, project, 'delete', 'artifact', `${name}@${artifact.digest}`)
  }

  /**
   * Copies an artifact (`project/repo:tag` or `project/repo@digest`) into this repository: the
   * caller needs pull on the source and artifact:create here. Blobs are linked, not copied;
   * the children of an index travel first; a tag in `from` is set here too.
   */
  async copyArtifact(caller: Caller, ref: ProjectRef, repository: string, from: string): Promise<string> {
    const { project, name } = await this.scope(caller, ref, repository, 'artifact:create')
    const at = from.lastIndexOf('@')
    const colon = from.lastIndexOf(':')
    const split = at > 0 ? at : colon > from.lastIndexOf('/') ? colon : -1
    if (split <= 0) throw new BerthError('BAD_REQUEST', 'from must be project/repository:tag or project/repository@digest')
    let source: RepoName
    try {
      source = parseRepoName(from.slice(0, split))
    } catch {
      throw new BerthError('BAD_REQUEST', `invalid source repository in ${JSON.stringify(from)}`)
    }
    await this.o.projects.require(caller, { name: projectOf(source) }, 'repository:pull')
    const sourceRef = parseReference(from.slice(split + 1))
    const operator = actorOf(caller).username
    const copied = await this.copyManifest(source, name, sourceRef, sourceRef.kind === 'tag' ? sourceRef : undefined, operator)
    await this.copyAccessories(source, name, copied, operator, new Set([copied]))
    this.audit(caller, project, 'create', 'artifact', `${name}@${copied}`)
    return copied
  }

  /** Copies one manifest (children first), linking its blobs into the target; returns its digest. */
  private async copyManifest(source: RepoName, target: RepoName, ref: Reference, as: Reference | undefined, operator: string): Promise<string> {
    const m = await this.o.manifests.get(source, ref)
    const doc = storedManifest(m)
    for (const child of doc.manifests) await this.copyManifest(source, target, parseReference(child.digest), undefined, operator)
    const sourceRepo = await this.repository(source)
    const targetProject = await this.o.stores.projects.get(projectOf(target))
    if (targetProject === null) throw notFound(`project ${projectOf(target)}`)
    const blobs: string[] = doc.blobs.map((b) => b.digest)
    await inTransaction(this.o.db, async (s) => {
      const repo = await s.repositories.ensure(targetProject.id, target)
      const missing = new Set(await s.blobLinks.missing(sourceRepo.id, blobs))
      for (const digest of blobs) if (!missing.has(digest)) await s.blobLinks.link(repo.id, digest)
    })
    await this.o.manifests.put(target, as ?? parseReference(m.digest), m.body, m.mediaType, { operator })
    return m.digest
  }

  /**
   * Copies the accessories of `digest` with it (signatures, SBOMs, and theirs), so that a
   * signature verifies on the copy: a cosign `.sig` keeps its tag, a referrer goes by digest.
   */
  private async copyAccessories(source: RepoName, target: RepoName, digest: string, operator: string, seen: Set<string>): Promise<void> {
    const sourceRepo = await this.repository(source)
    const signatureTag = cosignSignatureTag(digest)
    for (const accessory of await this.o.stores.artifacts.accessoryDigests(sourceRepo.id, digest)) {
      if (seen.has(accessory) || seen.size >= MAX_COPIED_ACCESSORIES) continue
      seen.add(accessory)
      const tagged = (await this.o.stores.artifacts.getByTag(source, signatureTag))?.digest === accessory
      const ref = parseReference(tagged ? signatureTag : accessory)
      await this.copyManifest(source, target, ref, tagged ? ref : undefined, operator)
      await this.copyAccessories(source, target, accessory, operator, seen)
    }
  }

  async listTags(caller: Caller, ref: ProjectRef, repository: string, reference: string, q: ListQuery, o: { withImmutableStatus?: boolean } = {}): Promise<Listed<TagDetail & { immutable?: boolean }>> {
    const { project, name } = await this.scope(caller, ref, repository, 'tag:list')
    const { artifact } = await this.artifact(name, reference)
    const page = await this.o.stores.catalog.listTags(artifact.id, q)
    if (o.withImmutableStatus === true) await this.markImmutable(project, name, page.items)
    return page
  }

  /** Sets `immutable` on each tag: whether an immutability rule protects it now. */
  private async markImmutable(project: Project, name: RepoName, tags: (TagDetail & { immutable?: boolean })[]): Promise<void> {
    const protectedTags = await this.o.immutability.protectedTags(project.id, name, tags.map((t) => t.name))
    for (const t of tags) t.immutable = protectedTags.has(t.name)
  }

  /** Adds a tag to an artifact; CONFLICT when the repository already has that tag. */
  async createTag(caller: Caller, ref: ProjectRef, repository: string, reference: string, tag: string): Promise<void> {
    const { project, name } = await this.scope(caller, ref, repository, 'tag:create')
    if (!isTag(tag)) throw new BerthError('BAD_REQUEST', `invalid tag ${JSON.stringify(tag)}`)
    const { repo, artifact } = await this.artifact(name, reference)
    if ((await this.o.stores.artifacts.getByTag(name, tag)) !== null) throw new BerthError('CONFLICT', `tag ${tag} already exists in ${name}`)
    await inTransaction(this.o.db, async (s, trx) => {
      await s.artifacts.tag(repo.id, artifact.id, tag)
      await this.o.outbox.record(trx, { type: 'PUSH_ARTIFACT', repository: name, digest: artifact.digest, tag, path: [], ...eventMeta(actorOf(caller).username) })
    })
    this.o.outbox.committed()
    await this.o.manifests.changed(name)
    this.audit(caller, project, 'create', 'tag', `${name}:${tag}`)
  }

  async deleteTag(caller: Caller, ref: ProjectRef, repository: string, reference: string, tag: string): Promise<void> {
    const { project, name } = await this.scope(caller, ref, repository, 'tag:delete')
    const { repo, artifact } = await this.artifact(name, reference)
    const tagged = await this.o.stores.artifacts.getByTag(name, tag)
    if (tagged === null || tagged.id !== artifact.id) throw notFound(`tag ${tag} of this artifact`)
    await this.o.immutability.check(project.id, name, [tag], 'delete')
    await inTransaction(this.o.db, async (s, trx) => {
      await s.artifacts.untag(repo.id, tag)
      await this.o.outbox.record(trx, { type: 'DELETE_TAG', repository: name, tag, digest: artifact.digest, path: [], ...eventMeta(actorOf(caller).username) })
    })
    this.o.outbox.committed()
    await this.o.manifests.changed(name)
    this.audit(caller, project, 'delete', 'tag', `${name}:${tag}`)
  }

  /** Attaches a global label or one of the project's own labels (developers and up). */
  async addLabel(caller: Caller, ref: ProjectRef, repository: string, reference: string, labelId: number): Promise<void> {
    const { project, name } = await this.scope(caller, ref, repository, 'artifact:create')
    const { artifact } = await this.artifact(name, reference)
    const label = await this.o.stores.labels.get(labelId)
    if (label === null || (label.scope === 'p' && label.projectId !== project.id)) throw notFound('label')
    if (!(await this.o.stores.labels.attach(artifact.id, label.id))) throw new BerthError('CONFLICT', `label ${label.name} is already on this artifact`)
    this.audit(caller, project, 'create', 'artifact-label', `${name}@${artifact.digest}:${label.name}`)
  }

  async removeLabel(caller: Caller, ref: ProjectRef, repository: string, reference: string, labelId: number): Promise<void> {
    const { project, name } = await this.scope(caller, ref, repository, 'artifact:create')
    const { artifact } = await this.artifact(name, reference)
    if (!(await this.o.stores.labels.detach(artifact.id, labelId))) throw notFound('label on this artifact')
    this.audit(caller, project, 'delete', 'artifact-label', `${name}@${artifact.digest}:${labelId}`)
  }
}
