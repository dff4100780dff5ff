// Robot accounts. System robots are created by system administrators only; a project robot
// holds permissions in its own project only, and never more than its creator holds there
// (Harbor's CVE-2019-16919 was a project admin minting a robot for someone else's project).
import { BerthError } from '../../lib/errors.js'
import type { Stores } from '../../metadata/stores.js'
import { ROBOT_FIELDS, type Robot, type RobotPermission } from '../../metadata/robot-store.js'
import { equalTo, type ListQuery, type Listed } from '../../metadata/list-query.js'
import type { Caller } from '../../auth/identity.js'
import { AccessController, isSysadmin } from '../../auth/access.js'
import { isSystemPermission, ROBOT_GRANTABLE, ROLES, SYSTEM_GRANTABLE, type Permission } from '../../auth/permissions.js'
import { passwordProblem } from '../../auth/password.js'
import type { RobotSecrets } from '../../auth/robot-secret.js'
import type { AuditLog } from '../audit/audit-log.js'
import type { ProjectService } from './project-service.js'
import { actorOf, checkResourceName, requireSignedIn } from './guards.js'

/** Robot names start with this; the level is stored separately and is what counts. */
export const ROBOT_PREFIX = 'robot$'

export interface NewRobotInput {
  name: string
  description?: string
  level: 'system' | 'project'
  duration: number
  disable?: boolean
  /** A chosen secret (password policy applies); a random one when absent. */
  secret?: string
  permissions: RobotPermission[]
}

export interface RobotServiceOptions {
  stores: Stores
  access: AccessController
  projects: ProjectService
  audit: AuditLog
  /** Makes and hashes robot secrets. */
  secrets: RobotSecrets
  /** Called after a change that may alter what cached credentials grant; resolves once every node has been told. */
  changed?: () => void | Promise<void>
  now?: () => number
}

function notFound(): BerthError {
  return new BerthError('NOT_FOUND', 'robot account not found')
}

function expiryOf(durationDays: number, from: number): string | null {
  if (durationDays === -1) return null
  if (!Number.isInteger(durationDays) || durationDays <= 0 || durationDays > 36_500) throw new BerthError('BAD_REQUEST', 'duration must be -1 (never expires) or 1 to 36500 days')
  return new Date(from + durationDays * 86_400_000).toISOString()
}

export class RobotService {
  constructor(private readonly o: RobotServiceOptions) {}

  private get now(): number {
    return (this.o.now ?? Date.now)()
  }

  /** A secret chosen by the user (the password policy applies; kept like a password) or a new random one. */
  private async chosenOrNewSecret(secret: string | undefined): Promise<{ secret: string; hash: string }> {
    if (secret === undefined) return this.o.secrets.generate()
    const problem = passwordProblem(secret)
    if (problem !== null) throw new BerthError('BAD_REQUEST', `secret ${problem}`)
    return { secret, hash: await this.o.secrets.chosen(secret) }
  }

  /**
   * The robot as answers show it: each grant under the current name of the project it binds to,
   * and grants whose project is gone left out (they grant nothing).
   */
  private async shown(robots: Robot[]): Promise<Robot[]> {
    const ids = robots.flatMap((r) => r.permissions.flatMap((p) => (typeof p.projectId === 'number' ? [p.projectId] : [])))
    const names = await this.o.stores.robots.projectNames(ids)
    return robots.map((r) => ({
      ...r,
      permissions: r.permissions.flatMap(({ projectId, ...p }) => {
        if (p.namespace === '*') return [p]
        const name = typeof projectId === 'number' ? names.get(projectId) : undefined
        return name === undefined ? [] : [{ ...p, namespace: name }]
      }),
    }))
  }

  private audit(caller: Caller, robot: Pick<Robot, 'name' | 'projectId'>, operation: string): void {
    this.o.audit.record({ ...actorOf(caller), operation, resourceType: 'robot', resource: robot.name, result: 'success', projectId: robot.projectId })
  }

  /**
   * Checks permissions for a robot of `level` made by `caller`; returns them bound to project ids
   * (names are resolved now, once) and the project of a project robot. Kind "project" entries hold project permissions; kind "system" (namespace "/", system
   * robots only) Harbor's system permissions that Berth enforces. Anything else is refused.
   */
  private async checkPermissions(caller: Caller, level: 'system' | 'project', permissions: RobotPermission[]): Promise<{ projectId: number | null; bound: RobotPermission[] }> {
    if (permissions.length === 0) throw new BerthError('BAD_REQUEST', 'a robot needs at least one permission')
    for (const p of permissions) {
      if (p.kind === 'system') {
        if (level !== 'system') throw new BerthError('BAD_REQUEST', 'permissions of kind "system" need a system robot (level "system")')
        if (p.namespace !== '/') throw new BerthError('BAD_REQUEST', 'permissions of kind "system" have namespace "/"')
        for (const a of p.access) {
          if (!isSystemPermission(`${a.resource}:${a.action}`)) throw new BerthError('BAD_REQUEST', `${a.resource}:${a.action} cannot be granted to a robot at system level; grantable: ${SYSTEM_GRANTABLE.join(', ')}`)
        }
        continue
      }
      if (p.kind !== 'project') throw new BerthError('BAD_REQUEST', `permission kind ${JSON.stringify(p.kind)} is not supported; use "project" or "system"`)
      for (const a of p.access) {
        if (!ROBOT_GRANTABLE.includes(`${a.resource}:${a.action}` as Permission)) throw new BerthError('BAD_REQUEST', `${a.resource}:${a.action} cannot be granted to a robot`)
      }
    }
    if (level === 'system') {
      if (!isSysadmin(caller)) throw new BerthError('DENIED', 'only system administrators can create system robot accounts')
      if (permissions.filter((p) => p.kind === 'system').length > 1) throw new BerthError('BAD_REQUEST', 'give the system permissions in one entry of kind "system"')
      const bound: RobotPermission[] = []
      for (const p of permissions) {
        if (p.kind === 'system' || p.namespace === '*') {
          bound.push({ ...p, projectId: null })
          continue
        }
        // A deleted project's row is renamed to name#id: that name is not a project one can grant.
        const project = p.namespace.includes('#') ? null : await this.o.stores.projects.get(p.namespace)
        if (project === null) throw new BerthError('NOT_FOUND', `project ${p.namespace} not found`)
        bound.push({ ...p, projectId: project.id })
      }
      return { projectId: null, bound }
    }
    if (permissions.length !== 1 || permissions[0]!.namespace === '*') {
      throw new BerthError('BAD_REQUEST', 'a project robot has permissions in exactly one named project')
    }
    const p = permissions[0]!
    const project = await this.o.projects.require(caller, { name: p.namespace }, 'robot:create')
    const held = await this.o.access.permissions(caller, project)
    for (const a of p.access) {
      if (!held.has(`${a.resource}:${a.action}` as Permission)) throw new BerthError('DENIED', `you cannot grant ${a.resource}:${a.action}, which you do not hold in ${project.name}`)
    }
    return { projectId: project.id, bound: [{ ...p, projectId: project.id }] }
  }

  /**
   * What a robot may be given (Harbor's GET /permissions), shown only to those who make robots:
   * system administrators see the system and project pairs, project admins the project pairs.
   */
  async grantable(caller: Caller): Promise<{ system: readonly string[]; project: readonly Permission[] }> {
    requireSignedIn(caller)
    if (isSysadmin(caller)) return { system: SYSTEM_GRANTABLE, project: ROBOT_GRANTABLE }
    if (caller.kind === 'user') {
      const mine = await this.o.projects.list(caller, { conditions: [], sort: [], page: 1, pageSize: 10_000 })
      if (mine.items.some((p) => p.roleIds.includes(ROLES.projectAdmin))) return { system: [], project: ROBOT_GRANTABLE }
    }
    throw new BerthError('DENIED', 'only system and project administrators can read the permissions a robot may be given')
  }

  async create(caller: Caller, input: NewRobotInput): Promise<{ robot: Robot; secret: string }> {
    requireSignedIn(caller)
    if (caller.kind === 'robot') throw new BerthError('DENIED', 'robot accounts cannot create robot accounts')
    if (input.level !== 'system' && input.level !== 'project') throw new BerthError('BAD_REQUEST', 'level must be "system" or "project"')
    checkResourceName('robot name', input.name, 128)
    const { projectId, bound } = await this.checkPermissions(caller, input.level, input.permissions)
    const fullName = input.level === 'system' ? `${ROBOT_PREFIX}${input.name}` : `${ROBOT_PREFIX}${input.permissions[0]!.namespace}+${input.name}`
    const { secret, hash } = await this.chosenOrNewSecret(input.secret)
    const robot = await this.o.stores.robots.create({
      name: fullName,
      description: input.description ?? '',
      level: input.level,
      projectId,
      secretHash: hash,
      permissions: bound,
      disabled: input.disable ?? false,
      duration: input.duration,
      expiresAt: expiryOf(input.duration, this.now),
    })
    if (robot === null) throw new BerthError('CONFLICT', `robot account ${fullName} already exists`)
    this.audit(caller, robot, 'create')
    return { robot: (await this.shown([robot]))[0]!, secret }
  }

  /** The robot, if the caller may manage it with `perm`; otherwise answered as not found. */
  private async managed(caller: Caller, id: number, perm: Permission): Promise<Robot> {
    requireSignedIn(caller)
    const robot = await this.o.stores.robots.get(id)
    if (robot === null) throw notFound()
    if (isSysadmin(caller)) return robot
    if (robot.level !== 'project' || robot.projectId === null) throw notFound()
    const project = await this.o.stores.projects.getById(robot.projectId)
    if (project === null || !(await this.o.access.can(caller, project, 'robot:read'))) throw notFound()
    if (!(await this.o.access.can(caller, project, perm))) throw new BerthError('DENIED', `${perm.replace(':', ' ')} is not allowed in project ${project.name}`)
    return robot
  }

  async get(caller: Caller, id: number): Promise<Robot> {
    return (await this.shown([await this.managed(caller, id, 'robot:read')]))[0]!
  }

  /** System admins list every robot; others list the robots of one project they may see (q: project_id / ProjectID). */
  async list(caller: Caller, q: ListQuery): Promise<Listed<Robot>> {
    requireSignedIn(caller)
    let page: Listed<Robot>
    if (isSysadmin(caller)) page = await this.o.stores.robots.list(q)
    else {
      const projectId = equalTo(q, ROBOT_FIELDS, 'project_id')
      if (projectId === undefined) throw new BerthError('DENIED', 'only system administrators can list all robot accounts; filter by project_id')
      const project = await this.o.projects.require(caller, { id: Number(projectId) }, 'robot:list')
      page = await this.o.stores.robots.list(q, [project.id])
    }
    return { items: await this.shown(page.items), total: page.total }
  }

  async update(caller: Caller, id: number, change: { name?: string; level?: string; description?: string; disable?: boolean; duration?: number; permissions?: RobotPermission[] }): Promise<void> {
    const robot = await this.managed(caller, id, 'robot:update')
    let bound: RobotPermission[] | undefined
    // Harbor's clients send the robot back whole; its name and level cannot change (as in Harbor).
    const bareName = robot.name.slice(robot.name.lastIndexOf(robot.level === 'project' ? '+' : '$') + 1)
    if (change.name !== undefined && change.name !== robot.name && change.name !== bareName) throw new BerthError('BAD_REQUEST', 'the name of a robot account cannot change')
    if (change.level !== undefined && change.level !== robot.level) throw new BerthError('BAD_REQUEST', 'the level of a robot account cannot change')
    if (change.permissions !== undefined) {
      const checked = await this.checkPermissions(caller, robot.level, change.permissions)
      if (robot.level === 'project' && checked.projectId !== robot.projectId) throw new BerthError('BAD_REQUEST', 'a project robot cannot move to another project')
      bound = checked.bound
    }
    await this.o.stores.robots.update(id, {
      ...(change.description !== undefined ? { description: change.description } : {}),
      ...(change.disable !== undefined ? { disabled: change.disable } : {}),
      ...(bound !== undefined ? { permissions: bound } : {}),
      ...(change.duration !== undefined ? { duration: change.duration, expiresAt: expiryOf(change.duration, Date.parse(robot.createdAt)) } : {}),
    })
    await this.o.changed?.()
    this.audit(caller, robot, 'update')
  }

  /** Replaces the robot's secret with `secret` (which must meet the password policy) or a new random one. */
  async refreshSecret(caller: Caller, id: number, secret?: string): Promise<string> {
    const robot = await this.managed(caller, id, 'robot:update')
    const next = await this.chosenOrNewSecret(secret)
    await this.o.stores.robots.update(id, { secretHash: next.hash })
    await this.o.changed?.()
    this.audit(caller, robot, 'update')
    return next.secret
  }

  async delete(caller: Caller, id: number): Promise<void> {
    const robot = await this.managed(caller, id, 'robot:delete')
    await this.o.stores.robots.delete(id)
    await this.o.changed?.()
    this.audit(caller, robot, 'delete')
  }
}
