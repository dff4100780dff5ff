// The JSON shapes of the identity part of /api/v2.0, with Harbor's field names: one TypeBox
// schema per shape validates requests, serialises responses (fields not in a schema are never
// sent) and, later, documents the API.
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import type { KeywordDefinition } from 'ajv'
import type { User } from '../../metadata/user-store.js'
import type { Member } from '../../metadata/member-store.js'
import type { Robot } from '../../metadata/robot-store.js'
import type { AuditRecord } from '../../metadata/audit-store.js'
import type { ProjectWithRoles } from '../../services/identity/project-service.js'
import { ROLE_NAMES } from '../../auth/permissions.js'
import { CVE_ALLOWLIST_MAX, CVE_ID_MAX, METADATA_KEYS, type MetadataKind } from '../../services/identity/project-metadata.js'

const strict = { additionalProperties: false } as const

/**
 * The body rule (docs/api.md): a request body may carry the fields Berth uses and the fields of
 * Harbor's model that Harbor reads but ignores (read-only ones such as ids, times and `editable`,
 * sent back by clients that PUT what they GET). Every other field is refused with a 400 naming it,
 * so a typo or a mass-assignment attempt never passes silently. A tolerated field is declared with
 * `ignored()`: it is type-checked as Harbor types it, then removed from the body by this keyword
 * before any handler runs, so it cannot be stored.
 */
export const IGNORED_KEYWORD = 'x-harbor-ignored'

export const ignoredKeyword: KeywordDefinition = {
  keyword: IGNORED_KEYWORD,
  schemaType: 'boolean',
  // Not `modifying`: Ajv would then read the (removed) value back and check the rest of the
  // field's schema against undefined. The field's own keywords check the value it was sent with.
  errors: false,
  validate: (drop: boolean, _data: unknown, _schema?: unknown, cxt?: { parentData: Record<string | number, unknown>; parentDataProperty: string | number }) => {
    if (drop && cxt !== undefined && cxt.parentData !== undefined && typeof cxt.parentData === 'object') delete cxt.parentData[cxt.parentDataProperty]
    return true
  },
}

/** A field of Harbor's model that Berth accepts and drops (see IGNORED_KEYWORD). */
export function ignored<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Unsafe<never>({ ...schema, [IGNORED_KEYWORD]: true, description: "part of Harbor's model; accepted and ignored" }))
}

export const ErrorsBody = Type.Object({ errors: Type.Array(Type.Object({ code: Type.String(), message: Type.String() })) })

export const UserJson = Type.Object({
  user_id: Type.Integer(),
  username: Type.String(),
  email: Type.String(),
  realname: Type.String(),
  comment: Type.String(),
  sysadmin_flag: Type.Boolean(),
  admin_role_in_auth: Type.Boolean(),
  creation_time: Type.String(),
  update_time: Type.String(),
})

export const UserSearchJson = Type.Object({ user_id: Type.Integer(), username: Type.String() })

export const UserCreationBody = Type.Object(
  {
    username: Type.String({ maxLength: 255 }),
    password: Type.String({ maxLength: 128 }),
    email: Type.Optional(Type.String({ maxLength: 320 })),
    realname: Type.Optional(Type.String({ maxLength: 255 })),
    comment: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  strict,
)

export const UserProfileBody = Type.Object(
  {
    email: Type.Optional(Type.String({ maxLength: 320 })),
    realname: Type.Optional(Type.String({ maxLength: 255 })),
    comment: Type.Optional(Type.String({ maxLength: 1024 })),
  },
  strict,
)

export const PasswordBody = Type.Object({ old_password: Type.Optional(Type.String({ maxLength: 128 })), new_password: Type.String({ maxLength: 128 }) }, strict)
export const SysadminBody = Type.Object({ sysadmin_flag: Type.Boolean() }, strict)

/** A metadata value in a request: as Harbor sends it (a string), or as JSON types it; null is "not given". */
function metadataSchema(kind: MetadataKind): TSchema {
  switch (kind.type) {
    case 'flag':
      return Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false'), Type.Null()])
    case 'choice':
      return Type.Union([Type.String({ maxLength: 16, description: kind.values.join(', ') }), Type.Null()])
    case 'integer':
      return Type.Union([Type.Integer({ minimum: kind.min }), Type.String({ pattern: '^-?[0-9]{1,10}$' }), Type.Null()])
    case 'text':
      return Type.Union([Type.String({ maxLength: kind.maxLength }), Type.Null()])
  }
}

/** Harbor's ProjectMetadata: every key optional; values checked again by the service. */
const ProjectMetadata = Type.Object(Object.fromEntries(Object.entries(METADATA_KEYS).map(([k, kind]) => [k, Type.Optional(metadataSchema(kind))])), strict)

/** Harbor's CVEAllowlist: the items and expiry count; its ids and times are Harbor's read-only fields. */
export const CveAllowlistBody = Type.Object(
  {
    id: ignored(Type.Integer()),
    project_id: ignored(Type.Integer()),
    creation_time: ignored(Type.String()),
    update_time: ignored(Type.String()),
    expires_at: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    items: Type.Optional(Type.Array(Type.Object({ cve_id: Type.String({ maxLength: CVE_ID_MAX }) }, strict), { maxItems: CVE_ALLOWLIST_MAX })),
  },
  strict,
)

export const CveAllowlistJson = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  expires_at: Type.Optional(Type.Integer()),
  items: Type.Array(Type.Object({ cve_id: Type.String() })),
  creation_time: Type.String(),
  update_time: Type.String(),
})

/** Metadata as Harbor returns it: strings; `public` always, the others when set. */
export const ProjectMetadataJson = Type.Object(Object.fromEntries(Object.keys(METADATA_KEYS).map((k) => [k, k === 'public' ? Type.String() : Type.Optional(Type.String())])))

/** Harbor's Project model, read-only in a request: clients PUT back what they GET. */
const PROJECT_READ_ONLY = {
  project_id: ignored(Type.Integer()),
  name: ignored(Type.String()),
  owner_id: ignored(Type.Integer()),
  owner_name: ignored(Type.String()),
  creation_time: ignored(Type.String()),
  update_time: ignored(Type.String()),
  deleted: ignored(Type.Boolean()),
  togglable: ignored(Type.Boolean()),
  current_user_role_id: ignored(Type.Integer()),
  current_user_role_ids: ignored(Type.Array(Type.Integer())),
  repo_count: ignored(Type.Integer()),
}

export const ProjectJson = Type.Object({
  project_id: Type.Integer(),
  name: Type.String(),
  owner_id: Type.Integer(),
  owner_name: Type.String(),
  repo_count: Type.Integer(),
  creation_time: Type.String(),
  update_time: Type.String(),
  deleted: Type.Boolean(),
  current_user_role_id: Type.Integer(),
  current_user_role_ids: Type.Array(Type.Integer()),
  metadata: ProjectMetadataJson,
  cve_allowlist: CveAllowlistJson,
  /** The registry a proxy-cache project caches; absent for an ordinary project (as Harbor omits 0). */
  registry_id: Type.Optional(Type.Integer()),
})

/** Harbor's ProjectReq (plus its Project model's read-only fields). */
export const ProjectCreationBody = Type.Object(
  {
    project_name: Type.String({ maxLength: 255 }),
    public: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    metadata: Type.Optional(ProjectMetadata),
    cve_allowlist: Type.Optional(CveAllowlistBody),
    storage_limit: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    registry_id: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
    ...PROJECT_READ_ONLY,
  },
  strict,
)

/**
 * Harbor's ProjectReq on update: metadata and cve_allowlist change; the name, the deprecated
 * top-level `public`, storage_limit (quotas have their own API) and registry_id are ignored, as
 * Harbor ignores them there.
 */
export const ProjectUpdateBody = Type.Object(
  {
    metadata: Type.Optional(ProjectMetadata),
    cve_allowlist: Type.Optional(CveAllowlistBody),
    project_name: ignored(Type.String()),
    public: ignored(Type.Union([Type.Boolean(), Type.Null()])),
    storage_limit: ignored(Type.Union([Type.Integer(), Type.Null()])),
    registry_id: ignored(Type.Union([Type.Integer(), Type.Null()])),
    ...PROJECT_READ_ONLY,
  },
  strict,
)

/** Harbor's metadata routes: key to string value. */
export const MetadataBody = Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.String({ maxLength: 1024 }), Type.Boolean(), Type.Integer()]), { maxProperties: 32 })
export const MetadataJson = Type.Record(Type.String(), Type.String())

export const MemberJson = Type.Object({
  id: Type.Integer(),
  project_id: Type.Integer(),
  entity_name: Type.String(),
  role_name: Type.String(),
  role_id: Type.Integer(),
  entity_id: Type.Integer(),
  entity_type: Type.String(),
})

export const MemberCreationBody = Type.Object(
  {
    role_id: Type.Integer(),
    member_user: Type.Optional(Type.Object({ username: Type.Optional(Type.String({ maxLength: 255 })), user_id: Type.Optional(Type.Integer()) }, strict)),
    member_group: Type.Optional(
      Type.Object(
        {
          id: Type.Optional(Type.Integer()),
          group_name: Type.Optional(Type.String({ maxLength: 255 })),
          group_type: Type.Optional(Type.Integer()),
          ldap_group_dn: Type.Optional(Type.String({ maxLength: 1024 })),
        },
        strict,
      ),
    ),
  },
  strict,
)

export const RoleBody = Type.Object({ role_id: Type.Integer() }, strict)

const Access = Type.Object({ resource: Type.String({ maxLength: 64 }), action: Type.String({ maxLength: 64 }), effect: ignored(Type.String()) }, strict)
const RobotPermissionJson = Type.Object(
  { kind: Type.String({ maxLength: 32 }), namespace: Type.String({ maxLength: 255 }), access: Type.Array(Access, { maxItems: 64 }) },
  strict,
)

/** Harbor's Robot model, read-only in a request. */
const ROBOT_READ_ONLY = {
  id: ignored(Type.Integer()),
  editable: ignored(Type.Boolean()),
  expires_at: ignored(Type.Integer()),
  creation_time: ignored(Type.String()),
  update_time: ignored(Type.String()),
  creator_type: ignored(Type.String()),
  creator_ref: ignored(Type.Integer()),
}

/** Harbor's RobotCreate (plus its Robot model's read-only fields). */
export const RobotCreationBody = Type.Object(
  {
    name: Type.String({ maxLength: 128 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    level: Type.String(),
    duration: Type.Integer(),
    disable: Type.Optional(Type.Boolean()),
    secret: Type.Optional(Type.String()),
    permissions: Type.Array(RobotPermissionJson, { maxItems: 256 }),
    ...ROBOT_READ_ONLY,
  },
  strict,
)

/**
 * Harbor's clients (its UI, the Terraform provider) PUT back the whole robot as GET returned it:
 * the read-only fields are ignored; the secret changes only through PATCH, as in Harbor; a name
 * or level other than the robot's own is refused.
 */
export const RobotUpdateBody = Type.Object(
  {
    ...ROBOT_READ_ONLY,
    secret: ignored(Type.String()),
    name: Type.Optional(Type.String({ maxLength: 255 })),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    level: Type.Optional(Type.String()),
    duration: Type.Optional(Type.Integer()),
    disable: Type.Optional(Type.Boolean()),
    permissions: Type.Optional(Type.Array(RobotPermissionJson, { maxItems: 256 })),
  },
  strict,
)

export const RobotSecretBody = Type.Object({ secret: Type.Optional(Type.String({ maxLength: 128 })) }, strict)

export const RobotJson = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  description: Type.String(),
  level: Type.String(),
  duration: Type.Integer(),
  editable: Type.Boolean(),
  disable: Type.Boolean(),
  expires_at: Type.Integer(),
  creation_time: Type.String(),
  update_time: Type.String(),
  permissions: Type.Array(RobotPermissionJson),
})

export const RobotCreatedJson = Type.Object({ id: Type.Integer(), name: Type.String(), secret: Type.String(), creation_time: Type.String(), expires_at: Type.Integer() })

const AccessJson = Type.Object({ resource: Type.String(), action: Type.String() })
/** Harbor's Permissions: the pairs grantable at system level and in a project. */
export const PermissionsJson = Type.Object({ system: Type.Array(AccessJson), project: Type.Array(AccessJson) })

/** 'repository:pull' as Harbor's { resource, action }. */
export function accessJson(pair: string): Static<typeof AccessJson> {
  const i = pair.indexOf(':')
  return { resource: pair.slice(0, i), action: pair.slice(i + 1) }
}

export const AuditLogJson = Type.Object({
  id: Type.Integer(),
  username: Type.String(),
  resource: Type.String(),
  resource_type: Type.String(),
  operation: Type.String(),
  op_time: Type.String(),
  client_ip: Type.String(),
  operation_result: Type.Boolean(),
})

export const LoginBody = Type.Object({ principal: Type.String({ maxLength: 255 }), password: Type.String({ maxLength: 1024 }) })

export function userJson(u: User, adminInAuth = false): Static<typeof UserJson> {
  return {
    user_id: u.id,
    username: u.username,
    email: u.email ?? '',
    realname: u.realname,
    comment: u.comment,
    sysadmin_flag: u.sysadmin,
    admin_role_in_auth: adminInAuth,
    creation_time: u.createdAt,
    update_time: u.updatedAt,
  }
}

export function projectJson(p: ProjectWithRoles): Static<typeof ProjectJson> {
  return {
    project_id: p.id,
    name: p.name,
    // Ownerless rows were given the first administrator by migration 007; 0 only if there is none.
    owner_id: p.ownerId ?? 0,
    owner_name: p.ownerName ?? '',
    repo_count: p.repoCount,
    creation_time: p.createdAt,
    update_time: p.updatedAt,
    deleted: false,
    current_user_role_id: p.roleIds.length > 0 ? Math.min(...p.roleIds) : 0,
    current_user_role_ids: p.roleIds,
    metadata: { ...p.metadata, public: String(p.public) },
    ...(p.registryId !== undefined ? { registry_id: p.registryId } : {}),
    cve_allowlist: {
      // One allowlist per project, as in Harbor's answer: its id is the project's.
      id: p.id,
      project_id: p.id,
      ...(p.cveAllowlist?.expiresAt != null ? { expires_at: p.cveAllowlist.expiresAt } : {}),
      items: (p.cveAllowlist?.items ?? []).map((cve_id) => ({ cve_id })),
      creation_time: p.cveAllowlist?.createdAt ?? p.createdAt,
      update_time: p.cveAllowlist?.updatedAt ?? p.updatedAt,
    },
  }
}

export function memberJson(m: Member): Static<typeof MemberJson> {
  return {
    id: m.id,
    project_id: m.projectId,
    entity_name: m.entityName,
    role_name: ROLE_NAMES[m.roleId] ?? '',
    role_id: m.roleId,
    entity_id: m.entityId,
    entity_type: m.entityType,
  }
}

/** Expiry as Harbor sends it: unix seconds, -1 for never. */
function expiresAt(iso: string | null): number {
  return iso === null ? -1 : Math.floor(Date.parse(iso) / 1000)
}

export function robotJson(r: Robot): Static<typeof RobotJson> {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    level: r.level,
    duration: r.duration,
    editable: true,
    disable: r.disabled,
    expires_at: expiresAt(r.expiresAt),
    creation_time: r.createdAt,
    update_time: r.updatedAt,
    permissions: r.permissions,
  }
}

export function robotCreatedJson(r: Robot, secret: string): Static<typeof RobotCreatedJson> {
  return { id: r.id, name: r.name, secret, creation_time: r.createdAt, expires_at: expiresAt(r.expiresAt) }
}

export function auditJson(a: AuditRecord): Static<typeof AuditLogJson> {
  return {
    id: a.id,
    username: a.username,
    resource: a.resource,
    resource_type: a.resourceType,
    operation: a.operation,
    op_time: a.opTime,
    client_ip: a.clientIp,
    operation_result: a.result === 'success',
  }
}

const Id = Type.String({ pattern: '^[0-9]{1,15}$', description: 'a numeric id' })
export const UserIdParams = Type.Object({ user_id: Id })
export const RobotIdParams = Type.Object({ robot_id: Id })
/** A project name, or its id when numeric (send X-Is-Resource-Name: true for a numeric name). */
export const ProjectParams = Type.Object({ project: Type.String({ minLength: 1, maxLength: 255, description: 'project name or id' }) })
export const MemberParams = Type.Object({ project: ProjectParams.properties.project, mid: Id })
export const MetadataParams = Type.Object({ project: ProjectParams.properties.project, meta_name: Type.String({ minLength: 1, maxLength: 64 }) })
export const RobotSecretJson = Type.Object({ secret: Type.String() })
