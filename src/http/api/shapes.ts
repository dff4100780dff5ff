// The JSON shapes of the identity part of /api/v2.0, with Harbor's field names: one TypeBox
// schema per shape validates requests, serialises responses (fields not in a schema are never
// sent) and, later, documents the API.
import { Type, type Static } from '@sinclair/typebox'
import type { User } from '../../metadata/user-store.js'
import type { Member } from '../../metadata/member-store.js'
import type { Robot } from '../../metadata/robot-store.js'
import type { AuditRecord } from '../../metadata/audit-store.js'
import type { ProjectWithRoles } from '../../services/project-service.js'
import { ROLE_NAMES } from '../../auth/permissions.js'

const strict = { additionalProperties: false } as const

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

export const ProjectJson = Type.Object({
  project_id: Type.Integer(),
  name: Type.String(),
  owner_id: Type.Union([Type.Integer(), Type.Null()]),
  owner_name: Type.String(),
  repo_count: Type.Integer(),
  creation_time: Type.String(),
  update_time: Type.String(),
  deleted: Type.Boolean(),
  current_user_role_id: Type.Integer(),
  current_user_role_ids: Type.Array(Type.Integer()),
  metadata: Type.Object({ public: Type.String() }),
})

/** Harbor sends metadata values as strings ("true"); booleans are taken too. */
const Flag = Type.Union([Type.Boolean(), Type.Literal('true'), Type.Literal('false')])
const ProjectMetadata = Type.Object({ public: Type.Optional(Flag) }, strict)

export const ProjectCreationBody = Type.Object(
  {
    project_name: Type.String({ maxLength: 255 }),
    public: Type.Optional(Type.Boolean()),
    metadata: Type.Optional(ProjectMetadata),
    storage_limit: Type.Optional(Type.Integer()),
    registry_id: Type.Optional(Type.Union([Type.Integer(), Type.Null()])),
  },
  strict,
)

export const ProjectUpdateBody = Type.Object({ metadata: Type.Optional(ProjectMetadata) }, strict)

export function flag(v: Static<typeof Flag> | undefined): boolean | undefined {
  return v === undefined ? undefined : v === true || v === 'true'
}

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

const Access = Type.Object({ resource: Type.String({ maxLength: 64 }), action: Type.String({ maxLength: 64 }), effect: Type.Optional(Type.String()) }, strict)
const RobotPermissionJson = Type.Object(
  { kind: Type.String({ maxLength: 32 }), namespace: Type.String({ maxLength: 255 }), access: Type.Array(Access, { maxItems: 64 }) },
  strict,
)

export const RobotCreationBody = Type.Object(
  {
    name: Type.String({ maxLength: 128 }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    level: Type.String(),
    duration: Type.Integer(),
    disable: Type.Optional(Type.Boolean()),
    secret: Type.Optional(Type.String()),
    permissions: Type.Array(RobotPermissionJson, { maxItems: 256 }),
  },
  strict,
)

/**
 * Harbor's clients (its UI, the Terraform provider) PUT back the whole robot as GET returned it;
 * the read-only fields are accepted and ignored, anything else unknown is refused.
 */
export const RobotUpdateBody = Type.Object(
  {
    id: Type.Optional(Type.Integer()),
    editable: Type.Optional(Type.Boolean()),
    expires_at: Type.Optional(Type.Integer()),
    creation_time: Type.Optional(Type.String()),
    update_time: Type.Optional(Type.String()),
    creator_type: Type.Optional(Type.String()),
    creator_ref: Type.Optional(Type.Integer()),
    secret: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
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
    owner_id: p.ownerId,
    owner_name: p.ownerName ?? '',
    repo_count: p.repoCount,
    creation_time: p.createdAt,
    update_time: p.updatedAt,
    deleted: false,
    current_user_role_id: p.roleIds.length > 0 ? Math.min(...p.roleIds) : 0,
    current_user_role_ids: p.roleIds,
    metadata: { public: String(p.public) },
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
export const RobotSecretJson = Type.Object({ secret: Type.String() })
