import { describe, expect, it } from 'vitest'
import { deletableUsers, userActions } from './user-actions'

const me = { user_id: 1 }

describe('userActions', () => {
  it('shows no action on the signed-in user', () => {
    expect(userActions({ user_id: 1, sysadmin_flag: true }, me)).toEqual([])
  })

  it('offers to grant the flag to others, or to revoke it from other administrators', () => {
    expect(userActions({ user_id: 2, sysadmin_flag: false }, me)).toEqual(['grantAdmin', 'resetPassword', 'delete'])
    expect(userActions({ user_id: 3, sysadmin_flag: true }, me)).toEqual(['revokeAdmin', 'resetPassword', 'delete'])
  })

  it('never deletes the signed-in user in a bulk delete', () => {
    expect(deletableUsers([{ user_id: 1 }, { user_id: 2 }, { user_id: 3 }], me)).toEqual([{ user_id: 2 }, { user_id: 3 }])
    expect(deletableUsers([{ user_id: 1 }], me)).toEqual([])
  })
})
