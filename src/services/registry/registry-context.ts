// What the registry use cases share: the database, the blob store, and project checks.
import { setTimeout as sleep } from 'node:timers/promises'
import { BerthError } from '../../lib/errors.js'
import type { Logger } from '../../lib/logger.js'
import { projectOf, type RepoName } from '../../oci/names.js'
import type { Db } from '../../metadata/schema.js'
import { storesOver, type Stores } from '../../metadata/stores.js'
import type { Project } from '../../metadata/project-store.js'
import type { Repository } from '../../metadata/repository-store.js'
import type { Digest } from '../../oci/digest.js'
import type { BlobStore } from '../../storage/blob-store.js'
import type { SharedState } from '../../cache/shared-state.js'
import type { Outbox } from '../../events/outbox.js'
import type { QuotaService } from '../quota/quota-service.js'
import type { TagImmutability } from '../immutability/immutability-service.js'

export interface RegistryDeps {
  db: Db
  blobs: BlobStore
  log: Logger
  /** Locks and cache shared by the nodes (Redis), or this process's own on a single node. */
  shared: SharedState
  /** Where pushes and deletes are recorded as events, in their own transactions. */
  outbox: Outbox
  /** Refuses pushes past their project's storage limit; without it nothing is refused. */
  quota?: Pick<QuotaService, 'admit' | 'exceeded'>
  /** Refuses moving or removing a tag an immutability rule protects. */
  immutability: TagImmutability
}

/** Whether the caller may read a repository (for mounts and the catalog); the registry gate supplies it per request. */
export type CanRead = (repository: RepoName) => boolean | Promise<boolean>

export function nameUnknown(repository: string): BerthError {
  return new BerthError('NAME_UNKNOWN', 'repository name not known to registry', { name: repository })
}

export function blobUnknown(digest: Digest): BerthError {
  return new BerthError('BLOB_UNKNOWN', 'blob unknown to registry', { digest })
}

/** How long a push waits for garbage collection to finish removing a blob it is storing again. */
const COLLECTED_WAIT_MS = 30_000
const COLLECTED_POLL_MS = 50

export function blobBeingCollected(digest: Digest): BerthError {
  return new BerthError('TOOMANYREQUESTS', 'garbage collection is removing this blob; push it again shortly', { digest, retryAfterSeconds: 5 })
}

/**
 * Claims a blob a push is about to store (an upload's close, a manifest's bytes) before its
 * bytes are published: an existing record is touched and unmarked, so no collection removes it
 * from now on. A record a collection is removing ('deleting') means its bytes may vanish under
 * a publish that finds them present; the push waits until the collection dropped the record
 * (bytes gone), then stores its own bytes. See docs/lifecycle.md, Garbage collection.
 */
export async function claimForPush(ctx: RegistryContext, digest: Digest): Promise<void> {
  const until = Date.now() + COLLECTED_WAIT_MS
  for (;;) {
    const state = await ctx.stores.blobLinks.state(digest)
    if (state === 'absent') return
    if (state === 'present' && (await ctx.stores.blobLinks.claim([digest])).length > 0) return
    if (Date.now() > until) throw blobBeingCollected(digest)
    await sleep(COLLECTED_POLL_MS)
  }
}

export class RegistryContext {
  readonly stores: Stores
  constructor(readonly deps: RegistryDeps) {
    this.stores = storesOver(deps.db.kysely)
  }

  /** A repository by name; NAME_UNKNOWN when it does not exist. */
  async requireRepository(repository: RepoName, stores: Stores = this.stores): Promise<Repository> {
    const repo = await stores.repositories.get(repository)
    if (repo === null) throw nameUnknown(repository)
    return repo
  }

  /** The project a repository name belongs to; NAME_UNKNOWN when it does not exist. */
  async requireProject(repository: RepoName, stores: Stores = this.stores): Promise<Project> {
    const name = projectOf(repository)
    const project = await stores.projects.get(name)
    if (project === null) throw new BerthError('NAME_UNKNOWN', `project ${name} does not exist`, { project: name })
    return project
  }
}
