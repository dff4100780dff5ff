// Which actions an administrator sees on a user's row: never on their own row (the server
// refuses both removing one's own administrator flag and deleting oneself; one's own password
// is changed with the old one on the account page).
import type { paths } from '../../api/schema'

export type User = paths['/api/v2.0/users']['get']['responses'][200]['content']['application/json'][number]

export type UserAction = 'grantAdmin' | 'revokeAdmin' | 'resetPassword' | 'delete'

export function userActions(row: Pick<User, 'user_id' | 'sysadmin_flag'>, me: { user_id: number }): UserAction[] {
  if (row.user_id === me.user_id) return []
  return [row.sysadmin_flag ? 'revokeAdmin' : 'grantAdmin', 'resetPassword', 'delete']
}

/** The selected users that may be deleted: everyone but the signed-in user. */
export function deletableUsers<T extends Pick<User, 'user_id'>>(selected: T[], me: { user_id: number }): T[] {
  return selected.filter((u) => u.user_id !== me.user_id)
}
