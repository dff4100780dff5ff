import { describe, expect, it, vi } from 'vitest'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { addMemberBody, roleChangeBody } from './member-body'
import { ChangeRoleModal } from './ChangeRoleModal'

describe('member bodies', () => {
  it('a user member by name, an LDAP group by DN with group_type 1', () => {
    expect(addMemberBody({ kind: 'user', username: ' alice ', roleId: 2 })).toEqual({ role_id: 2, member_user: { username: 'alice' } })
    expect(addMemberBody({ kind: 'group', groupDn: 'cn=devs,dc=example,dc=com', roleId: 5 })).toEqual({ role_id: 5, member_group: { group_type: 1, ldap_group_dn: 'cn=devs,dc=example,dc=com' } })
  })

  it('a role change is { role_id }', () => {
    expect(roleChangeBody(4)).toEqual({ role_id: 4 })
  })

  it('the role dialog offers the roles by rights, starts at the current one and sends the chosen one', async () => {
    const user = userEvent.setup()
    const save = vi.fn(async () => {})
    const onClose = vi.fn()
    render(<ChangeRoleModal names={['alice']} currentRole={2} save={save} onClose={onClose} />)
    const select = screen.getByLabelText('Role') as HTMLSelectElement
    expect([...select.options].map((o) => o.textContent)).toEqual(['Project admin', 'Maintainer', 'Developer', 'Guest', 'Limited guest'])
    expect(select.value).toBe('2')
    await user.selectOptions(select, 'Maintainer')
    await user.click(screen.getByRole('button', { name: 'Change role' }))
    expect(save).toHaveBeenCalledWith({ role_id: 4 })
    expect(onClose).toHaveBeenCalled()
  })

  it('a refusal stays in the dialog', async () => {
    const user = userEvent.setup()
    const onClose = vi.fn()
    render(<ChangeRoleModal names={['a', 'b']} save={async () => Promise.reject(new Error('you cannot change your own role'))} onClose={onClose} />)
    expect(screen.getByText('Change the role of 2 members')).toBeTruthy()
    await user.click(screen.getByRole('button', { name: 'Change role' }))
    expect(await screen.findByText('you cannot change your own role')).toBeTruthy()
    expect(onClose).not.toHaveBeenCalled()
  })
})
