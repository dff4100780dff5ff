// The system-wide read views of the management API: health of each component, system
// information, statistics, search, project summaries, and the failed runs of the administrators'
// overview. Each answers only with what the caller may see.
import { sql } from 'kysely'
import { BerthError } from '../../lib/errors.js'
import type { Db } from '../../metadata/schema.js'
import type { Stores } from '../../metadata/stores.js'
import type { Project, ProjectDetail } from '../../metadata/project-store.js'
import type { Failure } from '../../metadata/execution-store.js'
import type { Listed } from '../../metadata/list-query.js'
import type { Caller } from '../../auth/identity.js'
import { hasSystemPermission, isSysadmin, type AccessController } from '../../auth/access.js'
import { ROLES, SYSTEM_GRANTABLE } from '../../auth/permissions.js'
import type { BlobStore } from '../../storage/blob-store.js'
import type { Digest } from '../../oci/digest.js'
import type { Logger } from '../../lib/logger.js'
import type { SharedState } from '../../cache/shared-state.js'
import type { ProjectRef, ProjectService } from '../identity/project-service.js'
import type { SettingsService } from './settings-service.js'
import { requireSignedIn, requireSysadmin, requireSystemAccess } from '../identity/guards.js'
import { containing } from '../../metadata/list-query.js'

export const VERSION = '0.1.0'

/**
 * The Harbor release whose /api/v2.0 behaviour Berth follows (robot accounts with system
 * permissions, Harbor 2.11's project metadata keys). Harbor's tools read harbor_version to pick
 * API behaviour; they take the part before the first '-' (Harbor sends "v2.11.0-<commit>").
 */
export const HARBOR_API_LEVEL = 'v2.11.0'

export interface ComponentHealth {
  name: string
  status: 'healthy' | 'unhealthy'
  error?: string
}

export interface Statistics {
  privateProjects: number
  publicProjects: number
  privateRepositories: number
  publicRepositories: number
  totalStorage?: number
}

/** Harbor's project summary: repositories, members by role (for those who may list them), quota (bytes). */
export interface ProjectSummary {
  repoCount: number
  members?: Record<number, number>
  used: number
  hard: number
}

export interface SearchResult {
  projects: ProjectDetail[]
  repositories: { projectId: number; projectName: string; projectPublic: boolean; name: string; pullCount: number; artifactCount: number }[]
}

export interface SystemServiceOptions {
  db: Db
  stores: Stores
  blobs: BlobStore
  access: AccessController
  projects: ProjectService
  settings: SettingsService
  /** berth.yml's auth.mode and storage.driver, as systeminfo reports them. */
  authMode: string
  storageDriver: string
  log: Logger
  /** Set when Redis is configured: its reachability is a component of health. */
  shared?: SharedState | undefined
  /** This registry's id on replication paths. */
  instanceId: string
}

/** A digest no blob has: looking it up proves storage answers without touching real data. */
const PROBE = `sha256:${'0'.repeat(64)}` as Digest

const SEARCH_LIMIT = 100

export class SystemService {
  constructor(private readonly o: SystemServiceOptions) {}

  /** Each component: the database answers a query, storage answers a lookup. */
  async health(): Promise<ComponentHealth[]> {
    const probe = async (name: string, fn: () => Promise<unknown>): Promise<ComponentHealth> => {
      try {
        await fn()
        return { name, status: 'healthy' }
      } catch (err) {
        // The cause (paths, hosts) is not for anonymous eyes; the server's own log has it.
        this.o.log.warn({ err, component: name }, 'health check failed')
        return { name, status: 'unhealthy', error: `${name} unavailable` }
      }
    }
    return [
      { name: 'core', status: 'healthy' },
      await probe('database', () => this.o.db.kysely.selectFrom('projects').select('id').limit(1).execute()),
      await probe('storage', () => this.o.blobs.stat(PROBE)),
      ...(this.o.shared !== undefined ? [this.redisHealth(this.o.shared)] : []),
    ]
  }

  /** Redis down is reported, but the node serves on without it (its own counters and caches). */
  private redisHealth(shared: SharedState): ComponentHealth {
    const s = shared.status()
    return s === 'up' ? { name: 'redis', status: 'healthy' } : { name: 'redis', status: 'unhealthy', error: 'redis unavailable; this node works on its own state' }
  }

  /** Harbor's systeminfo: anonymous callers get what a login page needs, signed-in callers more. */
  async info(caller: Caller, baseUrl: string): Promise<Record<string, unknown>> {
    const s = await this.o.settings.current()
    // berth_instance_id: what Berth peers call this registry on replication paths.
    const open = { auth_mode: this.o.authMode, primary_auth_mode: false, self_registration: s.self_registration, harbor_version: `${HARBOR_API_LEVEL}-berth`, berth_version: VERSION, banner_message: s.banner_message, current_time: new Date().toISOString(), berth_instance_id: this.o.instanceId }
    if (caller.kind === 'anonymous') return open
    const host = baseUrl.replace(/^https?:\/\//, '')
    return {
      ...open,
      external_url: baseUrl,
      registry_url: host,
      project_creation_restriction: s.project_creation_restriction,
      has_ca_root: false,
      registry_storage_provider_name: this.o.storageDriver,
      read_only: s.read_only,
      notification_enable: false,
      with_notary: false,
    }
  }

  /** Berth's overview: the latest failed runs of all background work (administrators). */
  async failures(caller: Caller, f: { vendorType?: string | undefined }, page: number, pageSize: number): Promise<Listed<Failure>> {
    requireSysadmin(caller)
    return this.o.stores.executions.failures(f, (page - 1) * pageSize, pageSize)
  }

  /** Project and repository counts over what the caller can see; storage use for administrators. */
  async statistics(caller: Caller): Promise<Statistics> {
    requireSignedIn(caller)
    const db = this.o.db.kysely
    let projects = db.selectFrom('projects as p').where('p.deleted', '=', 0)
    if (!isSysadmin(caller)) {
      const ids = await this.visibleIds(caller)
      projects = projects.where('p.id', 'in', ids.length > 0 ? ids : [-1])
    }
    const rows = await projects
      .leftJoin('repositories as r', 'r.project_id', 'p.id')
      .select(['p.public'])
      .select(sql<number>`count(distinct p.id)`.as('projects'))
      .select(sql<number>`count(r.id)`.as('repositories'))
      .groupBy('p.public')
      .execute()
    const of = (pub: number, k: 'projects' | 'repositories') => Number(rows.find((r) => r.public === pub)?.[k] ?? 0)
    const out: Statistics = { privateProjects: of(0, 'projects'), publicProjects: of(1, 'projects'), privateRepositories: of(0, 'repositories'), publicRepositories: of(1, 'repositories') }
    if (isSysadmin(caller)) {
      const total = await db.selectFrom('blobs').select(sql<number>`coalesce(sum(size), 0)`.as('n')).executeTakeFirst()
      out.totalStorage = Number(total?.n ?? 0)
    }
    return out
  }

  /** Ids of the projects a non-administrator can read (public ones and their memberships). */
  private async visibleIds(caller: Caller): Promise<number[]> {
    const list = await this.o.stores.projects.list({ conditions: [], sort: [], page: 1, pageSize: 1_000_000 }, await this.o.projects.scopeOf(caller))
    return list.items.map((p) => p.id)
  }

  async search(caller: Caller, fragment: string): Promise<SearchResult> {
    if (fragment.trim() === '') throw new BerthError('BAD_REQUEST', 'q is required')
    const found = await this.o.projects.list(caller, { conditions: [{ key: 'name', op: 'fuzzy', value: fragment }], sort: [], page: 1, pageSize: SEARCH_LIMIT })
    let repos = this.o.db.kysely
      .selectFrom('repositories as r')
      .innerJoin('projects as p', 'p.id', 'r.project_id')
      .select(['r.id', 'r.name', 'r.pull_count', 'p.id as project_id', 'p.name as project_name', 'p.public'])
      .where(containing('r.name', fragment))
      .where('p.deleted', '=', 0)
      .orderBy('r.name')
      .limit(SEARCH_LIMIT)
    if (!isSysadmin(caller)) {
      const ids = caller.kind === 'anonymous' ? [] : await this.visibleIds(caller)
      repos = repos.where((eb) => eb.or([eb('p.public', '=', 1), eb('p.id', 'in', ids.length > 0 ? ids : [-1])]))
    }
    const rows = await repos.execute()
    const counts = await this.o.stores.catalog.artifactCounts(rows.map((r) => r.id))
    return {
      projects: found.items,
      repositories: rows.map((r) => ({ projectId: r.project_id, projectName: r.project_name, projectPublic: r.public === 1, name: r.name, pullCount: Number(r.pull_count), artifactCount: counts.get(r.id) ?? 0 })),
    }
  }

  /** Harbor's project summary: repository count, members by role (for those who may list members), and usage. */
  async summary(caller: Caller, ref: ProjectRef): Promise<ProjectSummary> {
    const { project, perms } = await this.o.projects.visible(caller, ref)
    const [detail] = await this.o.stores.projects.detail([project.id])
    const quota = await this.o.stores.quotas.get(project.id)
    const out: ProjectSummary = { repoCount: detail?.repoCount ?? 0, used: quota?.used ?? 0, hard: quota?.hard ?? -1 }
    if (perms.has('member:list')) {
      const members = await this.o.stores.members.list(project.id, { conditions: [], sort: [], page: 1, pageSize: 1_000_000 })
      const counts: Record<number, number> = Object.fromEntries(Object.values(ROLES).map((r) => [r, 0]))
      for (const m of members.items) counts[m.roleId] = (counts[m.roleId] ?? 0) + 1
      out.members = counts
    }
    return out
  }

  /** Whether the caller could delete the project now, and why not. */
  async deletable(caller: Caller, ref: ProjectRef): Promise<{ deletable: boolean; message: string }> {
    const project: Project = await this.o.projects.require(caller, ref, 'project:delete')
    const [detail] = await this.o.stores.projects.detail([project.id])
    return (detail?.repoCount ?? 0) > 0 ? { deletable: false, message: 'the project contains repositories' } : { deletable: true, message: '' }
  }

  /** The caller's permissions in a project (`/project/<id>`) or system-wide (`/`), as Harbor's UI asks. */
  async permissions(caller: Caller, scope: string): Promise<{ resource: string; action: string }[]> {
    requireSignedIn(caller)
    const m = /^\/project\/(\d{1,15})$/.exec(scope)
    if (m !== null) {
      const { perms } = await this.o.projects.visible(caller, { id: Number(m[1]) })
      return [...perms].map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
    }
    if (scope !== '/' && scope !== '') throw new BerthError('BAD_REQUEST', 'scope must be / or /project/<id>')
    if (caller.kind === 'robot') return SYSTEM_GRANTABLE.filter((p) => hasSystemPermission(caller, p)).map((p) => ({ resource: p.split(':')[0]!, action: p.split(':')[1]! }))
    return isSysadmin(caller) ? ['user', 'project', 'robot', 'audit-log', 'label', 'configuration', 'quota'].flatMap((resource) => ['create', 'read', 'update', 'delete', 'list'].map((action) => ({ resource, action }))) : [{ resource: 'project', action: 'create' }]
  }
}
