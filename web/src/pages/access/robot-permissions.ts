// A robot's permissions as the form holds them (ticked resource:action pairs, at system level and
// per project) and as Harbor's robot API takes them ({ kind, namespace, access: [...] }[]).
import type { paths } from '../../api/schema'

export type Pair = { resource: string; action: string }
export type Grantable = paths['/api/v2.0/permissions']['get']['responses'][200]['content']['application/json']
export type RobotPermission = paths['/api/v2.0/robots']['post']['requestBody']['content']['application/json']['permissions'][number]

/** A pair as one string, the key of a checkbox: "repository:pull". */
export function pairKey(p: Pair): string {
  return `${p.resource}:${p.action}`
}

/** The pairs grouped by resource, in the order the server lists them. */
export function byResource(pairs: readonly Pair[]): [resource: string, actions: string[]][] {
  const groups = new Map<string, string[]>()
  for (const p of pairs) groups.set(p.resource, [...(groups.get(p.resource) ?? []), p.action])
  return [...groups]
}

/** Access to one project (its name, or "*" for every project) with the ticked pairs. */
export interface ProjectAccess {
  namespace: string
  ticked: ReadonlySet<string>
}

export interface RobotAccess {
  /** System-level pairs (system robots only). */
  system: ReadonlySet<string>
  projects: ProjectAccess[]
}

/** The ticked pairs among `available`, in its order (keys not offered are dropped). */
function accessOf(available: readonly Pair[], ticked: ReadonlySet<string>): Pair[] {
  return available.filter((p) => ticked.has(pairKey(p))).map((p) => ({ resource: p.resource, action: p.action }))
}

/** The request's `permissions`: the system entry first when anything is ticked there, then each project with at least one pair. */
export function permissionsBody(access: RobotAccess, grantable: Grantable): RobotPermission[] {
  const out: RobotPermission[] = []
  const system = accessOf(grantable.system, access.system)
  if (system.length > 0) out.push({ kind: 'system', namespace: '/', access: system })
  for (const p of access.projects) {
    const pairs = accessOf(grantable.project, p.ticked)
    if (p.namespace.trim() !== '' && pairs.length > 0) out.push({ kind: 'project', namespace: p.namespace.trim(), access: pairs })
  }
  return out
}

/** What a saved robot grants, as the form's ticks. */
export function accessOfRobot(permissions: readonly RobotPermission[]): RobotAccess {
  const keys = (p: RobotPermission) => new Set(p.access.map(pairKey))
  return {
    system: new Set(permissions.filter((p) => p.kind === 'system').flatMap((p) => [...keys(p)])),
    projects: permissions.filter((p) => p.kind === 'project').map((p) => ({ namespace: p.namespace, ticked: keys(p) })),
  }
}

/** Ticks or unticks pairs. */
export function toggled(ticked: ReadonlySet<string>, keys: readonly string[], on: boolean): Set<string> {
  const next = new Set(ticked)
  for (const k of keys) {
    if (on) next.add(k)
    else next.delete(k)
  }
  return next
}

export type Robot = paths['/api/v2.0/robots/{robot_id}']['get']['responses'][200]['content']['application/json']
export type RobotCreate = paths['/api/v2.0/robots']['post']['requestBody']['content']['application/json']

/** Harbor's duration for "never expires". */
export const NEVER = -1
