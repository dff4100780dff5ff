// Projects and their members. Every operation resolves the project first and checks the
// caller's permission in that project; a member id is only ever looked up inside its project.
import { BerthError } from '../../lib/errors.js'
import type { Stores } from '../../metadata/stores.js'
import type { Project, ProjectDetail, ProjectScope } from '../../metadata/project-store.js'
import type { Member } from '../../metadata/member-store.js'
import type { ListQuery, Listed } from '../../metadata/list-query.js'
import type { Caller, Directory } from '../../auth/identity.js'
import { AccessController, hasSystemPermission, isSysadmin } from '../../auth/access.js'
import { isRoleId, ROLES, type Permission } from '../../auth/permissions.js'
import type { AuditLog } from '../audit/audit-log.js'
import { actorOf, checkResourceName, requireSignedIn } from './guards.js'
import { cveAllowlistOf, METADATA_KEYS, metadataValue, metadataValues } from './project-metadata.js'

export interface ProjectWithRoles extends ProjectDetail {
  roleIds: number[]
}

/** Metadata and allowlist as a request gives them (values checked by project-metadata.ts). */
export interface ProjectSettings {
  /** Harbor's metadata keys; `public` among them. */
  metadata?: Record<string, unknown>
  cveAllowlist?: { expires_at?: number | null; items?: { cve_id?: string }[] }
  /** Harbor's storage_limit on creation (bytes; -1: none). */
  storageLimit?: number | null
  /** Harbor's registry_id on creation: the project is a proxy cache of that registry. */
  registryId?: number | null
}

/** What creating a proxy-cache project needs from the proxy cache: the registry checked, then the project set up. */
export interface ProxyProjects {
  /** Refuses a registry that cannot be cached (missing, of a type not proxied, at an address not allowed). */
  check(registryId: number): Promise<void>
  /** Sets up a new proxy-cache project (its default retention policy). */
  created(caller: Caller, project: Project): Promise<void>
}

export interface NewMember {
  roleId: number
  user?: { username?: string; userId?: number }
  group?: { ldapGroupDn?: string; groupName?: string }
}

export interface ProjectServiceOptions {
  stores: Stores
  access: AccessController
  audit: AuditLog
  directory?: Directory
  /** Called after a change that may alter what cached credentials grant; resolves once every node has been told. */
  changed?: () => void | Promise<void>
  /** Who may create projects now (a run-time setting); everyone signed in by default. */
  creationRestriction?: () => Promise<'everyone' | 'adminonly'>
  /** The storage limit of a project the caller creates, from what they asked (quota rules); -1 without it. */
  storageLimit?: (caller: Caller, requested: number | null | undefined) => Promise<number>
  /** Proxy-cache projects (registry_id); without it a registry_id is refused. */
  proxyCache?: ProxyProjects
}

/** A project reference from a URL: its name, or its numeric id. */
export type ProjectRef = { name: string } | { id: number }

export class ProjectService {
  constructor(private readonly o: ProjectServiceOptions) {}

  private audit(caller: Caller, project: Project, operation: string, resourceType: string, resource: string): void {
    this.o.audit.record({ ...actorOf(caller), operation, resourceType, resource, result: 'success', projectId: project.id })
  }

  /**
   * The project if the caller may see it. A project the caller cannot read answers exactly as a
   * missing one does (401 to anonymous callers, 404 to others), so names cannot be probed.
   */
  async visible(caller: Caller, ref: ProjectRef): Promise<{ project: Project; perms: Set<Permission> }> {
    const project = 'name' in ref ? await this.o.stores.projects.get(ref.name) : await this.o.stores.projects.getById(ref.id)
    const perms = project === null ? new Set<Permission>() : await this.o.access.permissions(caller, project)
    if (project === null || !perms.has('project:read')) {
      if (caller.kind === 'anonymous') throw new BerthError('UNAUTHORIZED', 'authentication required')
      throw new BerthError('NOT_FOUND', 'project not found')
    }
    return { project, perms }
  }

  /** The project, if the caller holds `perm` in it (DENIED when they can see it but not do this). */
  async require(caller: Caller, ref: ProjectRef, perm: Permission): Promise<Project> {
    const { project, perms } = await this.visible(caller, ref)
    if (!perms.has(perm)) {
      // Signing in might help an anonymous caller: 401, so that clients ask for credentials.
      if (caller.kind === 'anonymous') throw new BerthError('UNAUTHORIZED', 'authentication required')
      throw new BerthError('DENIED', `${perm.replace(':', ' ')} is not allowed in project ${project.name}`)
    }
    return project
  }

  /** Which projects a listing shows the caller: all (administrators), or public ones and their memberships. */
  async scopeOf(caller: Caller, groupIds?: number[]): Promise<ProjectScope> {
    if (hasSystemPermission(caller, 'project:list')) return { all: true }
    return { all: false, ...(caller.kind === 'user' ? { userId: caller.userId } : {}), groupIds: groupIds ?? (await this.o.access.groupIds(caller)) }
  }

  async list(caller: Caller, q: ListQuery): Promise<Listed<ProjectWithRoles>> {
    // The caller's groups are looked up once, not once per project.
    const groupIds = await this.o.access.groupIds(caller)
    const page = await this.o.stores.projects.list(q, await this.scopeOf(caller, groupIds))
    const items = []
    for (const p of page.items) items.push({ ...p, roleIds: await this.o.access.roles(caller, p, groupIds) })
    return { items, total: page.total }
  }

  async get(caller: Caller, ref: ProjectRef): Promise<ProjectWithRoles> {
    const { project } = await this.visible(caller, ref)
    const [detail] = await this.o.stores.projects.detail([project.id])
    return { ...detail!, roleIds: await this.o.access.roles(caller, project) }
  }

  /**
   * Any signed-in user (administrators only, with project_creation_restriction adminonly) may
   * create a project, and becomes its Project Admin. A system robot granted project:create may
   * too; as in Harbor, a project it creates belongs to the first administrator.
   */
  async create(caller: Caller, name: string, settings: ProjectSettings = {}): Promise<Project> {
    const me = requireSignedIn(caller)
    if (me.kind === 'robot' && !hasSystemPermission(me, 'project:create')) throw new BerthError('DENIED', 'this robot account may not create projects')
    if (me.kind === 'user' && !isSysadmin(me) && (await this.o.creationRestriction?.()) === 'adminonly') throw new BerthError('DENIED', 'only administrators can create projects here')
    checkResourceName('project name', name)
    // Everything is checked before anything is written.
    const metadata = metadataValues(settings.metadata ?? {})
    const allowlist = settings.cveAllowlist === undefined ? undefined : cveAllowlistOf(settings.cveAllowlist)
    const registryId = settings.registryId ?? null
    if (registryId !== null) {
      // As in Harbor: only administrators (and system robots that may create projects) set registry_id.
      if (me.kind === 'user' && !isSysadmin(me)) throw new BerthError('DENIED', 'Only system admin can create proxy cache project')
      if (this.o.proxyCache === undefined) throw new BerthError('UNSUPPORTED', 'proxy cache projects are not available here')
      await this.o.proxyCache.check(registryId)
      // Harbor ignores content trust on a proxy cache: its content is signed upstream, if at all.
      delete metadata.enable_content_trust
    }
    const hard = (await this.o.storageLimit?.(caller, settings.storageLimit)) ?? -1
    const ownerId = me.kind === 'user' ? me.userId : await this.o.stores.users.firstAdminId()
    const project = await this.o.stores.projects.create(name, metadata.public === 'true', ownerId, hard, registryId)
    if (project === null) throw new BerthError('CONFLICT', `project ${name} already exists`)
    if (me.kind === 'user') await this.o.stores.members.add(project.id, 'u', me.userId, ROLES.projectAdmin)
    await this.store(project, metadata, allowlist)
    if (registryId !== null) await this.o.proxyCache!.created(caller, project)
    this.audit(caller, project, 'create', 'project', name)
    return project
  }

  private async store(project: Project, metadata: Record<string, string | null>, allowlist?: { expiresAt: number | null; items: string[] }): Promise<void> {
    const { public: pub, ...rest } = metadata
    if (pub !== undefined) await this.o.stores.projects.setPublic(project.id, pub === 'true')
    await this.o.stores.projects.setMetadata(project.id, rest)
    if (allowlist !== undefined) await this.o.stores.projects.setCveAllowlist(project.id, allowlist)
  }

  /**
   * Changes project metadata and the CVE allowlist; keys not given keep their value. Needs
   * metadata:update, which Project Admins and system admins hold and Maintainers do not
   * (CVE-2024-22278), for every key alike.
   */
  async update(caller: Caller, ref: ProjectRef, change: ProjectSettings): Promise<void> {
    const project = await this.require(caller, ref, 'metadata:update')
    const metadata = metadataValues(change.metadata ?? {})
    const allowlist = change.cveAllowlist === undefined ? undefined : cveAllowlistOf(change.cveAllowlist)
    await this.store(project, metadata, allowlist)
    this.audit(caller, project, 'update', 'project', project.name)
  }

  /** The project's metadata as Harbor returns it: every stored key and `public`, as strings. */
  async metadata(caller: Caller, ref: ProjectRef): Promise<Record<string, string>> {
    const project = await this.require(caller, ref, 'metadata:read')
    const [detail] = await this.o.stores.projects.detail([project.id])
    return { public: String(project.public), ...detail!.metadata }
  }

  /** Harbor's POST .../metadatas: adds keys; CONFLICT when one is set already. */
  async addMetadata(caller: Caller, ref: ProjectRef, input: Record<string, unknown>): Promise<void> {
    const project = await this.require(caller, ref, 'metadata:update')
    const values = metadataValues(input)
    const [detail] = await this.o.stores.projects.detail([project.id])
    for (const key of Object.keys(values)) {
      if (key === 'public' || Object.hasOwn(detail!.metadata, key)) throw new BerthError('CONFLICT', `metadata ${key} is set already; change it with PUT`)
    }
    await this.store(project, values)
    this.audit(caller, project, 'update', 'project', project.name)
  }

  /** Harbor's PUT .../metadatas/{name}: the body names exactly that key. */
  async setMetadata(caller: Caller, ref: ProjectRef, key: string, input: Record<string, unknown>): Promise<void> {
    const project = await this.require(caller, ref, 'metadata:update')
    const keys = Object.keys(input)
    if (keys.length !== 1 || keys[0] !== key) throw new BerthError('BAD_REQUEST', `the body must hold exactly the key ${JSON.stringify(key.slice(0, 64))}`)
    await this.store(project, { [key]: metadataValue(key, input[key]) })
    this.audit(caller, project, 'update', 'project', project.name)
  }

  /** Harbor's DELETE .../metadatas/{name}; without `public` a project is private. */
  async deleteMetadata(caller: Caller, ref: ProjectRef, key: string): Promise<void> {
    const project = await this.require(caller, ref, 'metadata:update')
    if (!Object.hasOwn(METADATA_KEYS, key)) throw new BerthError('NOT_FOUND', `metadata ${JSON.stringify(key.slice(0, 64))} not found`)
    await this.store(project, { [key]: key === 'public' ? 'false' : null })
    this.audit(caller, project, 'update', 'project', project.name)
  }

  async delete(caller: Caller, ref: ProjectRef): Promise<void> {
    const project = await this.require(caller, ref, 'project:delete')
    if (!(await this.o.stores.projects.deleteIfEmpty(project.id))) {
      throw new BerthError('PRECONDITION', `project ${project.name} still has repositories; delete them first`)
    }
    // Its robots and members went with it: no node may keep accepting their cached credentials.
    await this.o.changed?.()
    this.audit(caller, project, 'delete', 'project', project.name)
  }

  async members(caller: Caller, ref: ProjectRef, q: ListQuery): Promise<Listed<Member>> {
    const project = await this.require(caller, ref, 'member:list')
    return this.o.stores.members.list(project.id, q)
  }

  async member(caller: Caller, ref: ProjectRef, id: number): Promise<Member> {
    const project = await this.require(caller, ref, 'member:read')
    const m = await this.o.stores.members.get(project.id, id)
    if (m === null) throw new BerthError('NOT_FOUND', 'member not found in this project')
    return m
  }

  async addMember(caller: Caller, ref: ProjectRef, input: NewMember): Promise<number> {
    const project = await this.require(caller, ref, 'member:create')
    if (!isRoleId(input.roleId)) throw new BerthError('BAD_REQUEST', 'role_id must be 1 (Project Admin), 2 (Developer), 3 (Guest), 4 (Maintainer) or 5 (Limited Guest)')
    if ((input.user === undefined) === (input.group === undefined)) throw new BerthError('BAD_REQUEST', 'give exactly one of member_user and member_group')
    let entity: { type: 'u' | 'g'; id: number; name: string }
    if (input.user !== undefined) {
      const { username, userId } = input.user
      const user = userId !== undefined ? await this.o.stores.users.getById(userId) : username !== undefined ? await this.o.stores.users.get(username) : null
      if (user === null) throw new BerthError('NOT_FOUND', 'user not found')
      entity = { type: 'u', id: user.id, name: user.username }
    } else {
      const dn = input.group!.ldapGroupDn
      if (this.o.directory === undefined) throw new BerthError('PRECONDITION', 'group members need ldap_auth')
      if (dn === undefined || dn === '') throw new BerthError('BAD_REQUEST', 'member_group.ldap_group_dn is required')
      const found = await this.o.directory.findGroup(dn)
      if (found === null) throw new BerthError('NOT_FOUND', 'LDAP group not found under the group base DN')
      const group = await this.o.stores.groups.ensure(found.dn, input.group!.groupName || found.name)
      entity = { type: 'g', id: group.id, name: group.name }
    }
    const id = await this.o.stores.members.add(project.id, entity.type, entity.id, input.roleId)
    if (id === null) throw new BerthError('CONFLICT', `${entity.name} is already a member of ${project.name}`)
    await this.o.changed?.()
    this.audit(caller, project, 'create', 'member', entity.name)
    return id
  }

  async updateMember(caller: Caller, ref: ProjectRef, id: number, roleId: number): Promise<void> {
    const project = await this.require(caller, ref, 'member:update')
    if (!isRoleId(roleId)) throw new BerthError('BAD_REQUEST', 'role_id must be 1 to 5')
    const m = await this.ownMemberCheck(caller, project, id)
    await this.o.stores.members.setRole(project.id, id, roleId)
    await this.o.changed?.()
    this.audit(caller, project, 'update', 'member', m.entityName)
  }

  async deleteMember(caller: Caller, ref: ProjectRef, id: number): Promise<void> {
    const project = await this.require(caller, ref, 'member:delete')
    const m = await this.ownMemberCheck(caller, project, id)
    await this.o.stores.members.delete(project.id, id)
    await this.o.changed?.()
    this.audit(caller, project, 'delete', 'member', m.entityName)
  }

  /** The member (of this project); nobody changes their own membership, so a project never loses its last admin by accident. */
  private async ownMemberCheck(caller: Caller, project: Project, id: number): Promise<Member> {
    const m = await this.o.stores.members.get(project.id, id)
    if (m === null) throw new BerthError('NOT_FOUND', 'member not found in this project')
    if (caller.kind === 'user' && m.entityType === 'u' && m.entityId === caller.userId && !isSysadmin(caller)) {
      throw new BerthError('DENIED', 'you cannot change your own membership')
    }
    return m
  }
}
