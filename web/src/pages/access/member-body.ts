// Harbor's member API bodies: a user by name or an LDAP group by DN (group_type 1), with a role.
import type { paths } from '../../api/schema'

export type MemberCreation = paths['/api/v2.0/projects/{project}/members']['post']['requestBody']['content']['application/json']
export type RoleChange = paths['/api/v2.0/projects/{project}/members/{mid}']['put']['requestBody']['content']['application/json']

/** Harbor's role ids in the order the console offers them: most rights first. */
export const ROLE_ORDER = [1, 4, 2, 3, 5] as const

/** Harbor's group_type of an LDAP group. */
export const LDAP_GROUP = 1

export type NewMember = { kind: 'user'; username: string; roleId: number } | { kind: 'group'; groupDn: string; roleId: number }

export function addMemberBody(m: NewMember): MemberCreation {
  return m.kind === 'user'
    ? { role_id: m.roleId, member_user: { username: m.username.trim() } }
    : { role_id: m.roleId, member_group: { group_type: LDAP_GROUP, ldap_group_dn: m.groupDn.trim() } }
}

export function roleChangeBody(roleId: number): RoleChange {
  return { role_id: roleId }
}
