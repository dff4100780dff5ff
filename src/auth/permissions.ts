// Harbor's roles and what each may do in a project: the one table every check derives from.
// docs/permissions.md is generated from it (a test keeps the two equal).

export const RESOURCES = ['project', 'metadata', 'member', 'log', 'repository', 'artifact', 'tag', 'label', 'robot', 'immutable-tag', 'notification-policy', 'tag-retention', 'scan', 'scanner', 'sbom'] as const
export type Resource = (typeof RESOURCES)[number]

export const ACTIONS = ['read', 'list', 'create', 'update', 'delete', 'pull', 'push', 'operate', 'stop'] as const
export type Action = (typeof ACTIONS)[number]

/** Role ids as Harbor numbers them in its member API. */
export const ROLES = {
  projectAdmin: 1,
  developer: 2,
  guest: 3,
  maintainer: 4,
  limitedGuest: 5,
} as const
export type RoleName = keyof typeof ROLES
export type RoleId = (typeof ROLES)[RoleName]

export const ROLE_NAMES: Record<number, RoleName> = Object.fromEntries(Object.entries(ROLES).map(([n, id]) => [id, n as RoleName]))

export function isRoleId(n: number): n is RoleId {
  return ROLE_NAMES[n] !== undefined
}

type Table = Record<Resource, readonly Action[]>

const READ_ONLY = {
  project: ['read'],
  metadata: ['read'],
  repository: ['list', 'read', 'pull'],
  artifact: ['list', 'read'],
  tag: ['list'],
  label: ['list', 'read'],
  scan: ['read'],
  sbom: ['read'],
} as const

/** Read access to a project's content, without its members, logs or robots. */
const LIMITED_GUEST: Table = { ...READ_ONLY, member: [], log: [], robot: [], 'immutable-tag': [], 'notification-policy': [], 'tag-retention': [], scanner: [] }

/** Guests read which scanner a project uses (Harbor's rbac_role.go). */
const GUEST: Table = { ...LIMITED_GUEST, member: ['list', 'read'], log: ['list'], robot: ['list', 'read'], scanner: ['read'] }

/** Developers and up scan and generate SBOMs, and stop them (as in Harbor). */
const SCANNING: readonly Action[] = ['read', 'create', 'stop']

/** Developers and up manage tag retention, as in Harbor (rbac_role.go gives it to all three). */
const TAG_RETENTION: readonly Action[] = ['read', 'list', 'create', 'update', 'delete', 'operate']

const DEVELOPER: Table = {
  ...GUEST,
  'tag-retention': TAG_RETENTION,
  repository: ['list', 'read', 'pull', 'push', 'update'],
  artifact: ['list', 'read', 'create'],
  tag: ['list', 'create'],
  scan: SCANNING,
  sbom: SCANNING,
}

/**
 * A developer who may also delete content and manage labels and tag immutability rules (as in
 * Harbor); not members, metadata or robots (CVE-2024-22278).
 */
const MAINTAINER: Table = {
  ...DEVELOPER,
  'immutable-tag': ['list', 'create', 'update', 'delete'],
  'notification-policy': ['list'],
  repository: ['list', 'read', 'pull', 'push', 'update', 'delete'],
  artifact: ['list', 'read', 'create', 'delete'],
  tag: ['list', 'create', 'delete'],
  label: ['list', 'read', 'create', 'update', 'delete'],
}

const PROJECT_ADMIN: Table = {
  ...MAINTAINER,
  project: ['read', 'update', 'delete'],
  metadata: ['read', 'update'],
  member: ['list', 'read', 'create', 'update', 'delete'],
  robot: ['list', 'read', 'create', 'update', 'delete'],
  'notification-policy': ['list', 'read', 'create', 'update', 'delete'],
  scanner: ['read', 'create'],
}

export const ROLE_PERMISSIONS: Record<RoleName, Table> = {
  projectAdmin: PROJECT_ADMIN,
  maintainer: MAINTAINER,
  developer: DEVELOPER,
  guest: GUEST,
  limitedGuest: LIMITED_GUEST,
}

/** What anyone, signed in or not, may do in a public project. */
export const PUBLIC_PERMISSIONS: Table = LIMITED_GUEST

export type Permission = `${Resource}:${Action}`

export function permission(resource: Resource, action: Action): Permission {
  return `${resource}:${action}`
}

/** Every permission a role grants, as 'resource:action' strings. */
export function permissionsOf(table: Table): Permission[] {
  return RESOURCES.flatMap((r) => table[r].map((a) => permission(r, a)))
}

/** Registry token actions and the permission each one needs. */
export const REGISTRY_ACTIONS = { pull: permission('repository', 'pull'), push: permission('repository', 'push'), delete: permission('repository', 'delete') } as const
export type RegistryAction = keyof typeof REGISTRY_ACTIONS

/** The permissions a robot may be given, per project. */
export const ROBOT_GRANTABLE: readonly Permission[] = [
  'repository:pull',
  'repository:push',
  'repository:delete',
  'repository:list',
  'repository:read',
  'artifact:read',
  'artifact:list',
  'artifact:create',
  'artifact:delete',
  'tag:list',
  'tag:create',
  'tag:delete',
  'scan:create',
  'scan:stop',
  'scan:read',
  'sbom:create',
  'sbom:stop',
  'sbom:read',
  'label:read',
  'label:list',
  'project:read',
  'metadata:read',
  'member:list',
  'log:list',
]

/**
 * Harbor's system-level permissions (kind "system", namespace "/") a system robot may be given:
 * the pairs of Harbor's robot system policies (rbac.PoliciesMap["System"]) whose feature Berth
 * has, each enforced on the matching /api/v2.0 routes. Harbor's others (preheat-instance,
 * security-hub, system-volumes, catalog)
 * are refused until Berth has their feature. System administrators hold all of them.
 */
export const SYSTEM_GRANTABLE = [
  'audit-log:list',
  'project:create',
  'project:list',
  'registry:create',
  'registry:read',
  'registry:update',
  'registry:delete',
  'registry:list',
  'replication-policy:create',
  'replication-policy:read',
  'replication-policy:update',
  'replication-policy:delete',
  'replication-policy:list',
  'replication:create',
  'replication:read',
  'replication:list',
  'replication-adapter:list',
  'jobservice-monitor:list',
  'jobservice-monitor:stop',
  'label:create',
  'label:read',
  'label:update',
  'label:delete',
  'quota:read',
  'quota:list',
  'garbage-collection:create',
  'garbage-collection:read',
  'garbage-collection:update',
  'garbage-collection:stop',
  'garbage-collection:list',
  'purge-audit:create',
  'purge-audit:read',
  'purge-audit:update',
  'purge-audit:stop',
  'purge-audit:list',
  'scanner:create',
  'scanner:read',
  'scanner:update',
  'scanner:delete',
  'scanner:list',
  'scan-all:create',
  'scan-all:read',
  'scan-all:update',
  'scan-all:stop',
  'scan-all:list',
] as const
export type SystemPermission = (typeof SYSTEM_GRANTABLE)[number]

export function isSystemPermission(p: string): p is SystemPermission {
  return (SYSTEM_GRANTABLE as readonly string[]).includes(p)
}

/** The table as Markdown, for docs/permissions.md. */
export function permissionsMarkdown(): string {
  const roles: [string, Table][] = [
    ['Project Admin', PROJECT_ADMIN],
    ['Maintainer', MAINTAINER],
    ['Developer', DEVELOPER],
    ['Guest', GUEST],
    ['Limited Guest', LIMITED_GUEST],
    ['Anonymous (public project)', PUBLIC_PERMISSIONS],
  ]
  const lines = [`| resource | action | ${roles.map(([n]) => n).join(' | ')} |`, `|---|---|${roles.map(() => '---|').join('')}`]
  for (const r of RESOURCES) {
    for (const a of ACTIONS) {
      if (!roles.some(([, t]) => t[r].includes(a))) continue
      lines.push(`| ${r} | ${a} | ${roles.map(([, t]) => (t[r].includes(a) ? 'yes' : '')).join(' | ')} |`)
    }
  }
  return lines.join('\n') + '\n'
}
