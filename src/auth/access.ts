// The access controller: what a caller may do in a project, derived from the role table in
// permissions.ts, and what a registry token may grant. Denial is an answer, not an exception.
import type { Stores } from '../metadata/stores.js'
import type { Project } from '../metadata/project-store.js'
import type { ReadScope } from '../metadata/repository-store.js'
import type { Caller, RobotPrincipal } from './identity.js'
import {
  PUBLIC_PERMISSIONS,
  REGISTRY_ACTIONS,
  ROLE_NAMES,
  ROLE_PERMISSIONS,
  permissionsOf,
  type Permission,
  type RegistryAction,
  type SystemPermission,
} from './permissions.js'

const ALL = new Set<Permission>(permissionsOf(ROLE_PERMISSIONS.projectAdmin))
const PUBLIC = permissionsOf(PUBLIC_PERMISSIONS)
const BY_ROLE = new Map<number, Permission[]>(Object.entries(ROLE_NAMES).map(([id, name]) => [Number(id), permissionsOf(ROLE_PERMISSIONS[name])]))
const PULL = REGISTRY_ACTIONS.pull
/** The roles that may pull: membership with one of them shows a project's repositories in the catalog. */
const PULL_ROLES = [...BY_ROLE].filter(([, perms]) => perms.includes(PULL)).map(([id]) => id)

export function isSysadmin(caller: Caller): boolean {
  return caller.kind === 'user' && caller.sysadmin
}

/**
 * Whether the caller holds a system-level permission (Harbor's RequireSystemAccess): system
 * administrators hold all of them, a system robot those its kind "system" entry grants.
 */
export function hasSystemPermission(caller: Caller, perm: SystemPermission): boolean {
  if (isSysadmin(caller)) return true
  if (caller.kind !== 'robot' || !caller.system) return false
  return caller.permissions.some((p) => p.kind === 'system' && p.namespace === '/' && p.access.some((a) => `${a.resource}:${a.action}` === perm))
}

/**
 * A robot's permissions in one project: its grants bound to that project's id, and those for '*'
 * if it is a system robot. Never by name: a grant on a deleted project does not pass to a new
 * project of the same name.
 */
export function robotPermissions(robot: Pick<RobotPrincipal, 'system' | 'permissions'>, project: Pick<Project, 'id'>): Permission[] {
  const out: Permission[] = []
  for (const p of robot.permissions) {
    if (p.kind !== 'project') continue
    if (p.namespace === '*' ? !robot.system : p.projectId !== project.id) continue
    for (const a of p.access) {
      const perm = `${a.resource}:${a.action}` as Permission
      if (ALL.has(perm)) out.push(perm)
    }
  }
  return out
}

export class AccessController {
  constructor(private readonly stores: Stores) {}

  /** Every permission the caller holds in the project (`roleIds`: the caller's roles there, when already known). */
  async permissions(caller: Caller, project: Project, roleIds?: number[]): Promise<Set<Permission>> {
    if (isSysadmin(caller)) return ALL
    const granted = new Set<Permission>(project.public ? PUBLIC : [])
    if (caller.kind === 'robot') {
      for (const p of robotPermissions(caller, project)) granted.add(p)
    } else if (caller.kind === 'user') {
      for (const role of roleIds ?? (await this.roles(caller, project))) for (const p of BY_ROLE.get(role) ?? []) granted.add(p)
    }
    return granted
  }

  async can(caller: Caller, project: Project, perm: Permission): Promise<boolean> {
    return (await this.permissions(caller, project)).has(perm)
  }

  /** The caller's role ids in the project (users only; robots and anonymous have none); `groupIds` when already known. */
  async roles(caller: Caller, project: Project, groupIds?: number[]): Promise<number[]> {
    if (caller.kind !== 'user') return []
    return this.stores.members.rolesOf(project.id, caller.userId, groupIds ?? (await this.groupIds(caller)))
  }

  /** Of the registry actions asked for on a project's repository, those the caller may do. */
  async registryActions(caller: Caller, project: Project | null, wanted: readonly string[]): Promise<RegistryAction[]> {
    if (project === null) return []
    const perms = await this.permissions(caller, project)
    const granted = new Set<RegistryAction>()
    for (const w of wanted) {
      const actions: RegistryAction[] = w === '*' ? ['pull', 'push', 'delete'] : Object.hasOwn(REGISTRY_ACTIONS, w) ? [w as RegistryAction] : []
      for (const a of actions) if (perms.has(REGISTRY_ACTIONS[a])) granted.add(a)
    }
    return [...granted]
  }

  /**
   * The projects whose repositories the caller may pull, as a scope a listing query applies
   * (the catalog): derived from the same role table and robot grants as registryActions.
   */
  async readScope(caller: Caller): Promise<ReadScope> {
    if (isSysadmin(caller)) return { all: true }
    const scope = { all: false as const, publicProjects: PUBLIC.includes(PULL) }
    if (caller.kind === 'robot') {
      // Entries under '*' (system robots) apply to every project; no project has the id -1.
      if (robotPermissions(caller, { id: -1 }).includes(PULL)) return { all: true }
      const ids = [...new Set(caller.permissions.map((p) => p.projectId).filter((id): id is number => typeof id === 'number'))]
      return { ...scope, projectIds: ids.filter((id) => robotPermissions(caller, { id }).includes(PULL)) }
    }
    if (caller.kind !== 'user') return scope
    return { ...scope, userId: caller.userId, groupIds: await this.groupIds(caller), roleIds: PULL_ROLES }
  }

  /** Group ids of a user's LDAP groups, for project listings. */
  async groupIds(caller: Caller): Promise<number[]> {
    return caller.kind === 'user' ? this.stores.groups.idsOf(caller.groups) : []
  }
}
